// Kafka consumer-group lag on the real broker: a group that consumed and committed part of a topic.
import {randomUUID} from 'node:crypto'
import {type Admin, Kafka, logLevel, type Producer} from 'kafkajs'
import {createRequire} from 'node:module'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {KafkaAdapter} from '../../src/adapters/kafka/adapter.js'
import type {Delivery, LagSample} from '../../src/adapters/types.js'
import {runCheck} from '../../src/core/lag/check.js'
import {dlqSettings} from '../../src/core/dlq/settings.js'

const BROKER = '127.0.0.1:9092'
const raw = new Kafka({clientId: 'lag-kafka-test', brokers: [BROKER], logLevel: logLevel.NOTHING})
let admin: Admin
let producer: Producer
const topics: string[] = []
const groups: string[] = []
const adapter = new KafkaAdapter({brokers: [BROKER]}, 5000)

async function createTopic(partitions: number): Promise<string> {
  const topic = `mailroom-lag-${randomUUID()}`
  await admin.createTopics({topics: [{topic, numPartitions: partitions}], waitForLeaders: true})
  topics.push(topic)
  return topic
}

/** Writes `count` records to a partition with the given CreateTime. */
async function produce(topic: string, partition: number, count: number, timestamp: number): Promise<void> {
  const messages = Array.from({length: count}, (_, i) => ({value: `m${i}`, partition, timestamp: String(timestamp)}))
  await producer.send({topic, messages})
}

/** Consumes the whole topic as `group`, acknowledging (committing) only the first `ackFirst[p]` of each partition. */
async function consumePart(topic: string, group: string, ackFirst: Record<number, number>): Promise<void> {
  groups.push(group)
  for await (const d of adapter.read!(topic, {
    consume: true,
    group,
    untilEnd: true,
    from: {kind: 'earliest'},
  }) as AsyncIterable<Delivery>) {
    const {partition, offset} = d.envelope.meta as {partition: number; offset: string}
    await d.settle(Number(offset) < (ackFirst[partition] ?? 0) ? 'ack' : 'requeue')
  }
}

function only(samples: LagSample[], group: string): LagSample {
  const mine = samples.filter((s) => s.consumer === group)
  expect(mine).toHaveLength(1)
  return mine[0]
}

beforeAll(async () => {
  admin = raw.admin()
  producer = raw.producer({allowAutoTopicCreation: false})
  await Promise.all([admin.connect(), producer.connect(), adapter.connect()])
})

afterAll(async () => {
  await adapter.close()
  await producer.disconnect()
  if (groups.length) await admin.deleteGroups(groups).catch(() => undefined)
  if (topics.length) await admin.deleteTopics({topics}).catch(() => undefined)
  await admin.disconnect()
})

describe('Kafka consumerLag', () => {
  it('reports committed vs end per partition, totals, members, state and lag in seconds of the first unconsumed record', async () => {
    const topic = await createTopic(3)
    const group = `mailroom-lag-group-${randomUUID()}`
    const old = Date.now() - 120_000
    await produce(topic, 0, 5, old)
    await produce(topic, 1, 3, old)
    await produce(topic, 2, 2, Date.now())
    await consumePart(topic, group, {0: 2, 1: 3, 2: 0})

    const sample = only(await adapter.consumerLag!({filter: group}), group)
    expect(sample).toMatchObject({
      broker: 'kafka',
      target: topic,
      consumer: group,
      consumers: 0,
      consumed: 5,
      produced: 10,
    })
    expect(sample.group).toEqual({type: 'classic', protocol: 'classic', state: 'Empty', members: []})
    // Partition 2 holds records but was never committed: its lag depends on the group's reset policy, so the
    // group's lag is unknown (as Kafka's tool shows "-"), not 3.
    expect(sample.lag).toBeUndefined()
    expect(sample.uncommitted).toEqual({partitions: 1, ifEarliest: 2})
    expect(sample.partitions).toEqual([
      {partition: 0, committed: 2, end: 5, start: 0, lag: 3, lagSeconds: expect.any(Number)},
      {partition: 1, committed: 3, end: 3, start: 0, lag: 0},
      {partition: 2, end: 2, start: 0},
    ])
    expect(sample.lagSeconds).toBeGreaterThanOrEqual(119)
    expect(sample.lagSeconds).toBeLessThan(180)
    expect(sample.warnings).toBeUndefined()
  })

  it('finds a group by a topic it consumes, and warns when a committed offset fell below the log start', async () => {
    const topic = await createTopic(1)
    const group = `mailroom-lag-group-${randomUUID()}`
    await produce(topic, 0, 6, Date.now())
    await consumePart(topic, group, {0: 1})
    await admin.fetchTopicOffsets(topic) // deleteTopicRecords finds leaders only in metadata already loaded
    await admin.deleteTopicRecords({topic, partitions: [{partition: 0, offset: '4'}]})

    const sample = only(await adapter.consumerLag!({filter: topic}), group)
    expect(sample.partitions).toEqual([
      {partition: 0, committed: 1, end: 6, start: 4, lag: 5, lagSeconds: expect.any(Number)},
    ])
    expect(sample.lag).toBe(5)
    expect(sample.warnings).toEqual([
      'partition 0: committed offset 1 is below the log start 4: 3 message(s) lost to retention',
    ])
  })

  it('counts the members of a live group', async () => {
    const topic = await createTopic(2)
    const group = `mailroom-lag-group-${randomUUID()}`
    groups.push(group)
    await produce(topic, 0, 4, Date.now())
    const consumer = raw.consumer({groupId: group})
    await consumer.connect()
    await consumer.subscribe({topics: [topic], fromBeginning: true})
    let seen = 0
    await consumer.run({autoCommit: false, eachMessage: async () => void seen++})
    try {
      await waitUntil(() => seen === 4)
      await consumer.commitOffsets([{topic, partition: 0, offset: '1'}])
      const sample = only(await adapter.consumerLag!({filter: group}), group)
      expect(sample).toMatchObject({target: topic, lag: 3, consumers: 1})
      expect(sample.group).toMatchObject({
        type: 'classic',
        protocol: 'classic',
        state: 'Stable',
        members: [{clientId: 'lag-kafka-test', partitions: [0, 1]}],
      })
    } finally {
      await consumer.disconnect()
    }
  })

  it('answers nothing for an unknown group (the lag service turns that into NOT_FOUND)', async () => {
    expect(await adapter.consumerLag!({filter: `no-such-group-${randomUUID()}`})).toEqual([])
  })
})

