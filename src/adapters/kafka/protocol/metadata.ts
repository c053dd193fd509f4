// Metadata v5 (API key 3), after apache/kafka's clients/src/main/resources/common/message/Metadata{Request,Response}.json,
// sent by mailroom itself for its listings. kafkajs's own Metadata answer throws when any one partition reports an
// error: a partition whose replicas are all down (LEADER_NOT_AVAILABLE) made every listing of the whole cluster fail.
// Here, as in Kafka's Java clients, such a partition is kept with its error and leader -1; a topic-level error still
// fails the request (a topic that does not exist, or is not yet ready), as kafkajs does.
//   request:  [topics: STRING] (null: every topic), allow_auto_topic_creation BOOLEAN
//   response: throttle_time_ms INT32, [brokers: node_id INT32, host STRING, port INT32, rack NULLABLE_STRING],
//             cluster_id NULLABLE_STRING, controller_id INT32,
//             [topics: error_code INT16, name STRING, is_internal BOOLEAN,
//               [partitions: error_code INT16, partition_index INT32, leader_id INT32, [replica_nodes INT32],
//                [isr_nodes INT32], [offline_replicas INT32]]]
import type {ProtocolRequest} from '../kafkajs-internals.js'
import {FlexibleReader} from './flexible.js'

export const METADATA = {apiKey: 3, apiVersion: 5, apiName: 'Metadata'} as const

/** As kafkajs names them (PartitionMetadata), so the answer replaces admin.fetchTopicMetadata()'s. */
export interface PartitionMetadataAnswer {
  partitionErrorCode: number
  partitionId: number
  /** -1 when the partition has no leader (all its replicas down). */
  leader: number
  replicas: number[]
  isr: number[]
  offlineReplicas: number[]
}

export interface TopicMetadataAnswer {
  topic: string
  isInternal: boolean
  partitionMetadata: PartitionMetadataAnswer[]
}

export interface MetadataAnswer {
  topicMetadata: TopicMetadataAnswer[]
}

/** Kafka's names of the topic-level errors a listing meets (kafkajs's error types, which its callers read). */
const TOPIC_ERRORS: Record<number, string> = {
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  17: 'INVALID_TOPIC_EXCEPTION',
  29: 'TOPIC_AUTHORIZATION_FAILED',
}

/** @param topics undefined: every topic of the cluster. */
export function metadataRequest(topics: string[] | undefined): ProtocolRequest<MetadataAnswer> {
  const names = (topics ?? []).map((t) => Buffer.from(t, 'utf8'))
  const buf = Buffer.allocUnsafe(4 + names.reduce((size, n) => size + 2 + n.length, 0) + 1)
  let at = buf.writeInt32BE(topics ? names.length : -1, 0)
  for (const name of names) {
    at = buf.writeInt16BE(name.length, at)
    at += name.copy(buf, at)
  }
  buf.writeInt8(0, at) // never create a topic by asking about it
  return {
    request: {...METADATA, encode: async () => ({buf, buffer: buf})},
    response: {decode: async (payload) => decodeMetadata(payload), parse: async (answer) => refuseTopicErrors(answer)},
  }
}

function refuseTopicErrors(answer: MetadataAnswer & {topicErrors?: [string, number][]}): MetadataAnswer {
  const [failed] = answer.topicErrors ?? []
  if (!failed) return {topicMetadata: answer.topicMetadata}
  const [topic, code] = failed
  const type = TOPIC_ERRORS[code] ?? `error code ${code}`
  // Shaped as kafkajs's protocol errors: the read's retry and error mapping go by `type`.
  throw Object.assign(new Error(`Kafka error ${type} for topic ${topic}`), {
    name: 'KafkaJSProtocolError',
    type,
    code,
  })
}

function decodeMetadata(payload: Buffer): MetadataAnswer & {topicErrors: [string, number][]} {
  const r = new FlexibleReader(payload)
  r.int32() // throttle_time_ms
  r.array(() => {
    r.int32()
    r.nullableString()
    r.int32()
    r.nullableString()
  })
  r.nullableString() // cluster_id
  r.int32() // controller_id
  const topicErrors: [string, number][] = []
  const topicMetadata = r.array(() => {
    const errorCode = r.int16()
    const topic = r.nullableString() ?? ''
    const isInternal = r.bool()
    const partitionMetadata = r.array(() => ({
      partitionErrorCode: r.int16(),
      partitionId: r.int32(),
      leader: r.int32(),
      replicas: r.array(() => r.int32()),
      isr: r.array(() => r.int32()),
      offlineReplicas: r.array(() => r.int32()),
    }))
    if (errorCode !== 0) topicErrors.push([topic, errorCode])
    return {topic, isInternal, partitionMetadata}
  })
  return {topicMetadata, topicErrors}
}
