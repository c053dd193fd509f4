// Reading the DLQ for a replay: the strategy follows from the target's kind and what the adapter can do, the
// bound is captured before reading, and each message is settled only as the engine decides:
// - replayed(d): the destination confirmed it -> ack / commit / delete;
// - leave(d): not replayed -> it stays in the DLQ (queues: requeued when the reader closes; Kafka: not marked
//   in the replay group's cursor; streams: not deleted). passOver(d): the user chose not to replay it
//   (--filter): the same as leave, so a later run with another filter or none can still replay it.
import {readBatchesOf, readOf} from '../../adapters/batched.js'
import type {
  BrokerAdapter,
  Delivery,
  QueueHoldings,
  ReadOptions,
  ReplayCursor,
  ReplaySourceCapability,
} from '../../adapters/types.js'
import {MailroomError} from '../../model/errors.js'
import {offsetBelow} from '../offsets.js'
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

/** What a run journals about its source, and what the adapter offered to read and settle it with. */
export interface InspectedSource {
  facts: SourceFacts
  offer: ReplaySourceCapability
}

/** The strategy and the snapshot bound, from one look at the target. */
export async function inspectSource(
  adapter: BrokerAdapter,
  target: string,
  mode: ReplayMode,
): Promise<InspectedSource> {
  const offer = await replaySourceOf(adapter, target)
  const strategy = strategyFor(`${adapter.kind}:${target}`, offer, mode)
  const count =
    strategy === 'commit-group' && offer.kind === 'group-cursor' ? (await offer.cursor()).unreplayed : offer.depth
  const facts: SourceFacts = {
    broker: adapter.kind,
    target,
    kind: offer.targetKind,
    strategy,
    bound: boundOf(offer),
    ...(count === undefined ? {} : {count}),
  }
  return {facts, offer}
}

function replaySourceOf(adapter: BrokerAdapter, target: string): Promise<ReplaySourceCapability> {
  if (!adapter.replaySource) throw new MailroomError('UNSUPPORTED', `${adapter.kind} cannot replay messages`)
  return adapter.replaySource(target)
}

function strategyFor(name: string, offer: ReplaySourceCapability, mode: ReplayMode): SourceStrategy {
  switch (offer.kind) {
    case 'queue':
      if (mode === 'copy') {
        throw new MailroomError(
          'UNSUPPORTED',
          `${name} is a ${offer.targetKind}: it cannot be read without taking messages off it, so --copy is impossible`,
          {
            suggestions: [
              'Replay without --copy (a safe move: each message leaves the DLQ only once the destination confirmed it)',
              'Or keep a copy first with: mailroom dlq export',
            ],
          },
        )
      }
      return 'consume-queue'
    case 'group-cursor':
      return mode === 'move' ? 'commit-group' : 'read-only'
    case 'positioned':
      if (mode === 'copy') return 'read-only'
      if (!offer.deleteEntry) throw moveImpossible(name, offer.keeps ?? 'it cannot delete single entries')
      return 'delete-entry'
  }
}

function moveImpossible(name: string, why: string): MailroomError {
  return new MailroomError('UNSUPPORTED', `cannot move messages out of ${name}: ${why}`, {
    suggestions: ['Replay with --copy, which leaves the originals in place'],
  })
}

function boundOf(offer: ReplaySourceCapability): SnapshotBound {
  if (offer.kind === 'group-cursor') return {kind: 'offsets', ends: offer.ends}
  if (offer.kind === 'positioned' && offer.lastSequence !== undefined)
    return {kind: 'sequence', last: offer.lastSequence}
  return {kind: 'depth', depth: offer.depth ?? 0}
}

