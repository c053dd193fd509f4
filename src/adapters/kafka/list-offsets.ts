// First and end offsets of many topics at once: one Metadata request for exactly those topics, then per partition
// leader one ListOffsets for the ends and one for the starts, where kafkajs's fetchTopicOffsets asks two per
// topic (and refreshes the metadata of every topic it ever asked about). Read-committed ends, as kafkajs asks.
// A topic the metadata or a leader does not know (deleted, leader moving) fails the batch: the caller then asks
// topic by topic, which tells a deleted topic from a failure. A partition without a leader (every replica down) has
// no offsets anyone can read: it is left out and named as offline, and the rest of its topic is answered.
import type {Broker, Kafka} from 'kafkajs'

import {
  brokerApiVersions,
  clusterInternals,
  type ProtocolRequest,
  sendOverBroker,
  sharedCluster,
} from './kafkajs-internals.js'
import {metadataRequest, type MetadataAnswer, type PartitionMetadataAnswer} from './protocol/metadata.js'
import type {PartitionOffsets} from './topics.js'

const LATEST = -1
const EARLIEST = -2
const READ_COMMITTED = 1

/** Each topic's partition offsets; a partition without a leader is left out, and named in `offline`. */
export class TopicOffsets extends Map<string, PartitionOffsets[]> {
  /** Topic -> its partitions that have no leader (offline), in order. */
  readonly offline = new Map<string, number[]>()
}

interface ListOffsetsAnswer {
  responses: {topic: string; partitions: {partition: number; errorCode: number; offset: string}[]}[]
}

type Listing = (o: {
  replicaId: number
  isolationLevel: number
  topics: {topic: string; partitions: {partition: number; timestamp: number}[]}[]
}) => Promise<ListOffsetsAnswer>

/**
 * Offsets of every partition of these topics that has a leader; throws when a topic cannot be answered (it does not
 * exist, or a leader refuses).
 */
export async function batchedTopicOffsets(kafka: Kafka, topics: string[]): Promise<TopicOffsets> {
  return (await offsetsAndMetadata(kafka, topics)).offsets
}

/** The offsets of batchedTopicOffsets, and the topics' partition metadata they were read with (leaders, replicas). */
export async function offsetsAndMetadata(
  kafka: Kafka,
  topics: string[],
): Promise<{offsets: TopicOffsets; metadata: MetadataAnswer['topicMetadata']}> {
  const out = new TopicOffsets()
  if (topics.length === 0) return {offsets: out, metadata: []}
  const internals = clusterInternals(await sharedCluster(kafka))
  const {topicMetadata} = await metadataOf(internals, topics)
  const byLeader = new Map<number, {topic: string; partitions: number[]}[]>()
  for (const t of topicMetadata) {
    out.set(t.topic, [])
    const offline = t.partitionMetadata.filter((p) => p.leader < 0).map((p) => p.partitionId)
    if (offline.length > 0)
      out.offline.set(
        t.topic,
        offline.sort((a, b) => a - b),
      )
    // This topic's entry in each leader's list (a lookup per partition: searching the list was quadratic).
    const entries = new Map<number, {topic: string; partitions: number[]}>()
    for (const p of t.partitionMetadata) {
      if (p.leader < 0) continue
      let entry = entries.get(p.leader)
      if (!entry) {
        entry = {topic: t.topic, partitions: []}
        entries.set(p.leader, entry)
        const list = byLeader.get(p.leader)
        if (list) list.push(entry)
        else byLeader.set(p.leader, [entry])
      }
      entry.partitions.push(p.partitionId)
    }
  }
  const answers = await Promise.all(
    [...byLeader].map(async ([leader, wanted]) => {
      const broker = await internals.findBroker({nodeId: String(leader)})
      const [ends, starts] = await Promise.all([listAt(broker, wanted, LATEST), listAt(broker, wanted, EARLIEST)])
      return {ends, starts}
    }),
  )
  for (const {ends, starts} of answers) {
    for (const [topic, highs] of ends) {
      const lows = starts.get(topic)
      const offsets = out.get(topic)!
      for (const [partition, high] of highs) offsets.push({partition, low: lows?.get(partition) as bigint, high})
    }
  }
  for (const offsets of out.values()) offsets.sort((a, b) => a.partition - b.partition)
  return {offsets: out, metadata: topicMetadata}
}

/**
 * Every topic's partition metadata in one Metadata request, shaped as admin.fetchTopicMetadata() answers, with the
 * partitions that have no leader (leader -1) kept. That one asks twice (kafkajs refreshes its cluster's metadata for
 * all topics first, then asks again): at 2,000 partitions, the replica health of every dashboard refresh decoded the
 * whole cluster's metadata twice; and it fails outright when any partition has no leader.
 */
export async function topicMetadataInOneRequest(
  kafka: Kafka,
): Promise<{topics: {name: string; partitions: PartitionMetadataAnswer[]}[]}> {
  const {topicMetadata} = await metadataOf(clusterInternals(await sharedCluster(kafka)), undefined)
  return {topics: topicMetadata.map((t) => ({name: t.topic, partitions: t.partitionMetadata}))}
}

