// Consumer-group lag: committed vs end offsets per partition, totals per group and topic, the group as its
// coordinator describes it (type, protocol, state, assignor, epoch, members and their partitions), and lag in seconds
// from the timestamp of the first unconsumed record. Streams groups commit offsets as consumer groups do; share
// groups commit none (records are acknowledged one by one), so their rows carry members, state and Kafka's
// share-partition start offsets, and no lag. Requests are batched: groups are listed and described per coordinator
// (groups.ts), their committed offsets in one OffsetFetch per coordinator (group-offsets.ts), one ListOffsets per
// leader for the starts and another for the ends (list-offsets.ts), and one Fetch per partition leader for the first
// unconsumed records.
import type {Admin, Kafka} from 'kafkajs'
import type {LagOptions, LagSample, PartitionLag, UncommittedLag} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {REPLAY_GROUP_PREFIX} from '../../model/replay-group.js'
import {type FirstRecordProbe, MAX_PROBED_PARTITIONS, positionKey, type RecordPosition} from './first-record.js'
import {commitsOffsets, groupOnTopic, type KafkaGroup, isReportedGroup, memberTopics} from './groups.js'
import {THROWAWAY_GROUP_PREFIX} from './read.js'
import {type Committed, committedOffsetsOf} from './group-offsets.js'
import {type PartitionOffsets, offsetsOfExisting} from './topics.js'

const SHARE_LAG_NOT_APPLICABLE =
  'share group: records are acknowledged one by one, Kafka keeps no committed offset or lag for it'
/** mailroom's own groups: replay cursors (mailroom-replay.<dlq>, which start from the earliest offset) and tail readers. */
const MAILROOM_GROUP_PREFIXES = [REPLAY_GROUP_PREFIX, THROWAWAY_GROUP_PREFIX]

function isMailroomGroup(groupId: string): boolean {
  return MAILROOM_GROUP_PREFIXES.some((prefix) => groupId.startsWith(prefix))
}

interface GroupOffsets {
  group: KafkaGroup
  committed: Committed
}

export async function consumerGroupLag(
  kafka: Kafka,
  admin: Admin,
  groups: KafkaGroup[],
  probe: FirstRecordProbe,
  o: LagOptions = {},
): Promise<LagSample[]> {
  refuseOtherGroupTypes(groups, o.filter)
  const shown = groups.filter(
    (g) => isReportedGroup(g) && (o.includeMailroom || !isMailroomGroup(g.groupId) || g.groupId === o.filter),
  )
  const committed = await committedOffsetsOf(kafka, admin, shown.filter(commitsOffsets))
  const offsets = shown.map((group) => ({group, committed: committed.get(group.groupId) ?? new Map()}))
  const wanted = offsets.filter((g) => matchesFilter(g, o.filter))
  const topics = [...new Set(wanted.flatMap((g) => [...topicsOf(g)]))].sort()
  const ends = await offsetsOfExisting(admin, topics, kafka)
  const samples = wanted.flatMap((g) =>
    [...topicsOf(g)]
      .filter((t) => ends.has(t))
      .map((t) => withOffline(sampleOf(g, t, ends.get(t)!), ends.offline.get(t))),
  )
  await addLagSeconds(samples, probe)
  return samples.sort((a, b) => a.consumer.localeCompare(b.consumer) || a.target.localeCompare(b.target))
}

/** A group asked for by name that mailroom cannot describe (a Connect group, a type this broker cannot describe): say so. */
function refuseOtherGroupTypes(groups: KafkaGroup[], filter: string | undefined): void {
  const other = filter === undefined ? undefined : groups.find((g) => g.groupId === filter && !isReportedGroup(g))
  if (!other) return
  throw new MailroomError(
    'UNSUPPORTED',
    `${other.groupId} is a ${other.type || 'non-consumer'} group this broker lists but mailroom cannot describe: mailroom reports consumer groups (classic and consumer protocol), and share and streams groups where the broker describes them`,
    {
      suggestions: [
        `Kafka's own tools describe it: kafka-${other.type === 'streams' ? 'streams' : other.type === 'share' ? 'share' : 'consumer'}-groups.sh --describe --group ${other.groupId}`,
      ],
    },
  )
}

/** A group matches by its id, or by a topic it consumes. */
function matchesFilter(g: GroupOffsets, filter: string | undefined): boolean {
  if (filter === undefined) return true
  return g.group.groupId === filter || topicsOf(g).has(filter)
}

function topicsOf(g: GroupOffsets): Set<string> {
  return new Set([...g.committed.keys(), ...memberTopics(g.group)])
}

/** A topic with offline partitions: what is known of the others, and no total lag (theirs cannot be read). */
function withOffline(sample: LagSample, offline: number[] | undefined): LagSample {
  if (!offline) return sample
  const {lag: _unknown, uncommitted: _alsoUnknown, ...known} = sample
  return {...known, offlinePartitions: offline}
}

function sampleOf(g: GroupOffsets, topic: string, offsets: PartitionOffsets[]): LagSample {
  return commitsOffsets(g.group) ? committedSample(g, topic, offsets) : shareSample(g.group, topic, offsets)
}

