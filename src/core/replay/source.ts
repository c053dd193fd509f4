// Reading the DLQ for a replay: the strategy follows from the target's kind and what the adapter can do, the
// bound is captured before reading, and each message is settled only as the engine decides:
// - replayed(d): the destination confirmed it -> ack / commit / delete;
// - leave(d): not replayed -> it stays in the DLQ (queues: requeued when the reader closes; Kafka: not marked
//   in the replay group's cursor; streams: not deleted). passOver(d): the user chose not to replay it
//   (--filter): the same as leave, so a later run with another filter or none can still replay it.
import {readBatchesOf} from '../../adapters/batched.js'
import {type BrokerAdapter, type Delivery, MailroomError, type ReadOptions, type TargetInfo} from '../../adapters/types.js'
import {offsetBelow} from '../offsets.js'
import {type CommittedCursor, CursorCommitter, MAX_SPAN} from './cursor.js'
import {IDLE, IdleWatch} from './idle-watch.js'
import type {ReplayMode, SnapshotBound, SourceFacts, SourceStrategy} from './types.js'

/** Queues: messages held back (not replayed) stay unacknowledged until the end; at most this many. */
export const HOLD_LIMIT = 5000
/** Queues: no delivery for this long means the queue has nothing more for us (its depth counted others' messages). */
const QUEUE_IDLE_MS = 3000

export function replayGroup(topic: string): string {
  return `mailroom-replay.${topic}`
}

/** The strategy and the snapshot bound, from one describe of the target. */
export async function inspectSource(adapter: BrokerAdapter, target: string, mode: ReplayMode): Promise<SourceFacts> {
  const info = await adapter.describeTarget(target, {consumers: false})
  const strategy = strategyFor(adapter, info, mode)
  if (strategy === 'consume-queue' && adapter.exactDepth) info.depth = await adapter.exactDepth(target)
  const bound = boundOf(info)
  let count = info.depth
  if (strategy === 'commit-group' && bound.kind === 'offsets' && adapter.committedPositions) {
    count = remainingForGroup(bound.ends, info, await adapter.committedPositions(target, replayGroup(target)))
  }
  return {broker: adapter.kind, target, kind: info.kind, strategy, bound, ...(count === undefined ? {} : {count})}
}

function strategyFor(adapter: BrokerAdapter, info: TargetInfo, mode: ReplayMode): SourceStrategy {
  const name = `${adapter.kind}:${info.name}`
  switch (info.kind) {
    case 'classic-queue':
    case 'quorum-queue':
      if (mode === 'copy') {
        throw new MailroomError('UNSUPPORTED', `${name} is a ${info.kind}: it cannot be read without taking messages off it, so --copy is impossible`, {
          suggestions: ['Replay without --copy (a safe move: each message leaves the DLQ only once the destination confirmed it)', 'Or keep a copy first with: mailroom dlq export'],
        })
      }
      return 'consume-queue'
    case 'topic':
      return mode === 'move' ? 'commit-group' : 'read-only'
    case 'stream':
      if (mode === 'copy') return 'read-only'
      if (!adapter.deleteMessage) throw moveImpossible(name, 'it cannot delete single entries')
      return 'delete-entry'
    case 'stream-queue':
      if (mode === 'copy') return 'read-only'
      throw moveImpossible(name, 'a stream queue never removes messages on read')
    default:
      throw new MailroomError('USAGE', `${name} is an ${info.kind}, not a queue, topic or stream to replay from`)
  }
}

function moveImpossible(name: string, why: string): MailroomError {
  return new MailroomError('UNSUPPORTED', `cannot move messages out of ${name}: ${why}`, {suggestions: ['Replay with --copy, which leaves the originals in place']})
}

function boundOf(info: TargetInfo): SnapshotBound {
  if (info.kind === 'topic') {
    const partitions = (info.details?.partitions ?? []) as {partition: number; high?: string}[]
    return {kind: 'offsets', ends: Object.fromEntries(partitions.map((p) => [String(p.partition), p.high ?? '0']))}
  }
  if (info.kind === 'stream' && typeof info.details?.lastSeq === 'number') return {kind: 'sequence', last: info.details.lastSeq}
  return {kind: 'depth', depth: info.depth ?? 0}
}

function remainingForGroup(ends: Record<string, string>, info: TargetInfo, committed: Record<number, string>): number {
  const partitions = (info.details?.partitions ?? []) as {partition: number; low?: string}[]
  let total = 0n
  for (const p of partitions) {
    const end = BigInt(ends[String(p.partition)] ?? '0')
    const low = BigInt(p.low ?? '0')
    const from = committed[p.partition] === undefined ? low : BigInt(committed[p.partition]!)
    const start = from < low ? low : from
    if (end > start) total += end - start
  }
  return Number(total)
}

