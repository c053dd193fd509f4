// Where a consumer group would resume on a topic: its committed offset per partition (partitions it never
// committed are left out). Used to plan a replay that continues where the replay group stopped.
import type {Admin, Kafka} from 'kafkajs'

import {MailroomError} from '../../model/errors.js'

import {closeSharedCluster, clusterInternals, sharedCluster} from './kafkajs-internals.js'
import {rootCause, toMailroomError} from './map-error.js'
import {idempotentRead} from './topics.js'

export async function committedPositions(
  admin: Admin,
  topic: string,
  groupId: string,
): Promise<Record<number, string>> {
  const out: Record<number, string> = {}
  for (const [p, c] of Object.entries(await committedCursors(admin, topic, groupId))) out[Number(p)] = c.offset
  return out
}

/** The committed offsets with the metadata committed alongside (partitions never committed are left out). */
export async function committedCursors(
  admin: Admin,
  topic: string,
  groupId: string,
): Promise<Record<number, {offset: string; metadata?: string}>> {
  const [committed] = await idempotentRead(() => admin.fetchOffsets({groupId, topics: [topic]}), {
    topic,
    group: groupId,
  })
  const out: Record<number, {offset: string; metadata?: string}> = {}
  for (const p of committed?.partitions ?? []) {
    if (BigInt(p.offset) >= 0n) out[p.partition] = {offset: p.offset, ...(p.metadata ? {metadata: p.metadata} : {})}
  }
  return out
}

/**
 * Sets a group's committed offsets without joining it: one OffsetCommit request with generation -1 and no member
 * id, which the broker accepts for a group with no active members. (kafkajs' admin.setOffsets instead joins the
 * group with a consumer and waits for a fetch: seconds per call, and a killed process would leave a member behind.)
 * kafkajs exposes no cluster handle: the commit goes over the cluster client mailroom shares per Kafka client
 * (kafkajs-internals.ts).
 */
export async function commitPositions(
  kafka: Kafka,
  topic: string,
  groupId: string,
  positions: Record<number, string>,
  metadata: Record<number, string> = {},
): Promise<void> {
  const partitions = Object.entries(positions).map(([partition, offset]) => ({
    partition: Number(partition),
    offset,
    metadata: metadata[Number(partition)] ?? null,
  }))
  if (partitions.length === 0) return
  const deadline = Date.now() + COMMIT_RETRY_MS
  for (let attempt = 0; ; attempt++) {
    try {
      const coordinator = await coordinatorOf(kafka, groupId)
      const reply = await coordinator.offsetCommit({
        groupId,
        groupGenerationId: -1,
        memberId: '',
        retentionTime: -1,
        topics: [{topic, partitions}],
      })
      return rejectPartitionErrors(reply)
    } catch (e) {
      // The coordinator may have moved: the next commit looks it up again.
      coordinators.get(kafka)?.delete(groupId)
      if (!retriable(e) || Date.now() >= deadline) throw toMailroomError(e, {topic, group: groupId})
      await awaitCoordinatorMove(kafka, attempt)
    }
  }
}

/**
 * How long a commit keeps trying while its coordinator's broker is gone: the controller moves the partition of
 * __consumer_offsets once the broker's session expires (broker.session.timeout.ms, 9 s by default). A commit is
 * idempotent (it sets offsets), so trying again is safe.
 */
const COMMIT_RETRY_MS = 30_000
/** COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, REQUEST_TIMED_OUT. */
const COORDINATOR_MOVING = new Set([14, 15, 16, 7])

class PartitionCommitError extends MailroomError {
  constructor(
    readonly errorCode: number,
    partition: number,
  ) {
    super('PROTOCOL', `committing partition ${partition} failed with Kafka error code ${errorCode}`)
  }
}

/**
 * A lost connection, or a coordinator that moved or is loading: worth asking again. Judged by the root cause: the
 * coordinator lookup's own retries end in KafkaJSNumberOfRetriesExceeded, which kafkajs marks not retriable.
 */
function retriable(e: unknown): boolean {
  if (e instanceof PartitionCommitError) return COORDINATOR_MOVING.has(e.errorCode)
  const cause = rootCause(e) as {name?: string; retriable?: boolean}
  const name = cause.name ?? ''
  return cause.retriable === true || name === 'KafkaJSConnectionError' || name === 'KafkaJSConnectionClosedError'
}

async function awaitCoordinatorMove(kafka: Kafka, attempt: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 200 * 2 ** attempt)))
  // Fresh metadata, so the lookup that follows finds the coordinator's new broker rather than the dead one.
  await sharedCluster(kafka)
    .then((cluster) => clusterInternals(cluster).refreshMetadata())
    .catch(() => undefined)
}

/**
 * Finds the group's coordinator ahead of the first commit (a replay is about to commit). The first lookup on a
 * client takes a quarter of a second here: off the critical path, it no longer delays the first commit.
 */
export function prepareCommits(kafka: Kafka, groupId: string): void {
  coordinatorOf(kafka, groupId).catch(() => undefined)
}

interface Coordinator {
  offsetCommit(o: unknown): Promise<unknown>
}

/** Each group's coordinator, looked up once per client rather than once per commit. */
const coordinators = new WeakMap<Kafka, Map<string, Promise<Coordinator>>>()

function coordinatorOf(kafka: Kafka, groupId: string): Promise<Coordinator> {
  let known = coordinators.get(kafka)
  if (!known) coordinators.set(kafka, (known = new Map()))
  let coordinator = known.get(groupId)
  if (!coordinator) {
    coordinator = sharedCluster(kafka).then(
      (cluster) => clusterInternals(cluster).findGroupCoordinator({groupId}) as unknown as Promise<Coordinator>,
    )
    coordinator.catch(() => known.delete(groupId))
    known.set(groupId, coordinator)
  }
  return coordinator
}

/** Closes the cluster connection commits (and group reads) opened for this client, if any. */
export async function closeCommitConnection(kafka: Kafka | undefined): Promise<void> {
  if (!kafka) return
  // A lookup still running (prepareCommits) would reconnect a disconnected cluster and keep the process alive.
  const lookups = [...(coordinators.get(kafka)?.values() ?? [])]
  coordinators.delete(kafka)
  await Promise.allSettled(lookups)
  await closeSharedCluster(kafka)
}

function rejectPartitionErrors(reply: unknown): void {
  const topics = (reply as {responses?: {partitions?: {partition: number; errorCode: number}[]}[]}).responses ?? []
  for (const t of topics) {
    for (const p of t.partitions ?? []) {
      if (p.errorCode !== 0) throw new PartitionCommitError(p.errorCode, p.partition)
    }
  }
}