export interface ReplaySource {
  /** The next message within the bound; undefined at the end. */
  next(): Promise<Delivery | undefined>
  replayed(d: Delivery): Promise<void>
  /** replayed() of a batch: whether each was settled (a failed one stays in the DLQ, a possible duplicate). */
  replayedAll(ds: readonly Delivery[]): Promise<boolean[]>
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

/**
 * The reader of a run. A run that inspected its source now settles with what the adapter offered then; a resume
 * (whose facts come from the journal) asks the adapter again, where the strategy settles through it.
 */
export async function openSource(
  adapter: BrokerAdapter,
  facts: SourceFacts,
  o: OpenSourceOptions,
  offer?: ReplaySourceCapability,
): Promise<ReplaySource> {
  readOf(adapter) // UNSUPPORTED before anything is opened
  const offered = () => (offer ? Promise.resolve(offer) : replaySourceOf(adapter, facts.target))
  const positioned = {untilEnd: true, from: {kind: 'earliest'}, prefetch: Math.max(64, o.window)} as const
  switch (facts.strategy) {
    case 'consume-queue': {
      const queue = await offered()
      if (queue.kind !== 'queue') throw changedSince(facts, queue)
      return new QueueSource(adapter, facts, o, queue.holdings)
    }
    case 'commit-group': {
      const topic = await offered()
      if (topic.kind !== 'group-cursor') throw changedSince(facts, topic)
      return GroupSource.open(adapter, facts, o, await topic.cursor())
    }
    case 'delete-entry': {
      const stream = await offered()
      if (stream.kind !== 'positioned' || !stream.deleteEntry) throw changedSince(facts, stream)
      return new DeletingSource(adapter, facts, positioned, stream.deleteEntry)
    }
    case 'read-only':
      return new PositionedSource(adapter, facts, positioned)
  }
}

/** A resume found the target replaced by one read or settled otherwise than when the job started. */
function changedSince(facts: SourceFacts, now: ReplaySourceCapability): MailroomError {
  return new MailroomError(
    'UNSUPPORTED',
    `${facts.broker}:${facts.target} can no longer be read and settled as when the replay started (a ${facts.kind} then, a ${now.targetKind} now)`,
  )
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

  async replayedAll(ds: readonly Delivery[]): Promise<boolean[]> {
    const results = await Promise.allSettled(ds.map((d) => this.replayed(d)))
    return results.map((r) => r.status === 'fulfilled')
  }

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

  constructor(
    adapter: BrokerAdapter,
    facts: SourceFacts,
    o: OpenSourceOptions,
    private readonly holdings?: () => Promise<QueueHoldings>,
  ) {
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

  /** Acks made together share one write (and one promise): awaited once per distinct promise, not per message. */
  override async replayedAll(ds: readonly Delivery[]): Promise<boolean[]> {
    const acks = ds.map((d) => d.settle('ack'))
    const outcomes = new Map<Promise<void>, boolean>()
    for (const ack of new Set(acks)) outcomes.set(ack, await ack.then(settledOk, settledNot))
    const settled = acks.map((ack) => outcomes.get(ack)!)
    for (const ok of settled) if (ok) this.unacked--
    return settled
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
  private async waitForDelivery(
    batch: Promise<IteratorResult<Delivery[]>>,
  ): Promise<IteratorResult<Delivery[]> | typeof IDLE> {
    const since = performance.now()
    for (;;) {
      const r = await this.idle.within(batch)
      if (r !== IDLE) return r
      const holdings = await this.holdings?.()
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

const settledOk = (): boolean => true
const settledNot = (): boolean => false

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

  replayed(_d: Delivery): Promise<void> {
    return Promise.resolve()
  }
}

/** Streams in a move: a replayed entry is deleted by its sequence. */
class DeletingSource extends PositionedSource {
  constructor(
    adapter: BrokerAdapter,
    facts: SourceFacts,
    readOptions: ReadOptions,
    private readonly deleteEntry: (sequence: number) => Promise<void>,
  ) {
    super(adapter, facts, readOptions)
  }

  override async replayed(d: Delivery): Promise<void> {
    const sequence = d.envelope.meta?.sequence
    if (sequence === undefined)
      throw new MailroomError(
        'INTERNAL',
        `${this.facts.broker}:${this.facts.target} delivered an entry without a sequence`,
      )
    await this.deleteEntry(sequence).catch((e: unknown) => {
      // Already gone (deleted by a run that was killed before journaling it, or by someone else): done either way.
      if ((e as MailroomError).code !== 'NOT_FOUND') throw e
    })
  }
}

/**
 * Kafka: the replay group's cursor (ReplayCursor, kept by the adapter) says what earlier replays moved: everything
 * below its committed offset and the records its metadata marks above it. The topic is read without joining that
 * group (a throwaway reader from the lowest committed offset) and the cursor is committed through the admin API after
 * each batch of settles. Only replayed records move it: a record left (not selected by the filter, refused, failed, or
 * never read because of --limit) stays for a later run. A killed run leaves no group member behind for the next run
 * to wait out.
 */
class GroupSource extends PositionedSource {
  private constructor(
    adapter: BrokerAdapter,
    facts: SourceFacts,
    o: OpenSourceOptions,
    private readonly cursor: ReplayCursor,
  ) {
    super(adapter, facts, {
      untilEnd: true,
      from: {kind: 'offset', value: cursor.from},
      prefetch: Math.max(64, o.window * 2),
    })
  }

  static open(adapter: BrokerAdapter, facts: SourceFacts, o: OpenSourceOptions, cursor: ReplayCursor): GroupSource {
    cursor.prepare()
    return new GroupSource(adapter, facts, o, cursor)
  }

  override async next(): Promise<Delivery | undefined> {
    for (;;) {
      const d = await super.next()
      if (!d) return undefined
      if (this.cursor.admit(d) === 'new') return d
    }
  }

  override replayed(d: Delivery): Promise<void> {
    return this.cursor.settle(d)
  }

  shortfall(): string | undefined {
    return this.cursor.shortfall()
  }

  /** The reader (its throwaway group) and the replay group's last commit are independent: both at once. */
  override async close(): Promise<void> {
    await Promise.all([super.close(), this.cursor.flush()])
  }
}