export interface ReplaySource {
  /** The next message within the bound; undefined at the end. */
  next(): Promise<Delivery | undefined>
  replayed(d: Delivery): Promise<void>
  leave(d: Delivery): Promise<void>
  passOver(d: Delivery): Promise<void>
  /** A content-identified message turned out to be one counted as done by an earlier run: read one more. */
  extendBound(): void
  /** Messages held unsettled (queues), to respect HOLD_LIMIT. */
  readonly held: number
  /** Why part of the bound was left unread, if it was (the Kafka cursor's MAX_SPAN). */
  shortfall?(): string | undefined
  /** Ends the read; call only once nothing is in flight. Held messages go back to the queue. */
  close(): Promise<void>
}

export interface OpenSourceOptions {
  window: number
  /** Queues on resume: messages of the bound an earlier run already confirmed. */
  alreadyConfirmed?: number
}

export async function openSource(adapter: BrokerAdapter, facts: SourceFacts, o: OpenSourceOptions): Promise<ReplaySource> {
  if (!adapter.read) throw new MailroomError('UNSUPPORTED', `${adapter.kind} cannot read messages`)
  switch (facts.strategy) {
    case 'consume-queue':
      return new QueueSource(adapter, facts, o)
    case 'commit-group':
      return GroupSource.open(adapter, facts, o)
    case 'delete-entry':
    case 'read-only':
      return new PositionedSource(adapter, facts, {untilEnd: true, from: {kind: 'earliest'}, prefetch: Math.max(64, o.window)})
  }
}

type WaitLimit = (batch: Promise<IteratorResult<Delivery[]>>) => Promise<IteratorResult<Delivery[]> | typeof IDLE>

/**
 * The shared part: one reader, closed through an abort that never fires while work is in flight. It reads in batches
 * (what the broker delivered in one go) and hands them out one message at a time.
 */
abstract class ReaderSource implements ReplaySource {
  protected readonly stop = new AbortController()
  private readonly it: AsyncIterator<Delivery[]>
  private pendingBatch?: Promise<IteratorResult<Delivery[]>>
  private batch: Delivery[] = []
  private taken = 0
  held = 0

  constructor(
    protected readonly adapter: BrokerAdapter,
    protected readonly facts: SourceFacts,
    readOptions: ReadOptions,
  ) {
    this.it = readBatchesOf(adapter, facts.target, {...readOptions, signal: this.stop.signal})[Symbol.asyncIterator]()
  }

  abstract next(): Promise<Delivery | undefined>
  abstract replayed(d: Delivery): Promise<void>

  async leave(_d: Delivery): Promise<void> {}

  passOver(d: Delivery): Promise<void> {
    return this.leave(d)
  }

  extendBound(): void {}

  /**
   * The next message: from the buffer, or from the next batch read. `within` bounds the wait for a batch (a queue
   * gives up when nothing comes); by default it waits as long as the reader does.
   */
  protected async pull(within: WaitLimit = (batch) => batch): Promise<Delivery | undefined> {
    for (;;) {
      if (this.taken < this.batch.length) return this.batch[this.taken++]
      const r = await within(this.nextBatch())
      if (r === IDLE || r.done) return undefined
    }
  }

  /** Reads the next batch into the buffer (a read still pending from an earlier call is the one awaited). */
  private nextBatch(): Promise<IteratorResult<Delivery[]>> {
    this.pendingBatch ??= this.it.next().then((r) => {
      this.pendingBatch = undefined
      if (!r.done) {
        this.batch = r.value
        this.taken = 0
      }
      return r
    })
    return this.pendingBatch
  }

  async close(): Promise<void> {
    this.stop.abort()
    await this.it.return?.().catch(() => undefined)
  }
}

/** Classic / quorum queues: a manual-ack consumer, counted up to the depth captured at start. */
class QueueSource extends ReaderSource {
  private remaining: number
  private readonly idle = new IdleWatch(QUEUE_IDLE_MS)

  constructor(adapter: BrokerAdapter, facts: SourceFacts, o: OpenSourceOptions) {
    const depth = facts.bound.kind === 'depth' ? facts.bound.depth : 0
    const remaining = Math.max(0, depth - (o.alreadyConfirmed ?? 0))
    super(adapter, facts, {consume: true, prefetch: Math.max(1, Math.min(remaining + 1, o.window + HOLD_LIMIT))})
    this.remaining = remaining
  }

  async next(): Promise<Delivery | undefined> {
    if (this.remaining <= 0) return undefined
    const d = await this.pull((batch) => this.idle.within(batch))
    if (d) this.remaining--
    return d
  }

  replayed(d: Delivery): Promise<void> {
    return d.settle('ack')
  }

  override async leave(_d: Delivery): Promise<void> {
    // Held unacknowledged: requeued (in place, for classic queues) when the reader closes. Requeueing now would
    // hand it straight back to this consumer.
    this.held++
  }

