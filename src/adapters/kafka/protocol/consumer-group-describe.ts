// ConsumerGroupDescribe v0 (API key 69, KIP-848): describes groups of the new consumer protocol, which the classic
// DescribeGroups answers as Dead with no members. After apache/kafka's
// clients/src/main/resources/common/message/ConsumerGroupDescribe{Request,Response}.json. Flexible in every version.
import {decodeGroupsResponse, FlexibleReader, FlexibleWriter} from './flexible.js'

export const CONSUMER_GROUP_DESCRIBE = {apiKey: 69, apiVersion: 0, apiName: 'ConsumerGroupDescribe'} as const

export interface TopicPartitions {
  topicId: string
  topicName: string
  partitions: number[]
}

export interface DescribedMember {
  memberId: string
  instanceId: string | null
  rackId: string | null
  memberEpoch: number
  clientId: string
  clientHost: string
  subscribedTopicNames: string[]
  subscribedTopicRegex: string | null
  assignment: TopicPartitions[]
  targetAssignment: TopicPartitions[]
}

export interface DescribedGroup {
  errorCode: number
  errorMessage: string | null
  groupId: string
  groupState: string
  groupEpoch: number
  assignmentEpoch: number
  assignorName: string
  members: DescribedMember[]
  authorizedOperations: number
}

export interface ConsumerGroupDescribeResponse {
  throttleTimeMs: number
  groups: DescribedGroup[]
}

/** The request body of ConsumerGroupDescribe, ShareGroupDescribe and StreamsGroupDescribe alike: group ids, a flag. */
export function encodeConsumerGroupDescribeRequest(groupIds: string[], includeAuthorizedOperations = false): Buffer {
  return new FlexibleWriter()
    .compactArray(groupIds, (w, id) => w.compactString(id))
    .bool(includeAuthorizedOperations)
    .emptyTaggedFields()
    .toBuffer()
}

export function decodeConsumerGroupDescribeResponse(body: Buffer): ConsumerGroupDescribeResponse {
  return decodeGroupsResponse(body, readGroupWith(readMember))
}

/** The fields every group-describe response starts a group with (consumer, share and streams groups). */
export function readGroupHead(r: FlexibleReader) {
  return {
    errorCode: r.int16(),
    errorMessage: r.compactNullableString(),
    groupId: r.compactString(),
    groupState: r.compactString(),
    groupEpoch: r.int32(),
    assignmentEpoch: r.int32(),
  }
}

/** A consumer or share group: the same fields, members of its own kind. */
export function readGroupWith<M>(readMember: (r: FlexibleReader) => M) {
  return (r: FlexibleReader) => {
    const group = {
      ...readGroupHead(r),
      assignorName: r.compactString(),
      members: r.compactArray(readMember),
      authorizedOperations: r.int32(),
    }
    r.skipTaggedFields()
    return group
  }
}

function readMember(r: FlexibleReader): DescribedMember {
  const member = {
    memberId: r.compactString(),
    instanceId: r.compactNullableString(),
    rackId: r.compactNullableString(),
    memberEpoch: r.int32(),
    clientId: r.compactString(),
    clientHost: r.compactString(),
    subscribedTopicNames: r.compactArray((t) => t.compactString()),
    subscribedTopicRegex: r.compactNullableString(),
    assignment: readAssignment(r),
    targetAssignment: readAssignment(r),
  }
  r.skipTaggedFields()
  return member
}

/** A member's assignment: topic partitions by topic id and name, in a structure of its own (tagged fields after). */
export function readAssignment(r: FlexibleReader): TopicPartitions[] {
  const topics = r.compactArray((t) => {
    const topic = {topicId: t.uuid(), topicName: t.compactString(), partitions: t.compactArray((p) => p.int32())}
    t.skipTaggedFields()
    return topic
  })
  r.skipTaggedFields()
  return topics
}
