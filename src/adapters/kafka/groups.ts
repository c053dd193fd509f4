// Every group the cluster knows, with its type, state and members, for every group type of Kafka 4. Each broker
// lists the groups it coordinates (ListGroups v5: type and state), so the descriptions go, batched, to the broker
// that listed them: DescribeGroups for classic groups (kafkajs), ConsumerGroupDescribe for groups of the new
// consumer protocol (KIP-848), which DescribeGroups answers as Dead with no members, ShareGroupDescribe (and
// DescribeShareGroupOffsets) for share groups (KIP-932) and StreamsGroupDescribe for streams groups (KIP-1071).
// A group of a type the broker cannot describe (no such API version) is listed with its type and state only.
import type {Broker, Cluster, GroupDescription, Kafka} from 'kafkajs'
import type {ConsumerGroupFacts, KafkaGroupType} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {AssignerProtocol} from './driver.js'
import {brokerApiVersions, clusterInternals, sharedCluster} from './kafkajs-internals.js'
import {
  CONSUMER_GROUP_DESCRIBE,
  type DescribedGroup,
  decodeConsumerGroupDescribeResponse,
  encodeConsumerGroupDescribeRequest,
} from './protocol/consumer-group-describe.js'
import {
  DESCRIBE_SHARE_GROUP_OFFSETS,
  decodeDescribeShareGroupOffsetsResponse,
  encodeDescribeShareGroupOffsetsRequest,
} from './protocol/describe-share-group-offsets.js'
import {
  decodeListGroupsResponse,
  encodeListGroupsRequest,
  LIST_GROUPS,
  type ListedGroup,
} from './protocol/list-groups.js'
import {type FlexibleApi, sendFlexible} from './protocol/send.js'
import {
  type DescribedShareGroup,
  decodeShareGroupDescribeResponse,
  SHARE_GROUP_DESCRIBE,
} from './protocol/share-group-describe.js'
import {
  type DescribedStreamsGroup,
  decodeStreamsGroupDescribeResponse,
  STREAMS_GROUP_DESCRIBE,
} from './protocol/streams-group-describe.js'

/** The two protocols a Kafka consumer group can speak (group.protocol=classic|consumer). */
export type GroupProtocol = 'classic' | 'consumer'

export interface GroupMember {
  memberId: string
  clientId: string
  host: string
  instanceId?: string
  /** Topics the member subscribed to by name. */
  subscribed: string[]
  /** Partitions assigned to the member now, per topic. */
  assignment: {topic: string; partitions: number[]}[]
}

export interface KafkaGroup {
  groupId: string
  /** The group type the broker lists: classic, consumer, share, streams (a later broker may list more). */
  type: string
  /** The consumer protocol of a consumer group; undefined for share, streams, Connect and other groups. */
  protocol?: GroupProtocol
  /** Share groups: the share-partition start offset of each partition (topic -> partition -> offset), as Kafka reports it. */
  shareStartOffsets?: Map<string, Map<number, number>>
  /** Empty, Stable, PreparingRebalance, Reconciling, Assigning, Dead... as the broker says. */
  state: string
  /** Assignor (classic: the chosen protocol, e.g. range; consumer: the server-side assignor, e.g. uniform). */
  assignor?: string
  /** The group epoch (not for classic groups: DescribeGroups does not tell the generation). */
  epoch?: number
  members: GroupMember[]
  /** True once described (members known); false for a group only listed. */
  described: boolean
  /** The node id of the broker that listed it: its coordinator (where its offsets are asked for). */
  coordinator?: number
}

const GROUP_ID_NOT_FOUND = 69
/** The group moved or its coordinator is loading: ask the coordinator again. */
const COORDINATOR_ERRORS = new Set([14, 15, 16])

/** A group consumers commit offsets for: classic groups of the consumer protocol (or none: offsets only), and new ones. */
export function isConsumerGroup(g: Pick<KafkaGroup, 'protocol'>): boolean {
  return g.protocol !== undefined
}

/** A group whose lag is its committed offsets: consumer groups of both protocols and streams groups (Kafka Streams commits). */
export function commitsOffsets(g: KafkaGroup): boolean {
  return isConsumerGroup(g) || (g.type === 'streams' && g.described)
}

/** A share group mailroom could describe (its members and share-partition start offsets). */
export function isDescribedShareGroup(g: KafkaGroup): boolean {
  return g.type === 'share' && g.described
}

