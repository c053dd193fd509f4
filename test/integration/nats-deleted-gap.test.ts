// Messages deleted from a stream in the middle of a read (src/adapters/nats/read.ts, FetchFeed): the stream's end is
// past what was read, yet nothing is left to read before it. The reader pauses (it stops taking batches, so no more
// is fetched); the broker says how far its consumer delivered; nats.js deletes everything after that, end included;
// then the read goes on. Every remaining message must come exactly once, and the read must end (until-end) or carry
// on with what is published next (a live tail).
import {connect as natsConnect, type JetStreamManager, type NatsConnection, StringCodec} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {NatsAdapter} from '../../src/adapters/nats/adapter.js'
import type {Delivery} from '../../src/adapters/types.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'

const TOTAL = 60
const PREFETCH = 10

let raw: NatsConnection
let jsm: JetStreamManager
let adapter: NatsAdapter
const created: string[] = []
const sc = StringCodec()

beforeAll(async () => {
  raw = await natsConnect({servers: '127.0.0.1:4222'})
  jsm = await raw.jetstreamManager()
  adapter = new NatsAdapter({url: 'nats://127.0.0.1:4222'}, 5000)
  await adapter.connect()
})

afterAll(async () => {
  for (const name of created) await jsm.streams.delete(name).catch(() => {})
  await adapter?.close()
  await raw?.close()
})

async function streamOf(total: number): Promise<{name: string; subject: string}> {
  const name = uniqueName('MR_followups2_gap')
  const subject = `mr.${name}`
  await jsm.streams.add({name, subjects: [subject]})
  created.push(name)
  const js = raw.jetstream()
  for (let i = 1; i <= total; i++) await js.publish(subject, sc.encode(`m${i}`))
  return {name, subject}
}

/** How far the stream's one (ordered) consumer has delivered, once that stops moving: the broker's word. */
async function deliveredWhenStill(stream: string): Promise<{name: string; delivered: number}> {
  let last = -1
  return waitFor(
    async () => {
      const consumers = await jsm.consumers.list(stream).next()
      if (consumers.length !== 1) return undefined
      const {name, delivered} = consumers[0]
      const still = delivered.stream_seq === last
      last = delivered.stream_seq
      return still && last > 0 ? {name, delivered: last} : undefined
    },
    {timeoutMs: 20_000, intervalMs: 500},
  )
}

/** Deletes stream sequences from..to (nats.js, the broker's API) and checks what the stream holds after. */
async function deleteRange(stream: string, from: number, to: number): Promise<void> {
  for (let seq = from; seq <= to; seq++) expect(await jsm.streams.deleteMessage(stream, seq, false)).toBe(true)
  const {state} = await jsm.streams.info(stream)
  expect(state.messages).toBe(from - 1)
  expect(state.last_seq).toBeGreaterThanOrEqual(from - 1)
}

const bodyOf = (d: Delivery) => (d.envelope.body as {utf8: string}).utf8

describe('NATS reads over messages deleted mid-read', () => {
  it('tail --from earliest --until-end: every remaining message once, then the read ends', async () => {
    const {name} = await streamOf(TOTAL)
    const batches = adapter.readBatches(name, {from: {kind: 'earliest'}, untilEnd: true, prefetch: PREFETCH})
    const it = batches[Symbol.asyncIterator]()
    const got: string[] = []
    while (got.length < PREFETCH) {
      const next = await it.next()
      expect(next.done).toBe(false)
      got.push(...(next.value as Delivery[]).map(bodyOf))
    }
    // The reader takes no more for now: the consumer stops once a fetch's worth waits.
    const {delivered} = await deliveredWhenStill(name)
    expect(delivered).toBeLessThan(TOTAL)
    await deleteRange(name, delivered + 1, TOTAL)

    const started = Date.now()
    for (;;) {
      const next = await it.next()
      if (next.done) break
      got.push(...next.value.map(bodyOf))
    }
    expect(got).toEqual(Array.from({length: delivered}, (_, i) => `m${i + 1}`))
    expect(Date.now() - started).toBeLessThan(30_000)
  }, 60_000)

  it('a live tail: every remaining message once, then what is published next, once', async () => {
    const {name, subject} = await streamOf(TOTAL)
    const abort = new AbortController()
    const batches = adapter.readBatches(name, {from: {kind: 'earliest'}, prefetch: PREFETCH, signal: abort.signal})
    const it = batches[Symbol.asyncIterator]()
    const got: string[] = []
    while (got.length < PREFETCH) got.push(...((await it.next()).value as Delivery[]).map(bodyOf))
    const first = await deliveredWhenStill(name)
    await deleteRange(name, first.delivered + 1, TOTAL)

    // Take what was delivered before the deletion, in the background, while the read finds the gap.
    const reading = (async () => {
      for (;;) {
        const next = await it.next()
        if (next.done) return
        got.push(...next.value.map(bodyOf))
      }
    })()
    await waitFor(() => got.length === first.delivered || undefined, {timeoutMs: 20_000})
    // The read replaced its consumer (the stream ends past what it read): the broker shows a new one.
    await waitFor(
      async () => {
        const consumers = await jsm.consumers.list(name).next()
        return consumers.length === 1 && consumers[0].name !== first.name ? true : undefined
      },
      {timeoutMs: 30_000, intervalMs: 250},
    )
    const js = raw.jetstream()
    for (let i = 1; i <= 3; i++) await js.publish(subject, sc.encode(`new${i}`))
    await waitFor(() => got.length === first.delivered + 3 || undefined, {timeoutMs: 20_000})
    // Nothing more comes (no duplicate) in a while.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    abort.abort()
    await reading
    expect(got).toEqual([...Array.from({length: first.delivered}, (_, i) => `m${i + 1}`), 'new1', 'new2', 'new3'])
  }, 90_000)
})
