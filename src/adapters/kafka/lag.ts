// Consumer-group lag: committed vs end offsets per partition, totals per group and topic, members and state, and
// lag in seconds from the timestamp of the first unconsumed record. Admin calls are batched: one listGroups, one
// describeGroups for all groups, one fetchOffsets per group (all its topics), one fetchTopicOffsets per topic,
// and one Fetch per partition leader for the first unconsumed records.
import type {Admin, GroupDescription} from 'kafkajs'
import type {LagOptions, LagSample, PartitionLag} from '../types.js'
import {AssignerProtocol} from './driver.js'
import {type FirstRecordProbe, positionKey, type RecordPosition} from './first-record.js'
import {THROWAWAY_GROUP_PREFIX} from './read.js'
import {mapLimited, type PartitionOffsets, offsetsOfExisting} from './topics.js'

const OFFSET_FETCH_CONCURRENCY = 16

interface GroupOffsets {
  group: GroupDescription
  /** topic -> partition -> committed offset (only partitions with a commit). */
  committed: Map<string, Map<number, bigint>>
  /** topic -> members assigned some of its partitions. */
  members: Map<string, number>
}

export async function consumerGroupLag(admin: Admin, probe: FirstRecordProbe, o: LagOptions = {}): Promise<LagSample[]> {
  const groups = await describeConsumerGroups(admin, await consumerGroupIds(admin))
  const offsets = await mapLimited(groups, OFFSET_FETCH_CONCURRENCY, (g) => groupOffsets(admin, g))
  const wanted = offsets.filter((g) => matchesFilter(g, o.filter))
  const topics = [...new Set(wanted.flatMap((g) => [...g.committed.keys(), ...g.members.keys()]))].sort()
  const ends = await offsetsOfExisting(admin, topics)
  const samples = wanted.flatMap((g) => [...topicsOf(g)].filter((t) => ends.has(t)).map((t) => sampleOf(g, t, ends.get(t)!)))
  await addLagSeconds(samples, probe)
  return samples.sort((a, b) => a.consumer.localeCompare(b.consumer) || a.target.localeCompare(b.target))
}

/** Groups of the consumer protocol ('' = a group that only ever committed offsets), without mailroom's own. */
async function consumerGroupIds(admin: Admin): Promise<string[]> {
  const {groups} = await admin.listGroups()
  return groups
    .filter((g) => (g.protocolType === 'consumer' || g.protocolType === '') && !g.groupId.startsWith(THROWAWAY_GROUP_PREFIX))
    .map((g) => g.groupId)
}

async function describeConsumerGroups(admin: Admin, ids: string[]): Promise<GroupDescription[]> {
  if (ids.length === 0) return []
  return (await admin.describeGroups(ids)).groups
}

async function groupOffsets(admin: Admin, group: GroupDescription): Promise<GroupOffsets> {
  const fetched = await admin.fetchOffsets({groupId: group.groupId})
  const committed = new Map<string, Map<number, bigint>>()
  for (const {topic, partitions} of fetched) {
    const byPartition = new Map(partitions.filter((p) => BigInt(p.offset) >= 0n).map((p) => [p.partition, BigInt(p.offset)] as const))
    if (byPartition.size > 0) committed.set(topic, byPartition)
  }
  return {group, committed, members: assignedMembers(group)}
}

function assignedMembers(group: GroupDescription): Map<string, number> {
  const members = new Map<string, number>()
  for (const member of group.members) {
    const assignment = member.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment) : null
    for (const topic of Object.keys(assignment?.assignment ?? {})) members.set(topic, (members.get(topic) ?? 0) + 1)
  }
  return members
}

/** A group matches by its id, or by a topic it consumes. */
function matchesFilter(g: GroupOffsets, filter: string | undefined): boolean {
  if (filter === undefined) return true
  return g.group.groupId === filter || g.committed.has(filter) || g.members.has(filter)
}

function topicsOf(g: GroupOffsets): Set<string> {
  return new Set([...g.committed.keys(), ...g.members.keys()])
}

function sampleOf(g: GroupOffsets, topic: string, offsets: PartitionOffsets[]): LagSample {
  const committed = g.committed.get(topic) ?? new Map<number, bigint>()
  const partitions = offsets.map((o) => partitionLag(o, committed.get(o.partition)))
  return {
    broker: 'kafka',
    target: topic,
    consumer: g.group.groupId,
    lag: sum(partitions.map((p) => p.lag)),
    consumers: g.members.get(topic) ?? 0,
    consumed: sum(partitions.map((p) => p.committed ?? 0)),
    produced: sum(partitions.map((p) => p.end)),
    details: {state: g.group.state, members: g.group.members.length},
    partitions,
    ...warningsOf(partitions),
  }
}

/** A partition without a commit has no lag to report: where the group would start depends on its reset policy. */
function partitionLag(o: PartitionOffsets, committed: bigint | undefined): PartitionLag {
  const base = {partition: o.partition, end: Number(o.high), start: Number(o.low)}
  if (committed === undefined) return {...base, lag: 0}
  const lag = o.high > committed ? Number(o.high - committed) : 0
  return {...base, committed: Number(committed), lag}
}

function warningsOf(partitions: PartitionLag[]): {warnings?: string[]} {
  const lost = partitions.filter((p) => p.committed !== undefined && p.committed < p.start)
  if (lost.length === 0) return {}
  return {
    warnings: lost.map(
      (p) => `partition ${p.partition}: committed offset ${p.committed} is below the log start ${p.start}: ${p.start - p.committed!} message(s) lost to retention`,
    ),
  }
}

/** Reads the first unconsumed record of the most lagging partitions (capped by the probe) for their age. */
async function addLagSeconds(samples: LagSample[], probe: FirstRecordProbe): Promise<void> {
  const lagging = samples.flatMap((s) =>
    (s.partitions ?? []).filter((p) => p.lag > 0).map((p) => ({sample: s, partition: p, at: firstUnconsumed(s.target, p)})),
  )
  if (lagging.length === 0) return
  lagging.sort((a, b) => b.partition.lag - a.partition.lag)
  const now = Date.now()
  const times = await probe.timestamps(lagging.map((l) => l.at)).catch((e: unknown) => {
    const reason = e instanceof Error ? e.message : String(e)
    for (const {sample} of lagging) sample.warnings = [...new Set([...(sample.warnings ?? []), `lag in seconds unknown: ${reason}`])]
    return new Map<string, number>()
  })
  for (const {partition, at} of lagging) {
    const time = times.get(positionKey(at))
    if (time !== undefined) partition.lagSeconds = Math.max(0, (now - time) / 1000)
  }
  for (const sample of samples) {
    const known = (sample.partitions ?? []).flatMap((p) => (p.lagSeconds === undefined ? [] : [p.lagSeconds]))
    if (known.length > 0) sample.lagSeconds = Math.max(...known)
  }
}

function firstUnconsumed(topic: string, p: PartitionLag): RecordPosition {
  return {topic, partition: p.partition, offset: BigInt(Math.max(p.committed ?? p.start, p.start))}
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0)
}