/** The named topics' partition metadata in one request, the partitions without a leader kept (leader -1). */
export async function namedTopicMetadata(kafka: Kafka, topics: string[]): Promise<MetadataAnswer['topicMetadata']> {
  return (await metadataOf(clusterInternals(await sharedCluster(kafka)), topics)).topicMetadata
}

/** @param topics undefined: every topic. Asked of any broker the client knows. */
async function metadataOf(
  internals: ReturnType<typeof clusterInternals>,
  topics: string[] | undefined,
): Promise<MetadataAnswer> {
  // A client that has not read the cluster's metadata yet (the first call of a command) knows no broker by id.
  if (Object.keys(internals.brokerPool.brokers).length === 0) await internals.refreshMetadata()
  const [anyNode] = Object.keys(internals.brokerPool.brokers)
  return sendOverBroker(await internals.findBroker({nodeId: anyNode!}), metadataRequest(topics))
}

async function listAt(
  broker: Broker,
  wanted: {topic: string; partitions: number[]}[],
  timestamp: number,
): Promise<Map<string, Map<number, bigint>>> {
  const answer =
    (brokerApiVersions(broker, LIST_OFFSETS_KEY)?.maxVersion ?? -1) >= LIST_OFFSETS_VERSION
      ? await sendOverBroker(broker, listOffsetsRequest(wanted, timestamp))
      : await (broker as unknown as {listOffsets: Listing}).listOffsets.bind(broker)({
          replicaId: -1,
          isolationLevel: READ_COMMITTED,
          topics: wanted.map((w) => ({
            topic: w.topic,
            partitions: w.partitions.map((partition) => ({partition, timestamp})),
          })),
        })
  // By topic, then partition (a key string per partition cost a string and a split of it for each of 2,000).
  const out = new Map<string, Map<number, bigint>>()
  for (const t of answer.responses) {
    let offsets = out.get(t.topic)
    if (!offsets) out.set(t.topic, (offsets = new Map()))
    for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new Error(`${t.topic}/${p.partition}: Kafka error code ${p.errorCode}`)
      offsets.set(p.partition, BigInt(p.offset))
    }
  }
  return out
}

const LIST_OFFSETS_KEY = 2
/** The version kafkajs 2.2.4 sends (and every broker since 0.11 answers). */
const LIST_OFFSETS_VERSION = 2

/**
 * ListOffsets v2, encoded into one buffer: kafkajs's encoder allocates (and zero-fills) a 512-byte buffer per
 * partition and per topic and copies each into the next; a dashboard refresh asked twice for 2,000 partitions.
 *   request:  replica_id INT32, isolation_level INT8, [topic STRING, [partition INT32, timestamp INT64]]
 *   response: throttle_time_ms INT32, [topic STRING, [partition INT32, error_code INT16, timestamp INT64, offset INT64]]
 */
function listOffsetsRequest(
  wanted: {topic: string; partitions: number[]}[],
  timestamp: number,
): ProtocolRequest<ListOffsetsAnswer> {
  const names = wanted.map((w) => Buffer.from(w.topic, 'utf8'))
  let size = 4 + 1 + 4
  for (const [i, w] of wanted.entries()) size += 2 + names[i]!.length + 4 + w.partitions.length * 12
  const buf = Buffer.allocUnsafe(size)
  let at = buf.writeInt32BE(-1, 0)
  at = buf.writeInt8(READ_COMMITTED, at)
  at = buf.writeInt32BE(wanted.length, at)
  for (const [i, w] of wanted.entries()) {
    at = buf.writeInt16BE(names[i]!.length, at)
    at += names[i]!.copy(buf, at)
    at = buf.writeInt32BE(w.partitions.length, at)
    for (const partition of w.partitions) {
      at = buf.writeInt32BE(partition, at)
      at = buf.writeBigInt64BE(BigInt(timestamp), at)
    }
  }
  return {
    request: {
      apiKey: LIST_OFFSETS_KEY,
      apiVersion: LIST_OFFSETS_VERSION,
      apiName: 'ListOffsets',
      encode: async () => ({buf, buffer: buf}),
    },
    response: {decode: async (payload) => decodeListOffsets(payload), parse: async (decoded) => decoded},
  }
}

function decodeListOffsets(payload: Buffer): ListOffsetsAnswer & {throttleTime: number} {
  let at = 0
  const throttleTime = payload.readInt32BE(at)
  at += 4
  const responses: ListOffsetsAnswer['responses'] = []
  const topics = payload.readInt32BE(at)
  at += 4
  for (let t = 0; t < topics; t++) {
    const length = payload.readInt16BE(at)
    at += 2
    const topic = payload.toString('utf8', at, at + length)
    at += length
    const count = payload.readInt32BE(at)
    at += 4
    const partitions: ListOffsetsAnswer['responses'][number]['partitions'] = []
    for (let p = 0; p < count; p++) {
      partitions.push({
        partition: payload.readInt32BE(at),
        errorCode: payload.readInt16BE(at + 4),
        offset: payload.readBigInt64BE(at + 14).toString(),
      })
      at += 22
    }
    responses.push({topic, partitions})
  }
  return {throttleTime, responses}
}
