// Topic facts from the kafkajs admin client: partitions, offsets, depth, configs, consuming groups.
import type {Admin, Kafka, PartitionMetadata} from 'kafkajs'
import {ConfigResourceTypes} from './driver.js'
import {groupOnTopic, isReportedGroup, type KafkaGroup, memberTopics} from './groups.js'
import type {ConsumerGroupFacts, TargetInfo} from '../types.js'
import {topicMetadataInOneRequest, batchedTopicOffsets, offsetsAndMetadata, TopicOffsets} from './list-offsets.js'
import {rootCause, toMailroomError} from './map-error.js'

export interface PartitionOffsets {
  partition: number
  low: bigint
  high: bigint
}

const OFFSET_FETCH_CONCURRENCY = 16
/** Kafka's default max.message.bytes, used when the topic config cannot be read. */
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588

export function isInternalTopic(name: string): boolean {
  return name.startsWith('__')
}

const READ_ATTEMPTS = 5
const READ_RETRY_MS = 200
/**
 * Failures an admin read may safely repeat. A broker may close an admin connection between two requests (kafkajs then
 * fails the request in flight and does not retry most admin reads). Just after a topic is created, or while a
 * partition's leadership moves, a broker answers NOT_LEADER_FOR_PARTITION or LEADER_NOT_AVAILABLE even though
 * kafkajs reported the leaders ready; kafkajs's fetchTopicOffsets gives up on those at once.
 */
const TRANSIENT_READ_FAILURES = new Set([
  'KafkaJSConnectionClosedError',
  'NOT_LEADER_FOR_PARTITION',
  'LEADER_NOT_AVAILABLE',
])

function isTransientReadFailure(e: unknown): boolean {
  const cause = rootCause(e)
  return (
    TRANSIENT_READ_FAILURES.has(cause.name ?? '') ||
    TRANSIENT_READ_FAILURES.has(cause.type ?? '') ||
    isStaleOffsetsAnswer(e)
  )
}

/**
 * kafkajs 2.2.4's fetchTopicOffsets and fetchTopicOffsetsByTimestamp read their ListOffsets answers with `low.pop()`,
 * `high.pop()` or `offsets.pop()`, looking the partitions' leaders up in the admin's cached metadata again for each
 * request. When that metadata lacks the topic by then (another read on the same admin replaced it with other topics'
 * metadata in between) or still names a leader that died (a cluster node killed), no answer comes back and it throws
 * this TypeError instead of an error of its own. Asked again on fresh metadata, it answers.
 */
function isStaleOffsetsAnswer(e: unknown): boolean {
  return e instanceof TypeError && /of '(?:low|high|offsets)\.pop\(\.\.\.\)'/.test(e.message)
}

/** What an admin read is about, for its errors; with `admin`, whose topic metadata a stale offsets answer refreshes. */
export interface ReadSubject {
  topic?: string
  group?: string
  admin?: Admin
}

/** Runs an admin read that is safe to repeat, again after a transient failure; every other failure is mapped and thrown. */
export async function idempotentRead<T>(read: () => Promise<T>, about: ReadSubject = {}): Promise<T> {
  const {topic, group, admin} = about
  for (let attempt = 1; ; attempt++) {
    try {
      return await read()
    } catch (e) {
      if (attempt >= READ_ATTEMPTS || !isTransientReadFailure(e)) throw toMailroomError(e, {topic, group})
      // Fresh metadata (the partitions' current leaders) for the next attempt.
      if (admin && topic !== undefined && isStaleOffsetsAnswer(e))
        await admin.fetchTopicMetadata({topics: [topic]}).catch(() => undefined)
      await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS * attempt))
    }
  }
}

/** Partition metadata of one topic; NOT_FOUND when it does not exist (the admin client never auto-creates). */
export async function topicPartitions(admin: Admin, topic: string): Promise<PartitionMetadata[]> {
  const {topics} = await idempotentRead(() => admin.fetchTopicMetadata({topics: [topic]}), {topic})
  return [...topics[0].partitions].sort((a, b) => a.partitionId - b.partitionId)
}

export async function partitionOffsets(admin: Admin, topic: string): Promise<PartitionOffsets[]> {
  const offsets = await idempotentRead(() => admin.fetchTopicOffsets(topic), {topic, admin})
  return offsets
    .map((o) => ({partition: o.partition, low: BigInt(o.low), high: BigInt(o.high)}))
    .sort((a, b) => a.partition - b.partition)
}

export function depthOf(offsets: PartitionOffsets[]): number {
  return offsets.reduce((sum, o) => sum + Number(o.high - o.low), 0)
}

