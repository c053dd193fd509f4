// OffsetFetch v8 (API key 9; KIP-709 made it take several groups in one request), after apache/kafka's
// clients/src/main/resources/common/message/OffsetFetch{Request,Response}.json. Flexible from v6. kafkajs sends one
// request per group (v1-v5); this asks a coordinator for all of its groups' commits at once.
import {FlexibleReader, FlexibleWriter} from './flexible.js'

export const OFFSET_FETCH = {apiKey: 9, apiVersion: 8, apiName: 'OffsetFetch'} as const

export interface FetchedGroupOffsets {
  groupId: string
  errorCode: number
  /** Every committed partition of the group (the request asks for all topics): offset -1 means none. */
  topics: {topic: string; partitions: {partition: number; offset: bigint; errorCode: number}[]}[]
}

/** All topics of each group (a null topic list), committed offsets as they stand (RequireStable false). */
export function encodeOffsetFetchRequest(groupIds: string[]): Buffer {
  return new FlexibleWriter()
    .compactArray(groupIds, (w, groupId) => w.compactString(groupId).nullArray().emptyTaggedFields())
    .bool(false)
    .emptyTaggedFields()
    .toBuffer()
}

export function decodeOffsetFetchResponse(body: Buffer): FetchedGroupOffsets[] {
  const r = new FlexibleReader(body)
  r.int32() // throttle time
  const groups = r.compactArray((g) => {
    const groupId = g.compactString()
    const topics = g.compactArray((t) => {
      const topic = t.compactString()
      const partitions = t.compactArray((p) => {
        const partition = p.int32()
        const offset = p.int64()
        p.int32() // committed leader epoch
        p.compactNullableString() // metadata
        const errorCode = p.int16()
        p.skipTaggedFields()
        return {partition, offset, errorCode}
      })
      t.skipTaggedFields()
      return {topic, partitions}
    })
    const errorCode = g.int16()
    g.skipTaggedFields()
    return {groupId, errorCode, topics}
  })
  r.skipTaggedFields()
  return groups
}
