// Reading the DLQ for a replay: the strategy follows from the target's kind and what the adapter can do, the
// bound is captured before reading, and each message is settled only as the engine decides:
// - replayed(d): the destination confirmed it -> ack / commit / delete;
// - leave(d): not replayed -> it stays in the DLQ (queues: requeued when the reader closes; Kafka: not marked
//   in the replay group's cursor; streams: not deleted). passOver(d): the user chose not to replay it
//   (--filter): the same as leave, so a later run with another filter or none can still replay it.
import {readBatchesOf} from '../../adapters/batched.js'
import type {BrokerAdapter, Delivery, ReadOptions, TargetInfo} from '../../adapters/types.js'
import {MailroomError} from '../../model/errors.js'
import {replayGroup} from '../../model/replay-group.js'
import {offsetBelow} from '../offsets.js'
import {beyondSpanMessage, type CommittedCursor, countBeyond, CursorCommitter, decodeReplayed} from './cursor.js'
import {messageIdentity} from './identity.js'
import {IDLE, IdleWatch} from './idle-watch.js'
import type {ReplayMode, ReplayStop, SnapshotBound, SourceFacts, SourceStrategy} from './types.js'

/** Queues: messages held back (not replayed) stay unacknowledged until the end; at most this many. */
export const HOLD_LIMIT = 5000
/** Queues: after this long without a delivery, the broker is asked whether the queue still holds anything for us. */
const QUEUE_IDLE_MS = 3000
/**
 * Queues: how long to go on waiting without a delivery while the broker still reports messages (being requeued
 * after a peek, or held by another consumer) before the run stops, leaving them, as partial.
 */
const QUEUE_STALL_MS = 60_000

/** The strategy and the snapshot bound, from one describe of the target. */
export async function inspectSource(adapter: BrokerAdapter, target: string, mode: ReplayMode): Promise<SourceFacts> {
  const info = await adapter.describeTarget(target, {consumers: false})
  const strategy = strategyFor(adapter, info, mode)
  if (strategy === 'consume-queue') info.depth = await queueDepth(adapter, target, info.depth)
  const bound = boundOf(info)
  let count = info.depth
  if (strategy === 'commit-group' && bound.kind === 'offsets' && adapter.committedCursors) {
    count = remainingForGroup(bound.ends, info, await adapter.committedCursors(target, replayGroup(target)))
  }
  return {broker: adapter.kind, target, kind: info.kind, strategy, bound, ...(count === undefined ? {} : {count})}
}

