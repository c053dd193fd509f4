// One contract, three real brokers: what every BrokerAdapter promises, checked the same way on each.
// Broker-specific behaviour lives in <broker>-adapter.test.ts; this file is only what they share.
import {randomBytes} from 'node:crypto'
import amqp from 'amqplib'
import {Kafka, logLevel} from 'kafkajs'
import {connect as natsConnect} from 'nats'
import {afterAll, describe, expect, it} from 'vitest'

import {createAdapter} from '../../src/adapters/registry.js'
import type {BrokerAdapter, Delivery, ReadOptions} from '../../src/adapters/types.js'
import type {BrokerKind} from '../../src/model/broker.js'
import {MailroomError} from '../../src/model/errors.js'
import type {ConnectionSettings} from '../../src/model/settings.js'
import {bodyFromBytes, bodyToBytes} from '../../src/model/envelope/body.js'
import {isInCanonicalOrder} from '../../src/model/envelope/ndjson.js'
import type {Envelope} from '../../src/model/envelope/types.js'
import {localSettings, uniqueName, waitFor} from '../helpers/brokers.js'

/** How each broker's raw client makes a target and puts messages on it, outside mailroom. */
interface Fixture {
  kind: BrokerKind
  unreachable: Partial<ConnectionSettings>
  badCredentials?: Partial<ConnectionSettings>
  create(name: string): Promise<void>
  rawPublish(name: string, bodies: Buffer[]): Promise<void>
  remove(name: string): Promise<void>
  /** Reading back everything a target holds (RabbitMQ classic queues can only be drained by consuming). */
  readAll: ReadOptions
  /** A read that waits for new messages (a RabbitMQ queue without bindings can only be consumed). */
  live: ReadOptions
  targetName(): string
}

const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672'

const fixtures: Fixture[] = [
  {
    kind: 'rabbitmq',
    unreachable: {rabbitmq: {url: 'amqp://guest:guest@127.0.0.1:1', managementUrl: 'http://127.0.0.1:1'}},
    badCredentials: {
      rabbitmq: {url: 'amqp://guest:wrong-password@127.0.0.1:5672', managementUrl: 'http://127.0.0.1:15672'},
    },
    targetName: () => uniqueName('contract-q'),
    async create(name) {
      await withAmqp((ch) => ch.assertQueue(name, {durable: false}))
    },
    async rawPublish(name, bodies) {
      await withAmqp(async (ch) => {
        for (const body of bodies) ch.sendToQueue(name, body)
      })
    },
    async remove(name) {
      await withAmqp((ch) => ch.deleteQueue(name))
    },
    readAll: {consume: true, untilEnd: true},
    live: {consume: true},
  },
  {
    kind: 'kafka',
    unreachable: {kafka: {brokers: ['127.0.0.1:1']}},
    targetName: () => uniqueName('contract-topic'),
    async create(name) {
      const admin = kafka.admin()
      await admin.connect()
      await admin.createTopics({topics: [{topic: name, numPartitions: 2}], waitForLeaders: true})
      await admin.disconnect()
    },
    async rawPublish(name, bodies) {
      const producer = kafka.producer()
      await producer.connect()
      await producer.send({topic: name, acks: -1, messages: bodies.map((value) => ({value}))})
      await producer.disconnect()
    },
    async remove(name) {
      const admin = kafka.admin()
      await admin.connect()
      await admin.deleteTopics({topics: [name]})
      await admin.disconnect()
    },
    readAll: {from: {kind: 'earliest'}, untilEnd: true},
    live: {from: {kind: 'latest'}},
  },
  {
    kind: 'nats',
    unreachable: {nats: {url: 'nats://127.0.0.1:1'}},
    targetName: () => uniqueName('CONTRACT').replaceAll('-', '_'),
    async create(name) {
      await withNats(async (nc) => (await nc.jetstreamManager()).streams.add({name, subjects: [`contract.${name}`]}))
    },
    async rawPublish(name, bodies) {
      await withNats(async (nc) => {
        const js = nc.jetstream()
        for (const body of bodies) await js.publish(`contract.${name}`, body)
      })
    },
    async remove(name) {
      await withNats(async (nc) => (await nc.jetstreamManager()).streams.delete(name))
    },
    readAll: {from: {kind: 'earliest'}, untilEnd: true},
    live: {from: {kind: 'latest'}},
  },
]

async function withAmqp<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(AMQP_URL)
  try {
    const ch = await conn.createConfirmChannel()
    const result = await fn(ch)
    await ch.waitForConfirms()
    return result
  } finally {
    await conn.close()
  }
}

async function withNats<T>(fn: (nc: Awaited<ReturnType<typeof natsConnect>>) => Promise<T>): Promise<T> {
  const nc = await natsConnect({servers: '127.0.0.1:4222'})
  try {
    return await fn(nc)
  } finally {
    await nc.close()
  }
}

async function adapterFor(
  kind: BrokerKind,
  overrides: Partial<ConnectionSettings> = {},
  timeoutMs = 5000,
): Promise<BrokerAdapter> {
  return createAdapter(kind, {...localSettings(), ...overrides, connectTimeoutMs: timeoutMs})
}