// Kafka API keys of the requests counted below (the protocol's numbering).
const FETCH = 1
const LIST_GROUPS = 16

/** The requests kafkajs sends to the broker while `fn` runs, by API key (every client of this process). */
async function requestsDuring(fn: () => Promise<unknown>): Promise<Map<number, number>> {
  const Connection = createRequire(import.meta.url)('kafkajs/src/network/connection.js') as {
    prototype: {send(request: {request?: {apiKey?: number}}): Promise<unknown>}
  }
  const send = Connection.prototype.send
  const counts = new Map<number, number>()
  Connection.prototype.send = function (this: unknown, request) {
    const key = request.request?.apiKey ?? -1
    counts.set(key, (counts.get(key) ?? 0) + 1)
    return send.call(this, request)
  }
  try {
    await fn()
  } finally {
    Connection.prototype.send = send
  }
  return counts
}

describe('Kafka reads per refresh', () => {
  it('a check lists and describes the groups once (lag and DLQ discovery share the description)', async () => {
    const topic = await createTopic(1)
    const group = `mailroom-lag-group-${randomUUID()}`
    await produce(topic, 0, 3, Date.now())
    await consumePart(topic, group, {0: 1})
    let result: Awaited<ReturnType<typeof runCheck>> | undefined
    const requests = await requestsDuring(async () => {
      result = await runCheck([adapter], {maxDlqDepth: 1e12, requireConsumers: true}, {dlqSettings: dlqSettings({})})
    })
    // One broker: one ListGroups per description of every group (two before, one for lag and one for the DLQs).
    expect(requests.get(LIST_GROUPS)).toBe(1)
    expect(result!.rows.find((r) => r.consumer === group)).toMatchObject({target: topic, lag: 2})
  })

  it('a group that has not moved costs no Fetch for its lag in seconds on the next snapshot; one that moved does', async () => {
    const topic = await createTopic(1)
    const group = `mailroom-lag-group-${randomUUID()}`
    await produce(topic, 0, 2, Date.now() - 60_000)
    await produce(topic, 0, 2, Date.now())
    await consumePart(topic, group, {0: 1})
    const first = only(await adapter.consumerLag!({filter: group}), group)
    let again: LagSample | undefined
    const requests = await requestsDuring(async () => {
      again = only(await adapter.consumerLag!({filter: group}), group)
    })
    expect(requests.get(FETCH) ?? 0).toBe(0)
    expect(again!.lagSeconds).toBeGreaterThanOrEqual(first.lagSeconds!)
    expect(again!.lagSeconds).toBeGreaterThanOrEqual(59)

    // Committed past the old records: the first unconsumed one is new, read again, and the age drops.
    await admin.setOffsets({groupId: group, topic, partitions: [{partition: 0, offset: '2'}]})
    let moved: LagSample | undefined
    const after = await requestsDuring(async () => {
      moved = only(await adapter.consumerLag!({filter: group}), group)
    })
    expect(after.get(FETCH)).toBeGreaterThanOrEqual(1)
    expect(moved).toMatchObject({lag: 2})
    expect(moved!.lagSeconds).toBeLessThan(50)
  })
})

async function waitUntil(ok: () => boolean, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}
