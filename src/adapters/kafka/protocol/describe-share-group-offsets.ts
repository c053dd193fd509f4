// DescribeShareGroupOffsets v0 (API key 90, KIP-932): the share-partition start offset of each partition a share
// group consumes, the offset Kafka's kafka-share-groups --describe shows as START-OFFSET. After apache/kafka's
// clients/src/main/resources/common/message/DescribeShareGroupOffsets{Request,Response}.json.
import {FlexibleReader, FlexibleWriter} from './flexible.js'

export const DESCRIBE_SHARE_GROUP_OFFSETS = {apiKey: 90, apiVersion: 0, apiName: 'DescribeShareGroupOffsets'} as const

export interface SharePartitionOffset {
  partition: number
  /** -1 when the share partition was never initialized. */
  startOffset: bigint
  leaderEpoch: number
  errorCode: number
  errorMessage: string | null
}

export interface ShareGroupOffsets {
  groupId: string
  topics: {topicName: string; topicId: string; partitions: SharePartitionOffset[]}[]
  errorCode: number
  errorMessage: string | null
}

/** Every topic each group consumes (a null topic list), as Kafka's own tool asks. */
export function encodeDescribeShareGroupOffsetsRequest(groupIds: string[]): Buffer {
  return new FlexibleWriter()
    .compactArray(groupIds, (w, id) => w.compactString(id).uvarint(0).emptyTaggedFields())
    .emptyTaggedFields()
    .toBuffer()
}

export function decodeDescribeShareGroupOffsetsResponse(body: Buffer): {
  throttleTimeMs: number
  groups: ShareGroupOffsets[]
} {
  const r = new FlexibleReader(body)
  const throttleTimeMs = r.int32()
  const groups = r.compactArray((g) => {
    const group = {
      groupId: g.compactString(),
      topics: g.compactArray(readTopic),
      errorCode: g.int16(),
      errorMessage: g.compactNullableString(),
    }
    g.skipTaggedFields()
    return group
  })
  r.skipTaggedFields()
  return {throttleTimeMs, groups}
}

function readTopic(r: FlexibleReader): ShareGroupOffsets['topics'][number] {
  const topic = {topicName: r.compactString(), topicId: r.uuid(), partitions: r.compactArray(readPartition)}
  r.skipTaggedFields()
  return topic
}

function readPartition(r: FlexibleReader): SharePartitionOffset {
  const partition = {
    partition: r.int32(),
    startOffset: r.int64(),
    leaderEpoch: r.int32(),
    errorCode: r.int16(),
    errorMessage: r.compactNullableString(),
  }
  r.skipTaggedFields()
  return partition
}
