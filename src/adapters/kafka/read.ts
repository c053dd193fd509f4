// Reading a topic. kafkajs only consumes through groups, so a non-destructive read uses a throwaway group that
// never commits and is deleted afterwards; a consuming read (opts.consume) uses the named group and commits
// offset+1 on settle.
import {randomUUID} from 'node:crypto'
import type {Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage} from 'kafkajs'
import {type Delivery, type ReadOptions, noSettlement} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {once} from '../../model/once.js'
import {BoundedChannel} from './channel.js'
import {CONSUMER_FAILOVER_RETRY} from './client.js'
import {OffsetCommitter} from './committer.js'
import {envelopeFromKafka} from './map.js'
import {deleteGroupErrorType, isBrokerLoss, toMailroomError} from './map-error.js'
import {EndTracker, type Positions, startPositions} from './positions.js'
import {partitionOffsets, topicPartitions} from './topics.js'

export const DEFAULT_PREFETCH = 500
export const THROWAWAY_GROUP_PREFIX = 'mailroom-tail-'
/** Short fetch waits so a stop or abort is noticed quickly. */
const MAX_FETCH_WAIT_MS = 250
/**
 * A read to the end never needs to wait for new records, and the consumer's disconnect waits for the fetch in flight:
 * with the longer wait, every `--until-end` read ended a quarter of a second late.
 */
const UNTIL_END_FETCH_WAIT_MS = 20
/**
 * Smaller fetches than kafkajs' defaults (1 MiB per partition, 10 MiB per request): kafkajs decodes a whole fetch
 * into objects at once, and on 1,000,000 small records the larger batches alone pushed peak RSS past 200 MB
 * (bench/messaging.mjs) without making the read faster.
 */
const MAX_FETCH_BYTES_PER_PARTITION = 256 * 1024
const MAX_FETCH_BYTES = 1024 * 1024
const GROUP_DELETE_DEADLINE_MS = 5000
/**
 * A non-destructive read whose consumer gave up on a lost broker (its retries span about 25 s) starts a new one
 * where it stopped, again and again until this long passed without a record, then reports the loss.
 */
const BROKER_LOSS_LIMIT_MS = 90_000
const RESTART_PAUSE_MS = 2000

export async function* readTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  o: ReadOptions = {},
): AsyncGenerator<Delivery[]> {
  const group = consumingGroup(o)
  await topicPartitions(admin, topic)
  const offsets = await partitionOffsets(admin, topic)
  const starts = await startPositions(admin, topic, offsets, o.from, group)
  const ends = o.untilEnd ? new EndTracker(new Map(offsets.map((p) => [p.partition, p.high])), starts) : undefined
  if (ends?.done || o.signal?.aborted) return
  const options = {...o, onPositioned: o.onPositioned && once(o.onPositioned)}
  let from = starts
  let progressAt = performance.now()
  let told = false
  for (;;) {
    const session = new ReadSession(kafka, admin, topic, group, from, ends, options)
    try {
      await session.start()
      for await (const batch of session.batches()) {
        progressAt = performance.now()
        told = false
        yield batch
      }
      return
    } catch (e) {
      // A consuming read's group would deliver again what was not committed: it reports the loss instead.
      const goOn = !group && session.lostBroker() && performance.now() - progressAt < BROKER_LOSS_LIMIT_MS
      if (!goOn || o.signal?.aborted) throw e
      from = session.nextPositions()
      if (!told) o.onFailover?.(`${toMailroomError(e, {topic}).message}; reading on from ${positionsText(from)}`)
      told = true
    } finally {
      await session.stop()
    }
    await new Promise((resolve) => setTimeout(resolve, RESTART_PAUSE_MS))
    if (o.signal?.aborted) return
  }
}

function positionsText(positions: Positions): string {
  const parts = [...positions].sort(([a], [b]) => a - b).map(([partition, offset]) => `${partition}@${offset}`)
  return `partition@offset ${parts.join(' ')}`
}

function consumingGroup(o: ReadOptions): string | undefined {
  if (o.consume && !o.group) {
    throw new MailroomError('USAGE', 'consuming from Kafka needs a consumer group to commit for', {
      suggestions: ['Name the group to consume as, or read without consuming'],
    })
  }
  if (!o.consume && o.group) {
    throw new MailroomError(
      'USAGE',
      'a consumer group is only used when consuming; a non-destructive read never joins one',
    )
  }
  return o.consume ? o.group : undefined
}

export class ReadSession {
  private readonly groupId: string
  private readonly consumer: Consumer
  private readonly channel: BoundedChannel<Delivery>
  private readonly committer?: OffsetCommitter
  private running?: Promise<void>
  private toldPositioned = false
  /** What ended the read, as kafkajs reported it. */
  private failure?: unknown
  /** Partitions' next offsets past what was handed to the reader (a failed read hands over all it buffered). */
  private readonly handedOut = new Map<number, bigint>()
  private readonly onAbort = () => this.channel.end()