/** A group mailroom reports on: consumer, streams and share groups it could describe. */
export function isReportedGroup(g: KafkaGroup): boolean {
  return commitsOffsets(g) || isDescribedShareGroup(g)
}

/** Topics a group's members are subscribed to by name or assigned partitions of (and a share group's offsets are on). */
export function memberTopics(g: KafkaGroup): Set<string> {
  return new Set([
    ...g.members.flatMap((m) => [...m.subscribed, ...m.assignment.map((a) => a.topic)]),
    ...(g.shareStartOffsets?.keys() ?? []),
  ])
}

/** A group as seen from one topic: its members there (assigned or subscribed; an assignment may be coming). */
export function groupOnTopic(g: KafkaGroup, topic: string): ConsumerGroupFacts {
  const members = g.members.filter((m) => m.subscribed.includes(topic) || m.assignment.some((a) => a.topic === topic))
  return {
    type: g.type as KafkaGroupType,
    ...(g.protocol ? {protocol: g.protocol} : {}),
    state: g.state,
    ...(g.assignor ? {assignor: g.assignor} : {}),
    ...(g.epoch === undefined ? {} : {epoch: g.epoch}),
    members: members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.host,
      ...(m.instanceId === undefined ? {} : {instanceId: m.instanceId}),
      partitions: m.assignment.find((a) => a.topic === topic)?.partitions ?? [],
    })),
  }
}

/** Every group of every broker, with members for consumer groups (others are listed, not described). */
export async function describeAllGroups(kafka: Kafka): Promise<KafkaGroup[]> {
  const cluster = await sharedCluster(kafka)
  const listed = await listGroupsPerBroker(cluster)
  const described = await Promise.all(
    listed.map(async ({broker, nodeId, groups}) =>
      (await describeAt(cluster, broker, groups)).map((g) => ({...g, coordinator: nodeId})),
    ),
  )
  return described.flat().sort((a, b) => a.groupId.localeCompare(b.groupId))
}

async function listGroupsPerBroker(
  cluster: Cluster,
): Promise<{broker: Broker; nodeId: number; groups: ListedGroup[]}[]> {
  const internals = clusterInternals(cluster)
  await internals.refreshMetadata()
  return Promise.all(
    Object.keys(internals.brokerPool.brokers).map(async (nodeId) => {
      const broker = await internals.findBroker({nodeId})
      return {broker, nodeId: Number(nodeId), groups: await listGroups(broker)}
    }),
  )
}

async function listGroups(broker: Broker): Promise<ListedGroup[]> {
  if ((brokerApiVersions(broker, LIST_GROUPS.apiKey)?.maxVersion ?? 0) < LIST_GROUPS.apiVersion) {
    // A broker without ListGroups v5 predates KIP-848: all its groups are classic.
    const {groups} = (await (broker as unknown as {listGroups(): Promise<unknown>}).listGroups()) as {
      groups: {groupId: string; protocolType: string}[]
    }
    return groups.map((g) => ({...g, groupState: '', groupType: 'classic'}))
  }
  const response = await sendFlexible(broker, LIST_GROUPS, encodeListGroupsRequest(), decodeListGroupsResponse)
  if (response.errorCode !== 0) throw kafkaError('listing groups', response.errorCode)
  return response.groups
}

async function describeAt(cluster: Cluster, broker: Broker, groups: ListedGroup[]): Promise<KafkaGroup[]> {
  const describable = (g: ListedGroup) =>
    groupProtocol(g) !== undefined ||
    (g.groupType === 'share' && canDescribe(broker, SHARE_GROUP_DESCRIBE)) ||
    (g.groupType === 'streams' && canDescribe(broker, STREAMS_GROUP_DESCRIBE))
  const ids = (type: string) => groups.filter((g) => describable(g) && g.groupType === type).map((g) => g.groupId)
  // A group gone between the listing and its description is left out, as if it had not been listed.
  const described = await Promise.all([
    describeClassic(
      broker,
      groups.filter((g) => groupProtocol(g) === 'classic'),
    ),
    describeModern(cluster, broker, ids('consumer'), consumerProtocolDescriber),
    describeModern(cluster, broker, ids('share'), shareDescriber).then((found) => withShareStartOffsets(broker, found)),
    describeModern(cluster, broker, ids('streams'), streamsDescriber),
  ])
  return [...described.flat(), ...groups.filter((g) => !describable(g)).map(listedOnly)]
}

