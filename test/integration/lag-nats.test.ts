// JetStream consumer lag on the real server: consumers with pending messages, with messages held unacknowledged,
// and with part of the stream acknowledged.
import {AckPolicy, connect, type JetStreamClient, type JetStreamManager, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'
import {NatsAdapter} from '../../src/adapters/nats/adapter.js'
import type {LagSample} from '../../src/adapters/types.js'
import {localSettings, uniqueName} from '../helpers/brokers.js'

let nc: NatsConnection
let jsm: JetStreamManager
let js: JetStreamClient
const streams: string[] = []
const adapter = new NatsAdapter(localSettings().nats!, 5000)

let stream: string

beforeAll(async () => {
  nc = await connect({servers: '127.0.0.1:4222'})
  jsm = await nc.jetstreamManager()
  js = nc.jetstream()
  await adapter.connect()
  stream = uniqueName('LAG').replace(/-/g, '_')
  streams.push(stream)
  await jsm.streams.add({name: stream, subjects: [`${stream}.>`]})
  for (let i = 0; i < 5; i++) await js.publish(`${stream}.a`, new TextEncoder().encode(`m${i}`))
  await js.publish(`${stream}.b`, new TextEncoder().encode('b0'))
  for (const durable of ['idle', 'holding', 'acking']) {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: `${stream}.a`,
    })
  }
  await jsm.consumers.add(stream, {
    durable_name: 'only-b',
    ack_policy: AckPolicy.Explicit,
    filter_subject: `${stream}.b`,
  })
  const holding = await js.consumers.get(stream, 'holding')
  for await (const m of await holding.fetch({max_messages: 2, expires: 2000})) void m
  const acking = await js.consumers.get(stream, 'acking')
  for await (const m of await acking.fetch({max_messages: 2, expires: 2000})) await m.ackAck()
  // Lag in seconds is measured from the server's stored time: let the messages age a little.
  await new Promise((r) => setTimeout(r, 1100))
})

afterAll(async () => {
  await adapter.close()
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined)
  await nc.close()
})

function byConsumer(samples: LagSample[]): Record<string, LagSample> {
  return Object.fromEntries(samples.map((s) => [s.consumer, s]))
}

describe('JetStream consumerLag', () => {
  it('num_pending + num_ack_pending per consumer, ack floor progress, attached clients and head age', async () => {
    const rows = byConsumer(await adapter.consumerLag!({filter: stream}))
    expect(Object.keys(rows).sort()).toEqual(['acking', 'holding', 'idle', 'only-b'])

    expect(rows.idle).toMatchObject({
      broker: 'nats',
      target: stream,
      lag: 5,
      consumers: 0,
      unacked: 0,
      consumed: 0,
      produced: 6,
    })
    expect(rows.idle.details).toMatchObject({
      pending: 5,
      ackPending: 0,
      redelivered: 0,
      waiting: 0,
      deliveredSeq: 0,
      ackFloorSeq: 0,
    })
    expect(rows.idle.lagSeconds).toBeGreaterThanOrEqual(1)
    expect(rows.idle.lagSeconds).toBeLessThan(60)

    // Two delivered and held: still lag, held by an attached client that acknowledges nothing.
    expect(rows.holding).toMatchObject({lag: 5, consumers: 1, unacked: 2, consumed: 0})
    expect(rows.holding.details).toMatchObject({pending: 3, ackPending: 2, deliveredSeq: 2, ackFloorSeq: 0})
    expect(rows.holding.lastDeliveryAt).toBeInstanceOf(Date)
    expect(rows.holding.lastAckAt).toBeUndefined()

    expect(rows.acking).toMatchObject({lag: 3, unacked: 0, consumed: 2})
    expect(rows.acking.lastAckAt).toBeInstanceOf(Date)

    // The message after its ack floor (sequence 1) is on another subject: the age is not guessed.
    expect(rows['only-b']).toMatchObject({lag: 1, consumers: 0})
    expect(rows['only-b'].lagSeconds).toBeUndefined()
  })

  it('a consumer that has not moved costs no message read for its head age on the next call', async () => {
    const first = byConsumer(await adapter.consumerLag!({filter: stream}))
    const reads = vi.spyOn(adapter, 'getMessage')
    try {
      const again = byConsumer(await adapter.consumerLag!({filter: stream}))
      expect(reads).not.toHaveBeenCalled()
      expect(again.idle.lagSeconds).toBeGreaterThanOrEqual(first.idle.lagSeconds!)
      expect(again['only-b'].lagSeconds).toBeUndefined()
    } finally {
      reads.mockRestore()
    }
  })

  it('filters by consumer name or STREAM/consumer, and answers nothing for an unknown one', async () => {
    expect((await adapter.consumerLag!({filter: `${stream}/holding`})).map((s) => s.consumer)).toEqual(['holding'])
    expect(
      (await adapter.consumerLag!({filter: 'acking'})).filter((s) => s.target === stream).map((s) => s.consumer),
    ).toEqual(['acking'])
    expect(await adapter.consumerLag!({filter: uniqueName('no-such-consumer')})).toEqual([])
  })
})