  constructor(
    kafka: Kafka,
    private readonly admin: Admin,
    private readonly topic: string,
    private readonly group: string | undefined,
    private readonly starts: Positions,
    private readonly ends: EndTracker | undefined,
    private readonly o: ReadOptions,
  ) {
    this.groupId = group ?? `${THROWAWAY_GROUP_PREFIX}${randomUUID()}`
    this.channel = new BoundedChannel(Math.max(1, o.prefetch ?? DEFAULT_PREFETCH))
    this.consumer = kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: o.untilEnd ? UNTIL_END_FETCH_WAIT_MS : MAX_FETCH_WAIT_MS,
      maxBytesPerPartition: MAX_FETCH_BYTES_PER_PARTITION,
      maxBytes: MAX_FETCH_BYTES,
      retry: {...CONSUMER_FAILOVER_RETRY, restartOnFailure: async () => false},
    })
    if (group) this.committer = new OffsetCommitter((offsets) => this.commit(offsets))
  }

  async start(): Promise<void> {
    this.o.signal?.addEventListener('abort', this.onAbort, {once: true})
    try {
      await this.consumer.connect()
      await this.consumer.subscribe({topics: [this.topic], fromBeginning: true})
    } catch (e) {
      this.failure ??= e
      throw this.mapError(e)
    }
    this.consumer.on(this.consumer.events.CRASH, ({payload}) => {
      if (!payload.restart) this.fail(payload.error)
    })
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({payload}) => {
      if (!this.group) this.seekPastHandedOut(payload.memberAssignment[this.topic] ?? [])
      this.positioned()
    })
    // Batches holding only control records or aborted messages never reach eachBatch but still move the end.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({payload}) =>
      this.reached(payload.partition, BigInt(payload.lastOffset)),
    )
    this.running = this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (b) => this.onBatch(b),
    })
    this.running.catch((e) => this.fail(e))
    // Seeks registered before the group is joined apply before the first fetch.
    for (const [partition, offset] of this.starts)
      this.consumer.seek({topic: this.topic, partition, offset: offset.toString()})
  }

  private fail(e: unknown): void {
    this.failure ??= e
    this.channel.fail(this.mapError(e))
  }

  /** The read ended because a broker was lost or did not answer (a new consumer may not meet it). */
  lostBroker(): boolean {
    return this.failure !== undefined && isBrokerLoss(this.failure)
  }

  /** Where a new read goes on from: past what this one handed out, else where it started. */
  nextPositions(): Positions {
    return new Map([...this.starts, ...this.handedOut])
  }

  /**
   * After every join, kafkajs starts each partition again from the group's committed offsets, and a throwaway group
   * never commits: a rebalance (a missed heartbeat under load, a moving coordinator) would read the partition again
   * from the beginning. The seeks registered here apply before the first fetch of the new generation.
   */
  private seekPastHandedOut(partitions: number[]): void {
    for (const partition of partitions) {
      const offset = this.handedOut.get(partition) ?? this.starts.get(partition)
      if (offset !== undefined) this.consumer.seek({topic: this.topic, partition, offset: offset.toString()})
    }
  }

  /** Joined with partitions assigned (the seeks made before apply to the first fetch): told once. */
  private positioned(): void {
    if (this.toldPositioned) return
    this.toldPositioned = true
    this.o.onPositioned?.()
  }

  batches(): AsyncGenerator<Delivery[]> {
    return this.channel.batches()
  }

  private async onBatch({batch, resolveOffset, heartbeat, isRunning, isStale, pause}: EachBatchPayload): Promise<void> {
    const {partition} = batch
    const end = this.ends?.end(partition)
    const deliveries: Delivery[] = []
    let lastTaken: string | undefined
    for (const message of batch.messages) {
      const offset = BigInt(message.offset)
      if (end !== undefined && offset >= end) break
      this.committer?.track(partition, offset)
      deliveries.push(this.delivery(partition, message, offset))
      lastTaken = message.offset
    }
    if (!isRunning() || isStale()) return
    if (lastTaken !== undefined) this.handedOut.set(partition, BigInt(lastTaken) + 1n)
    if (!(await this.channel.pushAll(deliveries, heartbeat))) return
    if (lastTaken !== undefined) resolveOffset(lastTaken)
    if (this.reached(partition, BigInt(batch.lastOffset()))) pause()
  }

  private delivery(partition: number, message: KafkaMessage, offset: bigint): Delivery {
    const envelope = envelopeFromKafka(this.topic, partition, message)
    const committer = this.committer
    if (!committer) return {envelope, settle: noSettlement}
    return {envelope, settle: (how) => committer.settle(partition, offset, how)}
  }

  /** True when the partition is past the captured end (untilEnd); ends the read once all partitions are. */
  private reached(partition: number, lastOffset: bigint): boolean {
    if (!this.ends) return false
    this.ends.reached(partition, lastOffset)
    if (this.ends.done) this.channel.end()
    const end = this.ends.end(partition)
    return end !== undefined && lastOffset >= end - 1n
  }

  private async commit(offsets: {partition: number; offset: string}[]): Promise<void> {
    try {
      await this.consumer.commitOffsets(offsets.map((o) => ({topic: this.topic, ...o})))
    } catch (e) {
      throw this.mapError(e)
    }
  }

  /** Leaves nothing behind: flushes commits, leaves the group, deletes a throwaway group. */
  async stop(): Promise<void> {
    this.o.signal?.removeEventListener('abort', this.onAbort)
    await this.committer?.flush().catch(() => undefined)
    // Closing first releases an eachBatch waiting for room, which disconnect() would otherwise wait for.
    this.channel.close()
    await this.consumer.disconnect().catch(() => undefined)
    await this.running?.catch(() => undefined)
    if (!this.group) await deleteGroup(this.admin, this.groupId)
  }

  private mapError(e: unknown): MailroomError {
    return toMailroomError(e, {topic: this.topic, group: this.group})
  }
}

/**
 * The group may take a moment to become empty after leaving, and its coordinator may be busy or moving: retried
 * until the deadline, then left (Kafka expires an empty group without offsets). One that never formed is not an error.
 */
async function deleteGroup(admin: Admin, groupId: string): Promise<void> {
  const deadline = Date.now() + GROUP_DELETE_DEADLINE_MS
  for (;;) {
    try {
      await admin.deleteGroups([groupId])
      return
    } catch (e) {
      if (deleteGroupErrorType(e) === 'GROUP_ID_NOT_FOUND' || Date.now() > deadline) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