/** A share group on a topic: its members and Kafka's share-partition start offsets; no lag (see SHARE_LAG_NOT_APPLICABLE). */
function shareSample(g: KafkaGroup, topic: string, offsets: PartitionOffsets[]): LagSample {
  const starts = g.shareStartOffsets?.get(topic)
  const group = groupOnTopic(g, topic)
  return {
    broker: 'kafka',
    target: topic,
    consumer: g.groupId,
    lagNotApplicable: SHARE_LAG_NOT_APPLICABLE,
    consumers: group.members.length,
    produced: sum(offsets.map((o) => Number(o.high))),
    partitions: offsets.map((o) => {
      const start = starts?.get(o.partition)
      return {
        partition: o.partition,
        end: Number(o.high),
        start: Number(o.low),
        ...(start === undefined ? {} : {shareStartOffset: start}),
      }
    }),
    group,
  }
}

function committedSample(g: GroupOffsets, topic: string, offsets: PartitionOffsets[]): LagSample {
  const committed = g.committed.get(topic) ?? new Map<number, bigint>()
  const startsAtEarliest = g.group.groupId.startsWith(REPLAY_GROUP_PREFIX)
  const partitions = offsets.map((o) => partitionLag(o, committed.get(o.partition), startsAtEarliest))
  const group = groupOnTopic(g.group, topic)
  const uncommitted = uncommittedOf(partitions)
  return {
    broker: 'kafka',
    target: topic,
    consumer: g.group.groupId,
    ...(uncommitted ? {uncommitted} : {lag: sum(partitions.map((p) => p.lag!))}),
    consumers: group.members.length,
    consumed: sum(partitions.map((p) => p.committed ?? 0)),
    produced: sum(partitions.map((p) => p.end)),
    partitions,
    group,
    ...warningsOf(partitions),
  }
}

/**
 * Without a commit, where the group starts depends on its reset policy (auto.offset.reset, a client setting the
 * broker does not know), as Kafka's own tool shows with "-". Known anyway: an empty partition leaves nothing to read,
 * and mailroom's replay cursors start from the earliest offset.
 */
function partitionLag(o: PartitionOffsets, committed: bigint | undefined, startsAtEarliest: boolean): PartitionLag {
  // Object literals, not spreads of a base: one per partition of every group on every refresh.
  const end = Number(o.high)
  const start = Number(o.low)
  if (committed !== undefined)
    return {
      partition: o.partition,
      end,
      start,
      committed: Number(committed),
      lag: o.high > committed ? Number(o.high - committed) : 0,
    }
  if (o.high === o.low || startsAtEarliest) return {partition: o.partition, end, start, lag: Number(o.high - o.low)}
  return {partition: o.partition, end, start}
}

function uncommittedOf(partitions: PartitionLag[]): UncommittedLag | undefined {
  const unknown = partitions.filter((p) => p.lag === undefined)
  if (unknown.length === 0) return undefined
  return {partitions: unknown.length, ifEarliest: sum(unknown.map((p) => p.end - p.start))}
}

function warningsOf(partitions: PartitionLag[]): {warnings?: string[]} {
  const lost = partitions.filter((p) => p.committed !== undefined && p.committed < p.start)
  if (lost.length === 0) return {}
  return {
    warnings: lost.map(
      (p) =>
        `partition ${p.partition}: committed offset ${p.committed} is below the log start ${p.start}: ${p.start - p.committed!} message(s) lost to retention`,
    ),
  }
}

/** Reads the first unconsumed record of the most lagging partitions (capped by the probe) for their age. */
async function addLagSeconds(samples: LagSample[], probe: FirstRecordProbe): Promise<void> {
  const lagging: {sample: LagSample; partition: PartitionLag}[] = []
  for (const sample of samples)
    for (const partition of sample.partitions ?? []) if ((partition.lag ?? 0) > 0) lagging.push({sample, partition})
  if (lagging.length === 0) return
  lagging.sort((a, b) => b.partition.lag! - a.partition.lag!)
  const now = Date.now()
  // The probe reads the first MAX_PROBED_PARTITIONS positions and ignores the rest: only those are made.
  const probed = lagging.slice(0, MAX_PROBED_PARTITIONS)
  const positions = probed.map(({sample, partition}) => firstUnconsumed(sample.target, partition))
  const times = await probe.timestamps(positions).catch((e: unknown) => {
    const reason = e instanceof Error ? e.message : String(e)
    for (const {sample} of lagging)
      sample.warnings = [...new Set([...(sample.warnings ?? []), `lag in seconds unknown: ${reason}`])]
    return new Map<string, number>()
  })
  for (const [i, {partition}] of probed.entries()) {
    const time = times.get(positionKey(positions[i]!))
    if (time !== undefined) partition.lagSeconds = Math.max(0, (now - time) / 1000)
  }
  for (const sample of samples) {
    let max: number | undefined
    for (const p of sample.partitions ?? [])
      if (p.lagSeconds !== undefined) max = max === undefined ? p.lagSeconds : Math.max(max, p.lagSeconds)
    if (max !== undefined) sample.lagSeconds = max
  }
}

function firstUnconsumed(topic: string, p: PartitionLag): RecordPosition {
  return {topic, partition: p.partition, offset: BigInt(Math.max(p.committed ?? p.start, p.start))}
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0)
}
