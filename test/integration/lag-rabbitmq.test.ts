// RabbitMQ queue lag on the real broker: a queue with messages and no consumer, a queue whose consumer holds
// unacked messages, and a stream queue whose head message has a known age. The management API refreshes queue
// statistics every few seconds, so assertions poll until the broker reports the state the test created.
import amqp, {type Channel, type ChannelModel} from 'amqplib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {RabbitMqAdapter} from '../../src/adapters/rabbitmq/adapter.js'
import type {LagSample} from '../../src/adapters/types.js'
import {MailroomError} from '../../src/model/errors.js'
import {localSettings, uniqueName, waitFor} from '../helpers/brokers.js'

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672'
let raw: ChannelModel
let setup: Channel
const queues: string[] = []
const adapter = new RabbitMqAdapter(localSettings().rabbitmq!, 5000)

async function declare(prefix: string, args: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName(prefix)
  await setup.assertQueue(name, {durable: true, arguments: args})
  queues.push(name)
  return name
}

function publish(queue: string, count: number, timestamp?: number): void {
  for (let i = 0; i < count; i++)
    setup.sendToQueue(queue, Buffer.from(`m${i}`), timestamp === undefined ? {} : {timestamp})
}

async function sampleOf(queue: string, ok: (s: LagSample) => boolean): Promise<LagSample> {
  return waitFor(
    async () => {
      const samples = await adapter.consumerLag!({filter: queue})
      return samples.length === 1 && ok(samples[0]) ? samples[0] : undefined
    },
    {timeoutMs: 20_000, intervalMs: 500},
  )
}

beforeAll(async () => {
  raw = await amqp.connect(AMQP_URL)
  setup = await raw.createChannel()
  await adapter.connect()
})

afterAll(async () => {
  await adapter.close()
  for (const q of queues) await setup.deleteQueue(q).catch(() => undefined)
  await raw.close()
})

describe('RabbitMQ consumerLag', () => {
  it('a queue with messages and no consumer: every message is lag, nobody consumes it', async () => {
    const queue = await declare('lag-noconsumer')
    publish(queue, 7)
    const sample = await sampleOf(queue, (s) => s.lag === 7)
    expect(sample).toMatchObject({
      broker: 'rabbitmq',
      target: queue,
      consumer: queue,
      lag: 7,
      consumers: 0,
      unacked: 0,
      consumed: 0,
    })
    expect(sample.details).toMatchObject({type: 'classic', ready: 7, unacked: 0})
    // No timestamp property, and a classic queue cannot show its head without delivering it: the age stays unknown.
    expect(sample.lagSeconds).toBeUndefined()
  })

  it('a classic queue whose head message carries a timestamp property: its age, from the management API', async () => {
    const queue = await declare('lag-stamped')
    const written = Math.floor(Date.now() / 1000) - 120
    publish(queue, 1, written)
    publish(queue, 1, written + 60)
    const sample = await sampleOf(queue, (s) => s.lag === 2 && s.lagSeconds !== undefined)
    // The head (oldest) message sets the age; the management API reports it in whole seconds.
    expect(sample.lagSeconds).toBeGreaterThanOrEqual(119)
    expect(sample.lagSeconds).toBeLessThan(120 + 30)
    expect(await setup.checkQueue(queue)).toMatchObject({messageCount: 2})
  })

  it('a queue whose consumer holds unacked messages: ready + unacked, one consumer, nothing acknowledged', async () => {
    const queue = await declare('lag-unacked')
    publish(queue, 5)
    const consumerChannel = await raw.createChannel()
    try {
      await consumerChannel.prefetch(3)
      await consumerChannel.consume(queue, () => undefined, {noAck: false})
      const sample = await sampleOf(queue, (s) => s.unacked === 3 && s.consumers === 1)
      expect(sample).toMatchObject({lag: 5, consumers: 1, unacked: 3, consumed: 0})
      expect(sample.details).toMatchObject({ready: 2, unacked: 3})
      expect(sample.rates?.ack ?? 0).toBe(0)
    } finally {
      await consumerChannel.close()
    }
  })

  it('a stream queue: depth as lag and the age of its head message from its timestamp property', async () => {
    const queue = await declare('lag-stream', {'x-queue-type': 'stream'})
    const minuteAgo = Math.floor(Date.now() / 1000) - 60
    publish(queue, 3, minuteAgo)
    const sample = await sampleOf(queue, (s) => s.lag === 3)
    expect(sample.details).toMatchObject({type: 'stream'})
    expect(sample.lagSeconds).toBeGreaterThanOrEqual(59)
    expect(sample.lagSeconds).toBeLessThan(90)
    // The head was read without consuming: the stream still holds all three.
    expect((await adapter.consumerLag!({filter: queue}))[0].lag).toBe(3)
  })

  it('answers nothing for an unknown queue, and says how to enable the management plugin when it is missing', async () => {
    expect(await adapter.consumerLag!({filter: uniqueName('no-such-queue')})).toEqual([])
    const noManagement = new RabbitMqAdapter({...localSettings().rabbitmq!, managementUrl: 'http://127.0.0.1:1'}, 2000)
    await noManagement.connect()
    try {
      const error = await noManagement.consumerLag!().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MailroomError)
      expect((error as MailroomError).code).toBe('CONNECTION')
      expect((error as MailroomError).suggestions.join(' ')).toContain('rabbitmq-plugins enable rabbitmq_management')
    } finally {
      await noManagement.close()
    }
  })
})
