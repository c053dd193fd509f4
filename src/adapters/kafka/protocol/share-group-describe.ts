// ShareGroupDescribe v1 (API key 77, KIP-932): share groups, their state, epochs, assignor and members (Kafka 4.1
// answers v1 only). After apache/kafka's clients/src/main/resources/common/message/ShareGroupDescribe{Request,
// Response}.json. The request is ConsumerGroupDescribe's (group ids, include authorized operations).
import {readAssignment, readGroupWith, type TopicPartitions} from './consumer-group-describe.js'
import {decodeGroupsResponse, type FlexibleReader} from './flexible.js'

export const SHARE_GROUP_DESCRIBE = {apiKey: 77, apiVersion: 1, apiName: 'ShareGroupDescribe'} as const

export interface ShareMember {
  memberId: string
  rackId: string | null
  memberEpoch: number
  clientId: string
  clientHost: string
  subscribedTopicNames: string[]
  assignment: TopicPartitions[]
}

export interface DescribedShareGroup {
  errorCode: number
  errorMessage: string | null
  groupId: string
  groupState: string
  groupEpoch: number
  assignmentEpoch: number
  assignorName: string
  members: ShareMember[]
  authorizedOperations: number
}

export function decodeShareGroupDescribeResponse(body: Buffer): {
  throttleTimeMs: number
  groups: DescribedShareGroup[]
} {
  return decodeGroupsResponse(body, readGroupWith(readMember))
}

function readMember(r: FlexibleReader): ShareMember {
  const member = {
    memberId: r.compactString(),
    rackId: r.compactNullableString(),
    memberEpoch: r.int32(),
    clientId: r.compactString(),
    clientHost: r.compactString(),
    subscribedTopicNames: r.compactArray((t) => t.compactString()),
    assignment: readAssignment(r),
  }
  r.skipTaggedFields()
  return member
}