function canDescribe(broker: Broker, api: FlexibleApi): boolean {
  const versions = brokerApiVersions(broker, api.apiKey)
  return versions !== undefined && versions.minVersion <= api.apiVersion && api.apiVersion <= versions.maxVersion
}

function groupProtocol(g: ListedGroup): GroupProtocol | undefined {
  if (g.groupType === 'consumer') return 'consumer'
  if (g.groupType === 'classic' && (g.protocolType === 'consumer' || g.protocolType === '')) return 'classic'
  return undefined
}

function listedOnly(g: ListedGroup): KafkaGroup {
  return {groupId: g.groupId, type: g.groupType, state: g.groupState, members: [], described: false}
}

async function describeClassic(broker: Broker, listed: ListedGroup[]): Promise<KafkaGroup[]> {
  if (listed.length === 0) return []
  const {groups} = (await broker.describeGroups({groupIds: listed.map((g) => g.groupId)})) as {
    groups: GroupDescription[]
  }
  return groups.map((g) => ({
    groupId: g.groupId,
    type: 'classic',
    protocol: 'classic',
    described: true,
    state: g.state,
    ...(g.protocol ? {assignor: g.protocol} : {}),
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      subscribed: classicSubscription(m.memberMetadata),
      assignment: classicAssignment(m.memberAssignment),
    })),
  }))
}

/** The topics of a classic member's subscription (ConsumerProtocolSubscription; later versions only append fields). */
function classicSubscription(bytes: Buffer): string[] {
  try {
    return bytes.length > 0 ? (AssignerProtocol.MemberMetadata.decode(bytes)?.topics ?? []) : []
  } catch {
    return []
  }
}

function classicAssignment(bytes: Buffer): GroupMember['assignment'] {
  const decoded = bytes.length > 0 ? AssignerProtocol.MemberAssignment.decode(bytes) : null
  return Object.entries(decoded?.assignment ?? {}).map(([topic, partitions]) => ({
    topic,
    partitions: [...partitions].sort((a, b) => a - b),
  }))
}

/** How to ask for and read one kind of group of the modern protocols (the error fields are common to all). */
interface Describer<D extends {groupId: string; errorCode: number; errorMessage: string | null}> {
  api: FlexibleApi
  decode: (body: Buffer) => {groups: D[]}
  toGroup: (described: D) => KafkaGroup
}

const consumerProtocolDescriber: Describer<DescribedGroup> = {
  api: CONSUMER_GROUP_DESCRIBE,
  decode: decodeConsumerGroupDescribeResponse,
  toGroup: consumerProtocolGroup,
}
const shareDescriber: Describer<DescribedShareGroup> = {
  api: SHARE_GROUP_DESCRIBE,
  decode: decodeShareGroupDescribeResponse,
  toGroup: shareGroup,
}
const streamsDescriber: Describer<DescribedStreamsGroup> = {
  api: STREAMS_GROUP_DESCRIBE,
  decode: decodeStreamsGroupDescribeResponse,
  toGroup: streamsGroup,
}

/** Describes the groups at the broker that listed them; a group that moved meanwhile is asked of its coordinator once. */
async function describeModern<D extends {groupId: string; errorCode: number; errorMessage: string | null}>(
  cluster: Cluster,
  broker: Broker,
  groupIds: string[],
  describer: Describer<D>,
  retried = false,
): Promise<KafkaGroup[]> {
  if (groupIds.length === 0) return []
  const {groups} = await sendFlexible(
    broker,
    describer.api,
    encodeConsumerGroupDescribeRequest(groupIds),
    describer.decode,
  )
  const moved = groups.filter((g) => COORDINATOR_ERRORS.has(g.errorCode)).map((g) => g.groupId)
  const failed = groups.find(
    (g) => g.errorCode !== 0 && g.errorCode !== GROUP_ID_NOT_FOUND && !COORDINATOR_ERRORS.has(g.errorCode),
  )
  if (failed || (retried && moved.length > 0)) {
    const group = failed ?? groups.find((g) => moved.includes(g.groupId))!
    throw kafkaError(`describing group ${group.groupId}`, group.errorCode, group.errorMessage)
  }
  const found = groups.filter((g) => g.errorCode === 0).map(describer.toGroup)
  const coordinatorOf = (id: string) => clusterInternals(cluster).findGroupCoordinator({groupId: id})
  const again = await Promise.all(
    moved.map(async (id) => describeModern(cluster, await coordinatorOf(id), [id], describer, true)),
  )
  return [...found, ...again.flat()]
}

