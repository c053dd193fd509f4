// StreamsGroupDescribe v0 (API key 89, KIP-1071): streams groups of Kafka Streams apps (group.protocol=streams),
// their state, epochs, topology (subtopologies and their source topics) and members with the tasks assigned to them.
// In Kafka 4.1 an early-access API the broker advertises only with unstable.api.versions.enable. After apache/kafka's
// clients/src/main/resources/common/message/StreamsGroupDescribe{Request,Response}.json. The request is
// ConsumerGroupDescribe's (group ids, include authorized operations).
import {decodeGroupsResponse, type FlexibleReader} from './flexible.js'
import {readGroupHead} from './consumer-group-describe.js'

export const STREAMS_GROUP_DESCRIBE = {apiKey: 89, apiVersion: 0, apiName: 'StreamsGroupDescribe'} as const

export interface Subtopology {
  subtopologyId: string
  sourceTopics: string[]
  repartitionSinkTopics: string[]
  /** Internal topics: names only (their partition count and configs are skipped). */
  stateChangelogTopics: string[]
  repartitionSourceTopics: string[]
}

export interface TaskIds {
  subtopologyId: string
  partitions: number[]
}

export interface StreamsMember {
  memberId: string
  memberEpoch: number
  instanceId: string | null
  rackId: string | null
  clientId: string
  clientHost: string
  topologyEpoch: number
  processId: string
  activeTasks: TaskIds[]
  standbyTasks: TaskIds[]
  warmupTasks: TaskIds[]
  isClassic: boolean
}

export interface DescribedStreamsGroup {
  errorCode: number
  errorMessage: string | null
  groupId: string
  groupState: string
  groupEpoch: number
  assignmentEpoch: number
  /** Null while the group has no topology yet. */
  subtopologies: Subtopology[] | null
  members: StreamsMember[]
  authorizedOperations: number
}

export function decodeStreamsGroupDescribeResponse(body: Buffer): {
  throttleTimeMs: number
  groups: DescribedStreamsGroup[]
} {
  return decodeGroupsResponse(body, readGroup)
}

function readGroup(r: FlexibleReader): DescribedStreamsGroup {
  const head = readGroupHead(r)
  const subtopologies = readTopology(r)
  const group = {...head, subtopologies, members: r.compactArray(readMember), authorizedOperations: r.int32()}
  r.skipTaggedFields()
  return group
}

/** A nullable struct: a signed byte, -1 for null, then the structure. */
function readTopology(r: FlexibleReader): Subtopology[] | null {
  if (r.int8() < 0) return null
  r.int32() // topology epoch
  const subtopologies = r.compactArray((s) => {
    const subtopology = {
      subtopologyId: s.compactString(),
      sourceTopics: s.compactArray((t) => t.compactString()),
      repartitionSinkTopics: s.compactArray((t) => t.compactString()),
      stateChangelogTopics: s.compactArray(readTopicInfo),
      repartitionSourceTopics: s.compactArray(readTopicInfo),
    }
    s.skipTaggedFields()
    return subtopology
  })
  r.skipTaggedFields()
  return subtopologies
}

function readTopicInfo(r: FlexibleReader): string {
  const name = r.compactString()
  r.int32() // partitions
  r.int16() // replication factor
  r.compactArray(readKeyValue) // topic configs
  r.skipTaggedFields()
  return name
}

function readKeyValue(r: FlexibleReader): [string, string] {
  const pair: [string, string] = [r.compactString(), r.compactString()]
  r.skipTaggedFields()
  return pair
}

function readMember(r: FlexibleReader): StreamsMember {
  const head = {
    memberId: r.compactString(),
    memberEpoch: r.int32(),
    instanceId: r.compactNullableString(),
    rackId: r.compactNullableString(),
    clientId: r.compactString(),
    clientHost: r.compactString(),
    topologyEpoch: r.int32(),
    processId: r.compactString(),
  }
  readEndpoint(r)
  r.compactArray(readKeyValue) // client tags
  r.compactArray(readTaskOffset) // task offsets
  r.compactArray(readTaskOffset) // task end offsets
  const assignment = readAssignment(r)
  readAssignment(r) // target assignment
  const member = {...head, ...assignment, isClassic: r.bool()}
  r.skipTaggedFields()
  return member
}

/** The member's user endpoint (interactive queries): a nullable struct. */
function readEndpoint(r: FlexibleReader): void {
  if (r.int8() < 0) return
  r.compactString()
  r.uint16()
  r.skipTaggedFields()
}

function readTaskOffset(r: FlexibleReader): void {
  r.compactString()
  r.int32()
  r.int64()
  r.skipTaggedFields()
}

function readAssignment(r: FlexibleReader): Pick<StreamsMember, 'activeTasks' | 'standbyTasks' | 'warmupTasks'> {
  const tasks = () => r.compactArray(readTaskIds)
  const assignment = {activeTasks: tasks(), standbyTasks: tasks(), warmupTasks: tasks()}
  r.skipTaggedFields()
  return assignment
}

function readTaskIds(r: FlexibleReader): TaskIds {
  const ids = {subtopologyId: r.compactString(), partitions: r.compactArray((p) => p.int32())}
  r.skipTaggedFields()
  return ids
}
