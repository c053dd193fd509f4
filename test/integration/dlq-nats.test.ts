// JetStream dead letters: messages that reach a consumer's MaxDeliver (nak'ed until then) or are terminated are
// announced by advisories; `dlq capture` stores those, and the DLQ core turns each entry back into the dead message.
import {
  AckPolicy,
  connect as natsConnect,
  headers as natsHeaders,
  type JetStreamManager,
  type NatsConnection,
} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {NatsAdapter} from '../../src/adapters/nats/adapter.js'
import {discoverDlqs} from '../../src/core/dlq/discover.js'
import {purgeDeadLetters} from '../../src/core/dlq/purge.js'
import {readDeadLetters} from '../../src/core/dlq/read.js'
import {dlqSettings} from '../../src/core/dlq/settings.js'
import {bodyToBytes} from '../../src/model/envelope/body.js'
import type {Envelope} from '../../src/model/envelope/types.js'
import {compileFilter} from '../../src/core/filter.js'
import {localSettings, uniqueName, waitFor} from '../helpers/brokers.js'

let nc: NatsConnection
let jsm: JetStreamManager
let adapter: NatsAdapter
const stream = uniqueName('DLQN').toUpperCase().replace(/-/g, '_')
const dlq = `${stream}_DLQ`
const subject = `${stream.toLowerCase()}.orders`
const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41])

async function collect(it: AsyncIterable<Envelope>): Promise<Envelope[]> {
  const out: Envelope[] = []
  for await (const e of it) out.push(e)
  return out
}

beforeAll(async () => {
  nc = await natsConnect({servers: 'nats://127.0.0.1:4222'})
  jsm = await nc.jetstreamManager()
  adapter = new NatsAdapter(localSettings().nats!)
  await adapter.connect()
  await jsm.streams.add({name: stream, subjects: [subject]})
  const first = await adapter.captureDeadLetters(stream)
  expect(first).toMatchObject({name: dlq, created: true})
  expect(await adapter.captureDeadLetters(stream)).toMatchObject({name: dlq, created: false})

  const js = nc.jetstream()
  const h = natsHeaders()
  h.append('x-tenant', 'acme')
  await js.publish(subject, Buffer.from('{"order":1}'), {headers: h}) // seq 1: dies by MaxDeliver
  await js.publish(subject, binary) // seq 2: dies by MaxDeliver
  await js.publish(subject, Buffer.from('fine')) // seq 3: acked
  await js.publish(subject, Buffer.from('terminated')) // seq 4: term()
  await jsm.consumers.add(stream, {
    durable_name: 'worker',
    ack_policy: AckPolicy.Explicit,
    max_deliver: 2,
    ack_wait: 30_000_000_000,
  })
  const consumer = await js.consumers.get(stream, 'worker')
  await waitFor(
    async () => {
      const m = await consumer.next({expires: 1000})
      if (m) {
        const text = m.data.toString()
        if (text === 'fine') m.ack()
        else if (text === 'terminated') m.term()
        else m.nak()
      }
      return (await jsm.streams.info(dlq)).state.messages >= 3
    },
    {timeoutMs: 20_000},
  )
})

afterAll(async () => {
  for (const name of [stream, dlq]) await jsm.streams.delete(name).catch(() => {})
  await adapter.close()
  await nc.close()
})

describe('JetStream dead letters (MaxDeliver reached, terminated)', () => {
  it('each DLQ entry becomes the dead message, with the advisory as death record', async () => {
    const messages = await collect(readDeadLetters(adapter, dlq, {}))
    expect(messages).toHaveLength(3)
    const bySeq = new Map(messages.map((m) => [m.death?.origin?.sequence, m]))
    const json = bySeq.get(1)!
    expect(json.body).toEqual({utf8: '{"order":1}'})
    expect(json.headers).toContainEqual(['x-tenant', 'acme'])
    expect(json.key).toBe(subject)
    expect(json.target).toBe(dlq)
    expect(json.death).toMatchObject({
      source: 'jetstream-advisory',
      reason: 'max_deliveries',
      count: 2,
      origin: {broker: 'nats', target: stream, sequence: 1, consumer: 'worker', subject},
    })
    expect(bodyToBytes(bySeq.get(2)!.body).equals(binary)).toBe(true)
    expect(bySeq.get(4)!.death).toMatchObject({reason: 'terminated', origin: {target: stream, sequence: 4}})
    // The DLQ entry's own position is kept, so it can be deleted (purge) or settled (replay).
    expect(new Set(messages.map((m) => m.meta?.sequence))).toEqual(new Set([1, 2, 3]))
    expect(messages.every((m) => m.meta?.stream === dlq)).toBe(true)
  })

  it('is listed as a DLQ of its stream, with ages from the stream state', async () => {
    const listing = await discoverDlqs([adapter], dlqSettings({}))
    const row = listing.dlqs.find((d) => d.name === dlq)
    expect(row).toMatchObject({broker: 'nats', kind: 'stream', depth: 3, origins: [stream]})
    expect(row!.detectedBy).toEqual(expect.arrayContaining(['advisory-capture']))
    expect(row!.oldestAgeSeconds).toBeGreaterThanOrEqual(0)
    expect(row!.oldestAgeSeconds).toBeLessThan(120)
    expect(listing.dlqs.find((d) => d.name === stream)).toBeUndefined()
  })

  it('a filtered purge deletes only the matching entries, by sequence', async () => {
    const filter = compileFilter('death.reason == "terminated"')
    expect(await purgeDeadLetters(adapter, dlq, {filter, dryRun: true})).toMatchObject({
      purged: 1,
      kept: 2,
      method: 'delete-by-sequence',
    })
    expect((await jsm.streams.info(dlq)).state.messages).toBe(3)
    expect(await purgeDeadLetters(adapter, dlq, {filter})).toMatchObject({purged: 1, kept: 2})
    const left = await collect(readDeadLetters(adapter, dlq, {}))
    expect(left.map((m) => m.death?.reason)).toEqual(['max_deliveries', 'max_deliveries'])
    // The dead messages themselves stay in the source stream: other consumers may still need them.
    expect((await jsm.streams.info(stream)).state.messages).toBe(4)
  })
})
