// ListGroups v5 (API key 16; KIP-848 added the group type in v5, KIP-518 the state in v4), after apache/kafka's
// clients/src/main/resources/common/message/ListGroups{Request,Response}.json. Flexible from v3.
import {FlexibleReader, FlexibleWriter} from './flexible.js'

export const LIST_GROUPS = {apiKey: 16, apiVersion: 5, apiName: 'ListGroups'} as const

export interface ListedGroup {
  groupId: string
  protocolType: string
  groupState: string
  /** classic, consumer, share, streams (a broker may add more). */
  groupType: string
}

export interface ListGroupsResponse {
  throttleTimeMs: number
  errorCode: number
  groups: ListedGroup[]
}

/** Empty filters: every group, with its state and type. */
export function encodeListGroupsRequest(o: {statesFilter?: string[]; typesFilter?: string[]} = {}): Buffer {
  return new FlexibleWriter()
    .compactArray(o.statesFilter ?? [], (w, s) => w.compactString(s))
    .compactArray(o.typesFilter ?? [], (w, t) => w.compactString(t))
    .emptyTaggedFields()
    .toBuffer()
}

export function decodeListGroupsResponse(body: Buffer): ListGroupsResponse {
  const r = new FlexibleReader(body)
  const throttleTimeMs = r.int32()
  const errorCode = r.int16()
  const groups = r.compactArray((g) => {
    const group = {
      groupId: g.compactString(),
      protocolType: g.compactString(),
      groupState: g.compactString(),
      groupType: g.compactString(),
    }
    g.skipTaggedFields()
    return group
  })
  r.skipTaggedFields()
  return {throttleTimeMs, errorCode, groups}
}
