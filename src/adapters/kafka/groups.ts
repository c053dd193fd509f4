// Every group the cluster knows, with its type, state and members, for both consumer group protocols. Each broker
// lists the groups it coordinates (ListGroups v5: type and state), so the descriptions go, batched, to the broker
// that listed them: DescribeGroups for classic groups (kafkajs), ConsumerGroupDescribe for groups of the new
// consumer protocol (KIP-848), which DescribeGroups answers as Dead with no members. Share and streams groups are
// listed with their type and left undescribed: they are not consumer groups.
import type {Broker, Cluster, GroupDescription, Kafka} from 'kafkajs'
import type {ConsumerGroupFacts} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {AssignerProtocol} from './driver.js'
import {brokerApiVersions, clusterInternals, sharedCluster} from './kafkajs-internals.js'
import {CONSUMER_GROUP_DESCRIBE, type DescribedGroup, decodeConsumerGroupDescribeResponse, encodeConsumerGroupDescribeRequest} from './protocol/consumer-group-describe.js'
import {decodeListGroupsResponse, encodeListGroupsRequest, LIST_GROUPS, type ListedGroup} from './protocol/list-groups.js'
import {sendFlexible} from './protocol/send.js'

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
  /** The group type the broker lists: classic, consumer, share, streams. */
  type: string
  /** The consumer protocol of a consumer group; undefined for share, streams, Connect and other groups. */
  protocol?: GroupProtocol
  /** Empty, Stable, PreparingRebalance, Reconciling, Assigning, Dead... as the broker says. */
  state: string
  /** Assignor (classic: the chosen protocol, e.g. range; consumer: the server-side assignor, e.g. uniform). */
  assignor?: string
  /** The group epoch (new protocol only: classic DescribeGroups does not tell the generation). */
  epoch?: number
  members: GroupMember[]
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

/** Topics a group's members are subscribed to by name or assigned partitions of. */
export function memberTopics(g: KafkaGroup): Set<string> {
  return new Set(g.members.flatMap((m) => [...m.subscribed, ...m.assignment.map((a) => a.topic)]))
}

/** A consumer group as seen from one topic: its members there (assigned or subscribed; an assignment may be coming). */
export function groupOnTopic(g: KafkaGroup, topic: string): ConsumerGroupFacts {
  const members = g.members.filter((m) => m.subscribed.includes(topic) || m.assignment.some((a) => a.topic === topic))
  return {
    protocol: g.protocol!,
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
    listed.map(async ({broker, nodeId, groups}) => (await describeAt(cluster, broker, groups)).map((g) => ({...g, coordinator: nodeId}))),
  )
  return described.flat().sort((a, b) => a.groupId.localeCompare(b.groupId))
}

async function listGroupsPerBroker(cluster: Cluster): Promise<{broker: Broker; nodeId: number; groups: ListedGroup[]}[]> {
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
    const {groups} = (await (broker as unknown as {listGroups(): Promise<unknown>}).listGroups()) as {groups: {groupId: string; protocolType: string}[]}
    return groups.map((g) => ({...g, groupState: '', groupType: 'classic'}))
  }
  const response = await sendFlexible(broker, LIST_GROUPS, encodeListGroupsRequest(), decodeListGroupsResponse)
  if (response.errorCode !== 0) throw kafkaError('listing groups', response.errorCode)
  return response.groups
}

async function describeAt(cluster: Cluster, broker: Broker, groups: ListedGroup[]): Promise<KafkaGroup[]> {
  const classic = groups.filter((g) => groupProtocol(g) === 'classic')
  const consumer = groups.filter((g) => groupProtocol(g) === 'consumer')
  const undescribed = groups.filter((g) => groupProtocol(g) === undefined).map(listedOnly)
  const [classicGroups, consumerGroups] = await Promise.all([
    describeClassic(broker, classic),
    describeConsumerProtocol(cluster, broker, consumer.map((g) => g.groupId)),
  ])
  return [...classicGroups, ...consumerGroups, ...undescribed]
}

function groupProtocol(g: ListedGroup): GroupProtocol | undefined {
  if (g.groupType === 'consumer') return 'consumer'
  if (g.groupType === 'classic' && (g.protocolType === 'consumer' || g.protocolType === '')) return 'classic'
  return undefined
}

function listedOnly(g: ListedGroup): KafkaGroup {
  return {groupId: g.groupId, type: g.groupType, state: g.groupState, members: []}
}

async function describeClassic(broker: Broker, listed: ListedGroup[]): Promise<KafkaGroup[]> {
  if (listed.length === 0) return []
  const {groups} = (await broker.describeGroups({groupIds: listed.map((g) => g.groupId)})) as {groups: GroupDescription[]}
  return groups.map((g) => ({
    groupId: g.groupId,
    type: 'classic',
    protocol: 'classic',
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
  return Object.entries(decoded?.assignment ?? {}).map(([topic, partitions]) => ({topic, partitions: [...partitions].sort((a, b) => a - b)}))
}

async function describeConsumerProtocol(cluster: Cluster, broker: Broker, groupIds: string[], retried = false): Promise<KafkaGroup[]> {
  if (groupIds.length === 0) return []
  const {groups} = await sendFlexible(broker, CONSUMER_GROUP_DESCRIBE, encodeConsumerGroupDescribeRequest(groupIds), decodeConsumerGroupDescribeResponse)
  const moved = groups.filter((g) => COORDINATOR_ERRORS.has(g.errorCode)).map((g) => g.groupId)
  const failed = groups.find((g) => g.errorCode !== 0 && g.errorCode !== GROUP_ID_NOT_FOUND && !COORDINATOR_ERRORS.has(g.errorCode))
  if (failed || (retried && moved.length > 0)) {
    const group = failed ?? groups.find((g) => moved.includes(g.groupId))!
    throw kafkaError(`describing group ${group.groupId}`, group.errorCode, group.errorMessage)
  }
  const found = groups.filter((g) => g.errorCode === 0).map(consumerProtocolGroup)
  const again = await Promise.all(moved.map(async (id) => describeConsumerProtocol(cluster, await clusterInternals(cluster).findGroupCoordinator({groupId: id}), [id], true)))
  return [...found, ...again.flat()]
}

function consumerProtocolGroup(g: DescribedGroup): KafkaGroup {
  return {
    groupId: g.groupId,
    type: 'consumer',
    protocol: 'consumer',
    state: capitalized(g.groupState),
    assignor: g.assignorName,
    epoch: g.groupEpoch,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      ...(m.instanceId === null ? {} : {instanceId: m.instanceId}),
      subscribed: m.subscribedTopicNames,
      assignment: m.assignment.map((t) => ({topic: t.topicName, partitions: [...t.partitions].sort((a, b) => a - b)})),
    })),
  }
}

/** ConsumerGroupDescribe says "stable", "empty"; ListGroups and the tools say "Stable", "Empty". */
function capitalized(state: string): string {
  return state.length === 0 ? state : state[0].toUpperCase() + state.slice(1)
}

function kafkaError(what: string, code: number, message?: string | null): MailroomError {
  return new MailroomError('PROTOCOL', `${what} failed with Kafka error code ${code}${message ? `: ${message}` : ''}`)
}