export async function topicConfig(admin: Admin, topic: string): Promise<Record<string, string | null>> {
  const {resources} = await idempotentRead(
    () => admin.describeConfigs({resources: [{type: ConfigResourceTypes.TOPIC, name: topic}], includeSynonyms: false}),
    {topic},
  )
  const entries = resources[0]?.configEntries ?? []
  return Object.fromEntries(entries.map((c) => [c.configName, c.isSensitive ? null : c.configValue]))
}

export async function maxMessageBytes(admin: Admin, topic: string): Promise<number> {
  const value = Number((await topicConfig(admin, topic))['max.message.bytes'])
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_MAX_MESSAGE_BYTES
}

interface TopicSummary {
  name: string
  partitions: number
  /** Of the partitions that have a leader. */
  offsets: PartitionOffsets[]
  /** Partitions without a leader (every replica down): their records cannot be counted. */
  offline?: number[]
  groups?: TopicGroup[]
}

/** A consumer group with members on a topic, as `targets describe` shows it. */
export interface TopicGroup extends ConsumerGroupFacts {
  group: string
}

/** Reads every group of the cluster (groups.ts), so listings and descriptions need no client of their own. */
export type GroupsReader = () => Promise<KafkaGroup[]>

/** Every topic (internal ones only when asked) with its partitions, depth and consuming groups. */
export async function summarizeTopics(
  admin: Admin,
  readGroups: GroupsReader,
  o: {includeInternal?: boolean; kafka?: Kafka} = {},
): Promise<TopicSummary[]> {
  // With the Kafka client: one Metadata request (the admin's fetchTopicMetadata sends two for every topic).
  const kafka = o.kafka
  const metadata = kafka
    ? (await idempotentRead(() => topicMetadataInOneRequest(kafka))).topics
    : await allTopicMetadata(admin)
  const topics = metadata.filter((t) => o.includeInternal || !isInternalTopic(t.name))
  const [{offsets, offline}, groups] = await Promise.all([
    offsetsOrErrors(
      admin,
      topics.map((t) => t.name),
      o.kafka,
    ),
    groupsByTopic(readGroups),
  ])
  const summaries: TopicSummary[] = []
  for (const [i, t] of topics.entries()) {
    const result = offsets[i] instanceof Error ? await offsetsUnlessDeleted(admin, t.name, offsets[i]) : offsets[i]
    if (result === 'deleted') continue
    const offlinePartitions = offline.get(t.name)
    summaries.push({
      name: t.name,
      partitions: t.partitions.length,
      offsets: result,
      ...(offlinePartitions ? {offline: offlinePartitions} : {}),
      groups: groups && (groups.get(t.name) ?? []),
    })
  }
  return summaries.sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * Each topic's offsets or why they could not be read, batched where possible, else topic by topic; and the offline
 * partitions the batch found.
 */
async function offsetsOrErrors(
  admin: Admin,
  topics: string[],
  kafka: Kafka | undefined,
): Promise<{offsets: (PartitionOffsets[] | Error)[]; offline: TopicOffsets['offline']}> {
  const batched = kafka && (await batchedTopicOffsets(kafka, topics).catch(() => undefined))
  if (batched)
    return {offsets: topics.map((t) => batched.get(t) ?? new Error(`no offsets for ${t}`)), offline: batched.offline}
  const offsets = await mapLimited(topics, OFFSET_FETCH_CONCURRENCY, (t) =>
    partitionOffsets(admin, t).catch((e: unknown) => e as Error),
  )
  return {offsets, offline: new Map()}
}

const DELETION_SETTLE_MS = 300

/**
 * A topic deleted while it was being listed is simply gone from the listing, not an error. Deletion takes a moment
 * to reach the metadata (kafkajs fails the offsets request of a half-deleted topic), so a failed topic is asked
 * about once more after a pause: gone, or its offsets, or the error.
 */
async function offsetsUnlessDeleted(
  admin: Admin,
  topic: string,
  error: Error,
): Promise<PartitionOffsets[] | 'deleted'> {
  if (!(await topicExists(admin, topic))) return 'deleted'
  await new Promise((resolve) => setTimeout(resolve, DELETION_SETTLE_MS))
  if (!(await topicExists(admin, topic))) return 'deleted'
  try {
    return await partitionOffsets(admin, topic)
  } catch {
    if (!(await topicExists(admin, topic))) return 'deleted'
    throw error
  }
}

/**
 * End offsets of the topics that still exist. A topic deleted while it was being asked about is left out, not an
 * error: a group keeps the offsets it committed on a topic after the topic is gone.
 */
export async function offsetsOfExisting(admin: Admin, topics: string[], kafka?: Kafka): Promise<TopicOffsets> {
  if (kafka) {
    const batched = await batchedTopicOffsets(kafka, topics).catch(() => undefined)
    if (batched) return batched
  }
  const results = await mapLimited(topics, OFFSET_FETCH_CONCURRENCY, async (t) => {
    const offsets = await partitionOffsets(admin, t).catch((e: unknown) => offsetsUnlessDeleted(admin, t, e as Error))
    return [t, offsets] as const
  })
  const existing = new TopicOffsets()
  for (const [t, offsets] of results) if (offsets !== 'deleted') existing.set(t, offsets)
  return existing
}

async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  return (await allTopicMetadata(admin)).some((t) => t.name === topic)
}

