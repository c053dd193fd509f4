// Offsets reads on an admin whose cached metadata goes stale under them. kafkajs's fetchTopicOffsets and
// fetchTopicOffsetsByTimestamp look the partitions' leaders up in the admin's metadata again for each of their two
// requests; another read on the same admin (mailroom reads many topics at once on one admin) that replaces that
// metadata in between makes them throw a TypeError. Every answer is compared with Kafka's own Admin client
// (kafka-truth.ts), never with kafkajs.
import {randomUUID} from 'node:crypto'
import {type Admin, Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {startPositions} from '../../src/adapters/kafka/positions.js'
import {partitionOffsets} from '../../src/adapters/kafka/topics.js'
import {kafkaOffsets, topicRecords} from '../conformance/kafka-truth.js'

vi.setConfig({testTimeout: 180_000})

const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
const PARTITIONS = 3
/** Reads raced against a metadata refresh: each one failed before, so a handful proves the retry. */
const RACES = 12
let admin: Admin
let setup: Admin
const created: string[] = []

beforeAll(async () => {
  admin = kafka.admin()
  setup = kafka.admin()
  await Promise.all([admin.connect(), setup.connect()])
})

afterAll(async () => {
  await setup.deleteTopics({topics: created}).catch(() => undefined)
  await Promise.allSettled([admin.disconnect(), setup.disconnect()])
})

async function createTopics(count: number, partitions = PARTITIONS): Promise<string[]> {
  const topics = Array.from({length: count}, () => `correctness-stale-${randomUUID()}`)
  await setup.createTopics({topics: topics.map((topic) => ({topic, numPartitions: partitions})), waitForLeaders: true})
  created.push(...topics)
  return topics
}

const OLD = Date.now() - 3_600_000
const NEW = OLD + 60_000

/** A topic whose partitions each hold records written at OLD, then records written at NEW. */
async function topicWithRecords(): Promise<string> {
  const [topic] = await createTopics(1)
  const producer = kafka.producer()
  await producer.connect()
  const messages = Array.from({length: 12}, (_, i) => ({
    value: `m-${i}`,
    partition: i % PARTITIONS,
    timestamp: String(i < 6 ? OLD : NEW),
  }))
  await producer.send({topic: topic!, acks: -1, messages})
  await producer.disconnect()
  return topic!
}

/** The earliest and latest offset of each partition, by partition number, as Kafka's own Admin client reads them. */
async function truth(topic: string): Promise<Record<string, [number, number]>> {
  return (await kafkaOffsets([topic])).topics[topic]!
}

/** Runs read while the same admin loads the metadata of a topic it has not seen, replacing what it cached. */
async function racedWithMetadataRefresh<T>(read: () => Promise<T>, other: string): Promise<T> {
  const [result] = await Promise.all([
    read(),
    new Promise((resolve) => setImmediate(resolve)).then(() => admin.fetchTopicMetadata({topics: [other]})),
  ])
  return result
}

describe('Kafka offsets reads on stale metadata', () => {
  it('partition offsets are right when another read replaces the metadata in between', async () => {
    const topic = await topicWithRecords()
    const others = await createTopics(RACES, 1)
    const expected = await truth(topic)
    for (const other of others) {
      const offsets = await racedWithMetadataRefresh(() => partitionOffsets(admin, topic), other)
      const byPartition = Object.fromEntries(offsets.map((o) => [o.partition, [Number(o.low), Number(o.high)]]))
      expect(byPartition).toEqual(expected)
    }
  })

  it('--from <time> start positions are right when another read replaces the metadata in between', async () => {
    const topic = await topicWithRecords()
    const others = await createTopics(RACES, 1)
    // Each partition's first record written at NEW or later, as Kafka's own consumer reads the records.
    const firstNew: Record<string, number> = {}
    for (const r of await topicRecords(topic))
      if (r.timestamp >= NEW) firstNew[r.partition] = Math.min(firstNew[r.partition] ?? Infinity, Number(r.offset))
    expect(Object.keys(firstNew)).toHaveLength(PARTITIONS)
    const offsets = await partitionOffsets(admin, topic)
    const from = {kind: 'time' as const, value: new Date(NEW)}
    for (const other of others) {
      const starts = await racedWithMetadataRefresh(() => startPositions(admin, topic, offsets, from, undefined), other)
      expect(Object.fromEntries([...starts].map(([partition, offset]) => [partition, Number(offset)]))).toEqual(
        firstNew,
      )
    }
  })

  it('offsets are right after the topic was deleted and made again with another partition count', async () => {
    const topic = await topicWithRecords()
    expect((await partitionOffsets(admin, topic)).length).toBe(PARTITIONS)
    await setup.deleteTopics({topics: [topic]})
    await vi.waitFor(async () => expect(await setup.listTopics()).not.toContain(topic), {timeout: 30_000})
    await setup.createTopics({topics: [{topic, numPartitions: PARTITIONS + 2}], waitForLeaders: true})
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({topic, acks: -1, messages: [{value: 'again', partition: PARTITIONS + 1}]})
    await producer.disconnect()
    const offsets = await partitionOffsets(admin, topic)
    const byPartition = Object.fromEntries(offsets.map((o) => [o.partition, [Number(o.low), Number(o.high)]]))
    expect(byPartition).toEqual(await truth(topic))
  })
})