function consumerProtocolGroup(g: DescribedGroup): KafkaGroup {
  return {
    groupId: g.groupId,
    type: 'consumer',
    protocol: 'consumer',
    described: true,
    state: capitalized(g.groupState),
    assignor: g.assignorName,
    epoch: g.groupEpoch,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      ...(m.instanceId === null ? {} : {instanceId: m.instanceId}),
      subscribed: m.subscribedTopicNames,
      assignment: sortedAssignment(m.assignment),
    })),
  }
}

function shareGroup(g: DescribedShareGroup): KafkaGroup {
  return {
    groupId: g.groupId,
    type: 'share',
    described: true,
    state: capitalized(g.groupState),
    assignor: g.assignorName,
    epoch: g.groupEpoch,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      subscribed: m.subscribedTopicNames,
      assignment: sortedAssignment(m.assignment),
    })),
  }
}

/**
 * A streams group's members read the partitions of their active tasks: task <subtopology>_<n> reads partition n of
 * each source topic of the subtopology (user topics and repartition topics alike).
 */
function streamsGroup(g: DescribedStreamsGroup): KafkaGroup {
  const sources = new Map(
    (g.subtopologies ?? []).map((s) => [s.subtopologyId, [...s.sourceTopics, ...s.repartitionSourceTopics]]),
  )
  return {
    groupId: g.groupId,
    type: 'streams',
    described: true,
    state: capitalized(g.groupState),
    epoch: g.groupEpoch,
    members: g.members.map((m) => {
      const byTopic = new Map<string, Set<number>>()
      for (const task of m.activeTasks) {
        for (const topic of sources.get(task.subtopologyId) ?? [])
          for (const p of task.partitions) byTopic.set(topic, (byTopic.get(topic) ?? new Set()).add(p))
      }
      return {
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        ...(m.instanceId === null ? {} : {instanceId: m.instanceId}),
        subscribed: [...new Set([...sources.values()].flat())],
        assignment: [...byTopic].map(([topic, partitions]) => ({
          topic,
          partitions: [...partitions].sort((a, b) => a - b),
        })),
      }
    }),
  }
}

function sortedAssignment(assignment: {topicName: string; partitions: number[]}[]): GroupMember['assignment'] {
  return assignment.map((t) => ({topic: t.topicName, partitions: [...t.partitions].sort((a, b) => a - b)}))
}

/** Adds each share group's share-partition start offsets, asked of the coordinator that described the groups. */
async function withShareStartOffsets(broker: Broker, groups: KafkaGroup[]): Promise<KafkaGroup[]> {
  if (groups.length === 0 || !canDescribe(broker, DESCRIBE_SHARE_GROUP_OFFSETS)) return groups
  const request = encodeDescribeShareGroupOffsetsRequest(groups.map((g) => g.groupId))
  const response = await sendFlexible(
    broker,
    DESCRIBE_SHARE_GROUP_OFFSETS,
    request,
    decodeDescribeShareGroupOffsetsResponse,
  )
  const byGroup = new Map(response.groups.filter((g) => g.errorCode === 0).map((g) => [g.groupId, g.topics]))
  return groups.map((g) => {
    const topics = byGroup.get(g.groupId) ?? []
    const offsets = topics.map(
      (t) =>
        [
          t.topicName,
          new Map(
            t.partitions
              .filter((p) => p.errorCode === 0 && p.startOffset >= 0n)
              .map((p) => [p.partition, Number(p.startOffset)] as const),
          ),
        ] as const,
    )
    return {...g, shareStartOffsets: new Map(offsets.filter(([, partitions]) => partitions.size > 0))}
  })
}

/** ConsumerGroupDescribe says "stable", "empty"; ListGroups and the tools say "Stable", "Empty". */
function capitalized(state: string): string {
  return state.length === 0 ? state : state[0].toUpperCase() + state.slice(1)
}

function kafkaError(what: string, code: number, message?: string | null): MailroomError {
  return new MailroomError('PROTOCOL', `${what} failed with Kafka error code ${code}${message ? `: ${message}` : ''}`)
}