async function errorOf(p: Promise<unknown>): Promise<MailroomError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(MailroomError)
  return error as MailroomError
}

describe.each(fixtures)('$kind adapter contract', (fx) => {
  const made: string[] = []
  afterAll(async () => {
    for (const name of made) await fx.remove(name).catch(() => {})
  })
  async function target(): Promise<string> {
    const name = fx.targetName()
    await fx.create(name)
    made.push(name)
    return name
  }

  it('connect and close are idempotent, and close works without connect', async () => {
    const never = await adapterFor(fx.kind)
    await never.close()
    const adapter = await adapterFor(fx.kind)
    await adapter.connect()
    await adapter.connect()
    expect((await adapter.serverInfo()).latencyMs).toBeGreaterThanOrEqual(0)
    await adapter.close()
    await adapter.close()
  })

  it('lists a target the raw client created, and its depth counts what the raw client published', async () => {
    const name = await target()
    await fx.rawPublish(name, [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')])
    await using adapter = await adapterFor(fx.kind)
    await adapter.connect()
    const listed = await waitFor(async () => (await adapter.listTargets()).find((t) => t.name === name), {
      timeoutMs: 15_000,
    })
    expect(listed.broker).toBe(fx.kind)
    // RabbitMQ's management statistics refresh every 5 s, later on a loaded machine: poll.
    const counted = await waitFor(
      async () => (await adapter.listTargets()).find((t) => t.name === name && t.depth === 3),
      {timeoutMs: 45_000, intervalMs: 500},
    )
    expect(counted.depth).toBe(3)
    expect((await adapter.describeTarget(name)).name).toBe(name)
  }, 75_000)

  it('says a missing target is NOT_FOUND', async () => {
    await using adapter = await adapterFor(fx.kind)
    await adapter.connect()
    expect((await errorOf(adapter.describeTarget(fx.targetName()))).code).toBe('NOT_FOUND')
  })

  it('publishes with confirmation and reads back random binary bodies byte for byte', async () => {
    const name = await target()
    await using adapter = await adapterFor(fx.kind)
    await adapter.connect()
    const bodies = Array.from({length: 40}, (_, i) => randomBytes(i * 7))
    const messages: Envelope[] = bodies.map((b) => ({v: 1, headers: [['n', 'x']], body: bodyFromBytes(b)}))
    const receipts = []
    for await (const receipt of adapter.publish!(name, messages)) receipts.push(receipt)
    expect(receipts.filter((r) => r.ok)).toHaveLength(bodies.length)
    const read: Buffer[] = []
    for await (const delivery of adapter.read!(name, fx.readAll)) {
      read.push(bodyToBytes(delivery.envelope.body))
      // Built in canonical key order, so tail and export write it with one native JSON.stringify.
      expect(isInCanonicalOrder(delivery.envelope)).toBe(true)
      await delivery.settle('ack')
    }
    const sorted = (xs: Buffer[]) => xs.map((b) => b.toString('hex')).sort()
    expect(sorted(read)).toEqual(sorted(bodies))
  })

  it('a live read says once that it is positioned, and reads what is published from then on', async () => {
    const name = await target()
    await using adapter = await adapterFor(fx.kind)
    await adapter.connect()
    const stop = new AbortController()
    let told = 0
    let tell = () => {}
    const positioned = new Promise<void>((resolve) => (tell = resolve))
    const onPositioned = () => {
      told++
      tell()
    }
    const reader = adapter.read!(name, {...fx.live, signal: stop.signal, onPositioned})[Symbol.asyncIterator]()
    try {
      const first = reader.next()
      // --idle-timeout counts from here: a Kafka group has joined (seconds on a production broker).
      await positioned
      await fx.rawPublish(name, [Buffer.from('after-positioned')])
      const got = await first
      expect(got.done).toBe(false)
      expect(bodyToBytes((got.value as Delivery).envelope.body).toString()).toBe('after-positioned')
      await (got.value as Delivery).settle('ack')
      expect(told).toBe(1)
    } finally {
      stop.abort()
      await reader.return?.()
    }
  }, 60_000)

  it('fails with CONNECTION within the connect timeout on an unreachable port', async () => {
    const adapter = await adapterFor(fx.kind, fx.unreachable, 2000)
    const started = Date.now()
    expect((await errorOf(adapter.connect())).code).toBe('CONNECTION')
    expect(Date.now() - started).toBeLessThan(4000)
    await adapter.close()
  })
})

// The local Kafka and NATS listeners have no authentication; their AUTH paths are tested against the secured
// instances in security*.test.ts.
describe.each(fixtures.filter((f) => f.badCredentials))('$kind adapter contract: credentials', (fx) => {
  it('fails with AUTH on wrong credentials, without the password in the message', async () => {
    const adapter = await adapterFor(fx.kind, fx.badCredentials)
    const error = await errorOf(adapter.connect())
    expect(error.code).toBe('AUTH')
    expect(error.message).not.toContain('wrong-password')
    await adapter.close()
  })
})