async function allTopicMetadata(admin: Admin) {
  return (await idempotentRead(() => admin.fetchTopicMetadata())).topics
}

export function targetInfo(t: TopicSummary): TargetInfo {
  return {
    broker: 'kafka',
    name: t.name,
    kind: 'topic',
    // Records on an offline partition cannot be counted: the depth is unknown, not the others' sum.
    ...(t.offline ? {offlinePartitions: t.offline} : {depth: depthOf(t.offsets)}),
    partitions: t.partitions,
    ...(t.groups ? {consumers: t.groups.length} : {}),
  }
}

export interface TopicFacts {
  topic: string
  partitions: PartitionMetadata[]
  /** Of the partitions that have a leader. */
  offsets: PartitionOffsets[]
  /** Partitions without a leader (every replica down); only from a read that keeps them (see readTopicFacts). */
  offline?: number[]
  config: Record<string, string | null>
  consuming?: TopicGroup[]
}

/**
 * Partitions with offsets and leaders, configs and (with readGroups) consuming groups, read side by side. With the
 * Kafka client (`o.kafka`), partitions and offsets come from mailroom's own requests, which keep a partition without a
 * leader (named in `offline`) where kafkajs's fail the whole topic; when that read fails, kafkajs's answers it, with
 * their errors (a topic that does not exist, ...).
 */
export async function readTopicFacts(
  admin: Admin,
  topic: string,
  o: {readGroups?: GroupsReader; kafka?: Kafka} = {},
): Promise<TopicFacts> {
  const groupsRead = o.readGroups ? groupsByTopic(o.readGroups) : Promise.resolve(undefined)
  const [layout, config, groups] = await Promise.all([
    partitionLayout(admin, topic, o.kafka),
    topicConfig(admin, topic),
    groupsRead,
  ])
  return {topic, ...layout, config, ...(groups ? {consuming: groups.get(topic) ?? []} : {})}
}

async function partitionLayout(
  admin: Admin,
  topic: string,
  kafka: Kafka | undefined,
): Promise<Pick<TopicFacts, 'partitions' | 'offsets' | 'offline'>> {
  const kept = kafka && (await offsetsAndMetadata(kafka, [topic]).catch(() => undefined))
  const metadata = kept?.metadata.find((t) => t.topic === topic)
  if (kept && metadata) {
    const offline = kept.offsets.offline.get(topic)
    return {
      partitions: [...metadata.partitionMetadata].sort((a, b) => a.partitionId - b.partitionId),
      offsets: kept.offsets.get(topic) ?? [],
      ...(offline ? {offline} : {}),
    }
  }
  const [partitions, offsets] = await Promise.all([topicPartitions(admin, topic), partitionOffsets(admin, topic)])
  return {partitions, offsets}
}

/** Detailed facts for `targets describe`: partitions with offsets and leaders, configs, consuming groups. */
export function describeTopic({topic, partitions, offsets, offline, config, consuming}: TopicFacts): TargetInfo {
  return {
    ...targetInfo({name: topic, partitions: partitions.length, offsets, offline, groups: consuming}),
    details: {
      partitions: partitions.map((p) => partitionDetails(p, offsets)),
      config,
      ...(consuming ? {groups: consuming} : {}),
    },
  }
}

function partitionDetails(p: PartitionMetadata, offsets: PartitionOffsets[]) {
  const o = offsets.find((x) => x.partition === p.partitionId)
  return {
    partition: p.partitionId,
    leader: p.leader,
    replicas: p.replicas,
    isr: p.isr,
    low: o?.low.toString(),
    high: o?.high.toString(),
    depth: o ? Number(o.high - o.low) : undefined,
  }
}

/**
 * Groups with members on each topic (consumer groups of both protocols, share and streams groups), from one listing
 * and description of every group.
 * Undefined when the broker will not tell (e.g. not authorized), since the groups are a nicety of the listing.
 */
async function groupsByTopic(readGroups: GroupsReader): Promise<Map<string, TopicGroup[]> | undefined> {
  try {
    const byTopic = new Map<string, TopicGroup[]>()
    for (const g of (await readGroups()).filter(isReportedGroup)) {
      for (const topic of memberTopics(g))
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), {group: g.groupId, ...groupOnTopic(g, topic)}])
    }
    return byTopic
  } catch {
    return undefined
  }
}

export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return results
}
