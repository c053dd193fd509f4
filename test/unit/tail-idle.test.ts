// The idle clock of tail --idle-timeout (src/core/services/tail.ts): it starts when the read says it is positioned
// (ReadOptions.onPositioned, a Kafka group joined), not when the read was asked for. The adapter here stands in for a
// read that takes a while to be positioned; what real brokers do is in test/e2e/tail-production-kafka.test.ts.
import {describe, expect, it} from 'vitest'

import type {Delivery, ReadOptions} from '../../src/adapters/types.js'
import {noSettlement} from '../../src/adapters/types.js'
import {tailBatches, type TailStats} from '../../src/core/services/tail.js'
import {fakeAdapter} from '../helpers/fake-adapter.js'

const JOIN_MS = 400
const IDLE_MS = 150

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), {once: true})
  })

const delivery = (text: string): Delivery => ({
  envelope: {v: 1, headers: [], body: {utf8: text}},
  settle: noSettlement,
})

/** A read positioned JOIN_MS after it was asked for, with `bodies` ready at once after that, then nothing more. */
function slowlyPositioned(bodies: string[]) {
  return fakeAdapter('kafka', {
    async *readBatches(_target: string, o: ReadOptions = {}) {
      await sleep(JOIN_MS, o.signal)
      o.onPositioned?.()
      if (bodies.length > 0) yield bodies.map(delivery)
      await sleep(60_000, o.signal)
    },
  })
}

async function tail(bodies: string[]): Promise<{seen: string[]; stats: TailStats; ms: number}> {
  const stats: TailStats = {received: 0, matched: 0, stoppedBy: 'source'}
  const seen: string[] = []
  const started = Date.now()
  for await (const batch of tailBatches(slowlyPositioned(bodies), 't', {idleTimeoutMs: IDLE_MS}, stats))
    for (const d of batch) seen.push((d.envelope.body as {utf8: string}).utf8)
  return {seen, stats, ms: Date.now() - started}
}

describe('tail --idle-timeout', () => {
  it('does not run while the read is being positioned, so what is there then is read', async () => {
    const {seen, stats} = await tail(['a', 'b'])
    expect(seen).toEqual(['a', 'b'])
    expect(stats.stoppedBy).toBe('idle')
  })

  it('stops once nothing came for the timeout after the read was positioned', async () => {
    const {seen, stats, ms} = await tail([])
    expect(seen).toEqual([])
    expect(stats.stoppedBy).toBe('idle')
    expect(ms).toBeGreaterThanOrEqual(JOIN_MS + IDLE_MS - 20)
  })
})
