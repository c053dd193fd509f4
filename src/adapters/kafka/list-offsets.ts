// First and end offsets of many topics at once: one Metadata request for exactly those topics, then per partition
// leader one ListOffsets for the ends and one for the starts, where kafkajs's fetchTopicOffsets asks two per
// topic (and refreshes the metadata of every topic it ever asked about). Read-committed ends, as kafkajs asks.
// A topic the metadata or a leader does not know (deleted, leader moving) fails the batch: the caller then asks
// topic by topic, which tells a deleted topic from a failure.
import type {Broker, Kafka} from 'kafkajs'

import {clusterInternals, sharedCluster} from './kafkajs-internals.js'
import type {PartitionOffsets} from './topics.js'

const LATEST = -1
const EARLIEST = -2
const READ_COMMITTED = 1

interface TopicMetadata {
  topicMetadata: {topic: string; partitionMetadata: {partitionId: number; leader: number}[]}[]
}

interface ListOffsetsAnswer {
  responses: {topic: string; partitions: {partition: number; errorCode: number; offset: string}[]}[]
}

type Listing = (o: {
  replicaId: number
  isolationLevel: number
  topics: {topic: string; partitions: {partition: number; timestamp: number}[]}[]
}) => Promise<ListOffsetsAnswer>

/** Offsets of every partition of these topics; throws when any topic or partition cannot be answered. */
export async function batchedTopicOffsets(kafka: Kafka, topics: string[]): Promise<Map<string, PartitionOffsets[]>> {
  if (topics.length === 0) return new Map()
  const internals = clusterInternals(await sharedCluster(kafka))
  const [anyNode] = Object.keys(internals.brokerPool.brokers)
  const any = await internals.findBroker({nodeId: anyNode!})
  const {topicMetadata} = (await (any as unknown as {metadata(t: string[]): Promise<TopicMetadata>}).metadata(
    topics,
  )) as TopicMetadata
  const byLeader = new Map<number, {topic: string; partitions: number[]}[]>()
  for (const t of topicMetadata) {
    for (const p of t.partitionMetadata) {
      if (p.leader < 0) throw new Error(`${t.topic}/${p.partitionId} has no leader`)
      const list = byLeader.get(p.leader) ?? []
      const entry = list.find((e) => e.topic === t.topic) ?? list[list.push({topic: t.topic, partitions: []}) - 1]!
      entry.partitions.push(p.partitionId)
      byLeader.set(p.leader, list)
    }
  }
  const answers = await Promise.all(
    [...byLeader].map(async ([leader, wanted]) => {
      const broker = await internals.findBroker({nodeId: String(leader)})
      const [ends, starts] = await Promise.all([listAt(broker, wanted, LATEST), listAt(broker, wanted, EARLIEST)])
      return {ends, starts}
    }),
  )
  const out = new Map<string, PartitionOffsets[]>(topicMetadata.map((t) => [t.topic, []]))
  for (const {ends, starts} of answers) {
    for (const [key, high] of ends) {
      const [topic, partition] = splitKey(key)
      out.get(topic)!.push({partition, low: starts.get(key)!, high})
    }
  }
  for (const offsets of out.values()) offsets.sort((a, b) => a.partition - b.partition)
  return out
}

async function listAt(
  broker: Broker,
  wanted: {topic: string; partitions: number[]}[],
  timestamp: number,
): Promise<Map<string, bigint>> {
  const list = (broker as unknown as {listOffsets: Listing}).listOffsets.bind(broker)
  const answer = await list({
    replicaId: -1,
    isolationLevel: READ_COMMITTED,
    topics: wanted.map((w) => ({
      topic: w.topic,
      partitions: w.partitions.map((partition) => ({partition, timestamp})),
    })),
  })
  const out = new Map<string, bigint>()
  for (const t of answer.responses) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new Error(`${t.topic}/${p.partition}: Kafka error code ${p.errorCode}`)
      out.set(`${p.partition}/${t.topic}`, BigInt(p.offset))
    }
  }
  return out
}

function splitKey(key: string): [string, number] {
  const slash = key.indexOf('/')
  return [key.slice(slash + 1), Number(key.slice(0, slash))]
}