/** A queue's bound counts the messages unacknowledged right now (a peek still returning them): they come back. */
async function queueDepth(adapter: BrokerAdapter, target: string, described: number | undefined): Promise<number | undefined> {
  if (adapter.queueHoldings) return (await adapter.queueHoldings(target)).total
  return adapter.exactDepth ? adapter.exactDepth(target) : described
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

/** Records within the bound the cursor does not mark as replayed: from its committed offset, less those marked above. */
function remainingForGroup(ends: Record<string, string>, info: TargetInfo, committed: Record<number, CommittedCursor>): number {
  const partitions = (info.details?.partitions ?? []) as {partition: number; low?: string}[]
  let total = 0n
  for (const p of partitions) {
    const end = BigInt(ends[String(p.partition)] ?? '0')
    const low = BigInt(p.low ?? '0')
    const cursor = committed[p.partition]
    const from = cursor?.offset === undefined ? low : BigInt(cursor.offset)
    const start = from < low ? low : from
    if (end <= start) continue
    let marked = 0n
    for (const o of decodeReplayed(from, cursor?.metadata)) if (o >= start && o < end) marked++
    total += end - start - marked
  }
  return Number(total)
}

export interface ReplaySource {
  /** The next message within the bound; undefined at the end. */
  next(): Promise<Delivery | undefined>
  replayed(d: Delivery): Promise<void>
  leave(d: Delivery): Promise<void>
  passOver(d: Delivery): Promise<void>
  /**
   * True for a message an earlier attempt of this job confirmed at its destination and could not settle here (it
   * was killed first): publishing it again makes a possible duplicate. Queue resumes only; positions (offsets,
   * sequences) say the same through the journal.
   */
  repeated(d: Delivery): boolean
  /** Why the read ended before its bound, when it did (the broker still reports messages it did not deliver). */
  readonly cutShort?: ReplayStop
  /** Messages held unsettled (queues), to respect HOLD_LIMIT. */
  readonly held: number
  /** Why part of the bound was left unread, if it was (the Kafka cursor's MAX_SPAN). */
  shortfall?(): string | undefined
  /** Ends the read; call only once nothing is in flight. Held messages go back to the queue. */
  close(): Promise<void>
}

export interface OpenSourceOptions {
  window: number
  /** Queues on resume: the content ids earlier attempts confirmed, each with how many messages it stands for. */
  confirmedBefore?: ReadonlyMap<string, number>
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

  repeated(_d: Delivery): boolean {
    return false
  }

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

/**
 * Classic / quorum queues: a manual-ack consumer, counted up to the depth captured at start. A resume counts what
 * earlier attempts confirmed as gone; the messages among them still in the queue (their ack was lost to a kill) are
 * read again outside that count, which is why it goes on reading, past its count, while any may remain.
 */
class QueueSource extends ReaderSource {
  private remaining: number
  private readonly idle = new IdleWatch(QUEUE_IDLE_MS)
  private readonly earlier: EarlierConfirmations
  /** Delivered to this reader and not acknowledged (in flight or held): the broker counts them as unacked. */
  private unacked = 0
  private ended = false
  cutShort?: ReplayStop

  constructor(adapter: BrokerAdapter, facts: SourceFacts, o: OpenSourceOptions) {
    const depth = facts.bound.kind === 'depth' ? facts.bound.depth : 0
    const earlier = new EarlierConfirmations(facts, o.confirmedBefore)
    const remaining = Math.max(0, depth - earlier.total)
    // An attempt leaves at most a window of its confirmed messages unsettled: prefetching more would only take (and,
    // on a quorum queue, count a delivery of) messages beyond the bound.
    const wanted = remaining + Math.min(earlier.outstanding, o.window) + 1
    super(adapter, facts, {consume: true, prefetch: Math.max(1, Math.min(wanted, o.window + HOLD_LIMIT))})
    this.remaining = remaining
    this.earlier = earlier
  }

  async next(): Promise<Delivery | undefined> {
    if (this.ended || (this.remaining <= 0 && this.earlier.outstanding === 0)) return undefined
    const d = await this.pull((batch) => this.waitForDelivery(batch))
    if (!d) return undefined
    this.unacked++
    if (this.earlier.claim(d)) return d
    if (this.remaining <= 0) {
      // Past the bound and not one of the earlier attempts' messages: not this job's; requeued when the reader closes.
      this.held++
      this.ended = true
      return undefined
    }
    this.remaining--
    return d
  }

  override repeated(d: Delivery): boolean {
    return this.earlier.claimed(d)
  }

  async replayed(d: Delivery): Promise<void> {
    await d.settle('ack')
    this.unacked--
  }

  override async leave(_d: Delivery): Promise<void> {
    // Held unacknowledged: requeued (in place, for classic queues) when the reader closes. Requeueing now would
    // hand it straight back to this consumer.
    this.held++
  }

  /**
   * No delivery for QUEUE_IDLE_MS: the queue is done for us only once the broker reports nothing but our own
   * unacknowledged messages. A peek that just ended may still be returning thousands: wait for them, up to
   * QUEUE_STALL_MS without a delivery, then stop and say why.
   */
  private async waitForDelivery(batch: Promise<IteratorResult<Delivery[]>>): Promise<IteratorResult<Delivery[]> | typeof IDLE> {
    const since = performance.now()
    for (;;) {
      const r = await this.idle.within(batch)
      if (r !== IDLE) return r
      const holdings = await this.adapter.queueHoldings?.(this.facts.target)
      if (!holdings || holdings.total - this.unacked <= 0) return IDLE
      if (performance.now() - since >= QUEUE_STALL_MS) {
        const left = holdings.total - this.unacked
        this.cutShort = {code: 'PARTIAL', message: stalledMessage(this.facts, left, holdings.ready), left}
        return IDLE
      }
    }
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

function stalledMessage(facts: SourceFacts, others: number, ready: number): string {
  const seconds = Math.round(QUEUE_STALL_MS / 1000)
  return `${facts.broker}:${facts.target} delivered nothing for ${seconds} s while the broker still reports ${others} message(s) in it (${ready} ready, the rest unacknowledged: held by another consumer, or still being requeued after a peek); they stay in the DLQ`
}

/** A queue resume: the content ids earlier attempts confirmed at the destination, taken as they are read again. */
class EarlierConfirmations {
  /** Messages the ids stand for (identical twins share an id). */
  readonly total: number
  private readonly left: Map<string, number>
  private readonly repeats = new WeakSet<Delivery>()
  outstanding: number

  constructor(
    private readonly facts: SourceFacts,
    confirmed: ReadonlyMap<string, number> = new Map(),
  ) {
    this.left = new Map(confirmed)
    this.total = [...confirmed.values()].reduce((a, b) => a + b, 0)
    this.outstanding = this.total
  }

  /** True (and remembered for claimed()) when d carries an id an earlier attempt confirmed and no other read took. */
  claim(d: Delivery): boolean {
    if (this.outstanding === 0) return false
    const {id} = messageIdentity(d.envelope, this.facts.broker, this.facts.target)
    const n = this.left.get(id)
    if (!n) return false
    if (n === 1) this.left.delete(id)
    else this.left.set(id, n - 1)
    this.outstanding--
    this.repeats.add(d)
    return true
  }

  claimed(d: Delivery): boolean {
    return this.repeats.has(d)
  }
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
      const admitted = this.cursor.admit(d)
      if (admitted === 'new') return d
      if (admitted === 'beyond') countBeyond(this.beyondSpan, d)
    }
  }

  override replayed(d: Delivery): Promise<void> {
    return this.cursor.settle(d)
  }

  shortfall(): string | undefined {
    return this.beyondSpan.size === 0 ? undefined : beyondSpanMessage(this.beyondSpan)
  }

  /** The reader (its throwaway group) and the replay group's last commit are independent: both at once. */
  override async close(): Promise<void> {
    await Promise.all([super.close(), this.cursor.flush()])
  }
}