  override extendBound(): void {
    this.remaining++
  }

  override async close(): Promise<void> {
    this.idle.stop()
    await super.close()
  }
}

/** Topics and streams: whether a message's position is inside the bound captured at start. */
export function withinBound(d: Delivery, bound: SnapshotBound): boolean {
  const meta = d.envelope.meta ?? {}
  if (bound.kind === 'sequence') return meta.sequence === undefined || meta.sequence <= bound.last
  if (bound.kind === 'offsets') {
    const end = bound.ends[String(meta.partition)]
    return end === undefined || meta.offset === undefined || offsetBelow(meta.offset, end)
  }
  return true
}

/** Topics and streams: positions tell whether a message is inside the bound. */
class PositionedSource extends ReaderSource {
  async next(): Promise<Delivery | undefined> {
    for (;;) {
      const d = await this.pull()
      if (!d) return undefined
      if (withinBound(d, this.facts.bound)) return d
      // Past the bound (arrived after the job started): not ours; a consuming read leaves it uncommitted.
      await d.settle('requeue')
      if (this.facts.bound.kind === 'sequence') return undefined
    }
  }

  replayed(d: Delivery): Promise<void> {
    switch (this.facts.strategy) {
      case 'delete-entry':
        return this.adapter.deleteMessage!(this.facts.target, d.envelope.meta!.sequence!).catch((e: unknown) => {
          // Already gone (deleted by a run that was killed before journaling it, or by someone else): done either way.
          if ((e as MailroomError).code !== 'NOT_FOUND') throw e
        })
      default:
        return Promise.resolve()
    }
  }

}

/**
 * Kafka: the replay group's cursor (cursor.ts) says what earlier replays moved: everything below its committed offset
 * and the records its metadata marks above it. The topic is read without joining that group (a throwaway reader from
 * the lowest committed offset) and the cursor is committed through the admin API after each batch of settles. Only
 * replayed records move it: a record left (not selected by the filter, refused, failed, or never read because of
 * --limit) stays for a later run. A killed run leaves no group member behind for the next run to wait out.
 */
class GroupSource extends PositionedSource {
  private readonly cursor: CursorCommitter
  /** Per partition: records left unread because the cursor could not remember replaying them (MAX_SPAN). */
  private readonly beyondSpan = new Map<number, number>()

  private constructor(adapter: BrokerAdapter, facts: SourceFacts, from: bigint, o: OpenSourceOptions, committed: Record<number, CommittedCursor>) {
    super(adapter, facts, {untilEnd: true, from: {kind: 'offset', value: from}, prefetch: Math.max(64, o.window * 2)})
    this.cursor = new CursorCommitter(committed, (offsets, metadata) => adapter.commitPositions!(facts.target, replayGroup(facts.target), offsets, metadata))
  }

  static async open(adapter: BrokerAdapter, facts: SourceFacts, o: OpenSourceOptions): Promise<GroupSource> {
    if (!adapter.commitPositions || !adapter.committedCursors) throw moveImpossible(`${adapter.kind}:${facts.target}`, 'its reader cannot commit positions')
    adapter.prepareCommits?.(replayGroup(facts.target))
    const committed = await adapter.committedCursors(facts.target, replayGroup(facts.target))
    const values = Object.values(committed).map((c) => BigInt(c.offset))
    // Partitions never committed start at their beginning; otherwise read from the lowest committed offset.
    const partitions = facts.bound.kind === 'offsets' ? Object.keys(facts.bound.ends).length : 0
    const from = values.length < partitions || values.length === 0 ? 0n : values.reduce((a, b) => (a < b ? a : b))
    return new GroupSource(adapter, facts, from, o, committed)
  }

  override async next(): Promise<Delivery | undefined> {
    for (;;) {
      const d = await super.next()
      if (!d) return undefined
      if (this.cursor.beyondSpan(d)) {
        const partition = d.envelope.meta?.partition ?? 0
        this.beyondSpan.set(partition, (this.beyondSpan.get(partition) ?? 0) + 1)
        continue
      }
      const before = this.cursor.replayedBefore(d)
      this.cursor.read(d)
      if (!before) return d
    }
  }

  override replayed(d: Delivery): Promise<void> {
    return this.cursor.settle(d)
  }

  shortfall(): string | undefined {
    if (this.beyondSpan.size === 0) return undefined
    const left = [...this.beyondSpan].map(([p, n]) => `${n} in partition ${p}`).join(', ')
    return `${left} were not read: they lie over ${MAX_SPAN} records past a record no replay has moved yet, further than the replay group can remember; replay the records held back (with another filter or none), then run again`
  }

  /** The reader (its throwaway group) and the replay group's last commit are independent: both at once. */
  override async close(): Promise<void> {
    await Promise.all([super.close(), this.cursor.flush()])
  }
}
