// kafkajs's Produce request v3 (which v4 to v7 reuse), as kafkajs writes it, except that each record is encoded from
// its fields instead of from a copy of the whole message object spread per record (an eighth of a replay's time).
import type {RecordInput} from './record-encoder.js'

/** The kafkajs internals the request is made of (CommonJS, untyped). */
export interface ProduceInternals {
  Long: {fromInt(n: number): unknown}
  Encoder: new () => KafkaEncoder
  apiKey: number
  noCompression: number
  RecordBatch(o: object): Promise<KafkaEncoder>
  Record(r: RecordInput): unknown
}

interface KafkaEncoder {
  writeString(s: string | null): KafkaEncoder
  writeInt16(n: number): KafkaEncoder
  writeInt32(n: number): KafkaEncoder
  writeArray(a: unknown[]): KafkaEncoder
  writeEncoder(e: KafkaEncoder): KafkaEncoder
  size(): number
}

interface ProduceMessage {
  key?: RecordInput['key']
  value?: RecordInput['value']
  headers?: RecordInput['headers']
  timestamp?: string | number
}

interface PartitionData {
  partition: number
  messages: ProduceMessage[]
  firstSequence?: number
}

interface TopicData {
  topic: string
  partitions: PartitionData[]
}

interface ProduceRequestInput {
  acks: number
  timeout: number
  transactionalId?: string | null
  producerId?: unknown
  producerEpoch?: number
  compression?: number
  topicData: TopicData[]
}

/** The kafkajs modules the request is made of, by their path under kafkajs's src/ (the record encoder, patched). */
const PRODUCE_MODULES = {
  Long: 'utils/long.js',
  Encoder: 'protocol/encoder.js',
  apiKeys: 'protocol/requests/apiKeys.js',
  compression: 'protocol/message/compression/index.js',
  recordBatch: 'protocol/recordBatch/v0/index.js',
  Record: 'protocol/recordBatch/record/v0/index.js',
}
export const PRODUCE_REQUEST_LOADS = Object.values(PRODUCE_MODULES)

/** Takes the internals from kafkajs's modules, each loaded by its path under src/. */
export function loadProduceInternals(load: (module: string) => unknown): ProduceInternals {
  const m = PRODUCE_MODULES
  return {
    Long: load(m.Long) as ProduceInternals['Long'],
    Encoder: load(m.Encoder) as ProduceInternals['Encoder'],
    apiKey: (load(m.apiKeys) as {Produce: number}).Produce,
    noCompression: (load(m.compression) as {Types: {None: number}}).Types.None,
    RecordBatch: (load(m.recordBatch) as {RecordBatch: ProduceInternals['RecordBatch']}).RecordBatch,
    Record: load(m.Record) as ProduceInternals['Record'],
  }
}

export function produceRequestV3(k: ProduceInternals) {
  return ({
    acks,
    timeout,
    transactionalId = null,
    producerId = k.Long.fromInt(-1),
    producerEpoch = 0,
    compression = k.noCompression,
    topicData,
  }: ProduceRequestInput) => ({
    apiKey: k.apiKey,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => acks !== 0,
    encode: async () => {
      const topics: KafkaEncoder[] = []
      for (const {topic, partitions} of topicData) {
        const encoded: KafkaEncoder[] = []
        for (const data of partitions)
          encoded.push(await encodePartition(k, data, {compression, transactionalId, producerId, producerEpoch}))
        topics.push(new k.Encoder().writeString(topic).writeArray(encoded))
      }
      return new k.Encoder().writeString(transactionalId).writeInt16(acks).writeInt32(timeout).writeArray(topics)
    },
  })
}

interface BatchOptions {
  compression: number
  transactionalId: string | null
  producerId: unknown
  producerEpoch: number
}

async function encodePartition(
  k: ProduceInternals,
  {partition, messages, firstSequence}: PartitionData,
  o: BatchOptions,
): Promise<KafkaEncoder> {
  const dateNow = Date.now()
  // As kafkajs does: the batch's first and last timestamps from a default (string-wise) sort.
  const stamped = messages.map((m) => m.timestamp).filter((t) => t != null)
  const timestamps = stamped.length === 0 ? [dateNow] : stamped.sort()
  const firstTimestamp = Number(timestamps[0])
  const records = messages.map((m, i) =>
    k.Record({
      key: m.key,
      value: m.value,
      headers: m.headers,
      offsetDelta: i,
      timestampDelta: Number(m.timestamp || dateNow) - firstTimestamp,
    }),
  )
  const recordBatch = await k.RecordBatch({
    compression: o.compression,
    records,
    firstTimestamp: timestamps[0],
    maxTimestamp: timestamps.at(-1),
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    firstSequence,
    transactional: !!o.transactionalId,
    lastOffsetDelta: records.length - 1,
  })
  return new k.Encoder().writeInt32(partition).writeInt32(recordBatch.size()).writeEncoder(recordBatch)
}
