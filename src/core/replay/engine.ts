// The replay run: a safe move. Each message is published with confirmation; only once the destination confirmed
// it is the DLQ copy settled (and the journal told). A failed, returned or unconfirmed publish
// leaves the message in the DLQ. At most `window` messages are between "read" and "settled" at any time, which
// bounds the duplicates a crash can cause.
import type {BrokerAdapter, Delivery, PublishReceipt} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import {MailroomError, asMailroomError} from '../../model/errors.js'
import type {Envelope} from '../../model/envelope/types.js'
import {laneKey, type Destination} from './destination.js'
import {type MessageIdentity, messageIdentity} from './identity.js'
import type {JournalState, JournalWriter} from './journal.js'
import {isDestinationDown, PublishLane} from './lanes.js'
import type {Selector} from './select.js'
import {HOLD_LIMIT, type ReplaySource} from './source.js'
import type {ReplayCounts, ReplayFailure, ReplayRequest, ReplayStop, SkipReason, SourceFacts} from './types.js'

/** Confirmed messages are journaled and settled in batches of at most this many. */
const CHECKPOINT_BATCH = 1000
const MAX_FAILURES_KEPT = 20
/** Failures after which a publish may or may not have reached its destination (a node died, no confirmation came). */
const OUTCOME_UNKNOWN = new Set(['CONNECTION', 'TIMEOUT'])
/** Journaled messages whose source settlement (commit, delete) may still be running before slots wait for it. */
const SETTLING_LIMIT = 10_000
/**
 * Messages handled before the run lets the event loop turn. A window freed at once (a RabbitMQ broker confirms a
 * window per disk sync) is otherwise read and prepared whole before the publisher sends the first of it: the broker
 * would wait for the client, then the client for the broker.
 */
const HANDLED_PER_TURN = 100

export interface EngineOptions {
  request: ReplayRequest
  facts: SourceFacts
  source: ReplaySource
  selector: Selector
  journal: JournalWriter
  /** A connected adapter for a destination broker. */
  destination(kind: BrokerKind): Promise<BrokerAdapter>
  /** From the journal when resuming. */
  resume?: JournalState
  signal: AbortSignal
  onProgress?(counts: ReplayCounts): void
}

export interface EngineResult {
  counts: ReplayCounts
  skippedBy: Partial<Record<SkipReason, number>>
  byDestination: Record<string, number>
  failures: ReplayFailure[]
  stopped?: ReplayStop
}

interface Confirmed {
  delivery: Delivery
  id: string
  positional: boolean
  /** Published again after an earlier attempt had confirmed it (its ack was lost): journaled apart. */
  repeat: boolean
  label: string
}

export class ReplayEngine {
  private readonly counts: ReplayCounts = {
    examined: 0,
    replayed: 0,
    filtered: 0,
    skipped: 0,
    failed: 0,
    possibleDuplicates: 0,
    deduplicated: 0,
  }
  private readonly skippedBy: Partial<Record<SkipReason, number>> = {}
  private readonly byDestination: Record<string, number> = {}
  private readonly failures: ReplayFailure[] = []
  private readonly lanes = new Map<string, PublishLane>()
  private readonly blockedKeys = new Set<string>()
  private readonly passing = new Set<Promise<void>>()
  private readonly window: Slots
  private confirmed: Confirmed[] = []
  private checkpointScheduled = false
  /** Journal writes not yet done (each frees the window slots of its positional messages). */
  private readonly journaling = new Set<Promise<void>>()
  /** Selected by this job, counting what earlier attempts confirmed: --limit bounds the job, not each attempt. */
  private selectedCount: number
  private settling = 0
  private nextSendAt = 0
  private stopped?: ReplayStop

  constructor(private readonly o: EngineOptions) {
    this.window = new Slots(o.request.window)
    this.selectedCount = o.resume?.confirmedTotal ?? 0
  }

  async run(): Promise<EngineResult> {
    const {source, signal} = this.o
    const onAbort = () =>
      this.stop('INTERRUPTED', 'interrupted: stopped reading; messages in flight were settled or left in the DLQ')
    signal.addEventListener('abort', onAbort, {once: true})
    if (signal.aborted) onAbort()
    this.prepareDestination()
    let handledThisTurn = 0
    try {
      while (!this.stopped && !this.limitReached()) {
        const slot = this.window.acquire()
        if (slot) await slot
        if (this.stopped) break
        const d = await source.next()
        if (!d) {
          this.window.release()
          if (source.cutShort) this.stop(source.cutShort.code, source.cutShort.message, source.cutShort.left)
          break
        }
        this.counts.examined++
        await this.handle(d).catch((error: unknown) => {
          this.window.release()
          throw error
        })
        if (source.held >= HOLD_LIMIT)
          this.stop(
            'PARTIAL',
            `stopped after holding back ${HOLD_LIMIT} messages that were not replayed (they stay in the DLQ); narrow the run or replay in parts`,
          )
        if (++handledThisTurn === HANDLED_PER_TURN) {
          handledThisTurn = 0
          await nextTurn()
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
      await Promise.all([...this.lanes.values()].map((lane) => lane.drain()))
      await this.flushCheckpoint()
      await Promise.allSettled([...this.passing])
      await source.close()
    }
    const shortfall = source.shortfall?.()
    if (shortfall) this.stop('PARTIAL', shortfall)
    return {
      counts: this.counts,
      skippedBy: this.skippedBy,
      byDestination: this.byDestination,
      failures: this.failures,
      stopped: this.stopped,
    }
  }

  /** A destination given up front is made ready while the first messages are read (origins only show per message). */
  private prepareDestination(): void {
    const to = this.o.request.to
    if (!to) return
    this.track(this.o.destination(to.broker).then((adapter) => adapter.preparePublish?.(to.name)))
  }

  private limitReached(): boolean {
    return (
      this.o.selector.exhausted || (this.o.request.limit !== undefined && this.selectedCount >= this.o.request.limit)
    )
  }

  /** Every path through here releases the window slot exactly once (now, or when the message is settled). */
  private async handle(d: Delivery): Promise<void> {
    const {facts, resume} = this.o
    const identity = messageIdentity(d.envelope, facts.broker, facts.target)
    if (identity.positional && resume?.confirmed.has(identity.id)) {
      // An earlier run published it and was stopped before settling it here: settle, never publish twice.
      await this.o.source.replayed(d)
      this.skip('already-replayed')
      return this.window.release()
    }
    const decision = await this.o.selector.decide(d.envelope, identity)
    if (decision.action === 'filtered') {
      this.counts.filtered++
      this.track(this.o.source.passOver(d))
      return this.window.release()
    }
    if (decision.action === 'skip') return this.refuse(d, decision.reason)
    const orderKey = `${laneKey(decision.dest)}\0${keyText(decision.original.key)}`
    if (this.blockedKeys.has(orderKey)) return this.refuse(d, 'key-order')
    const repeat = this.o.source.repeated(d)
    // A repeat was counted when an earlier attempt confirmed it.
    if (repeat) this.counts.possibleDuplicates++
    else this.selectedCount++
    await this.pace()
    let lane: PublishLane
    try {
      lane = await this.laneFor(decision.dest)
    } catch (error) {
      return this.unreachable(d, identity, decision.dest, asMailroomError(error))
    }
    lane.send({
      envelope: decision.envelope,
      onReceipt: (r) => this.onReceipt(d, {...identity, repeat}, decision.dest, orderKey, r),
    })
  }

  /** The destination could not even be connected to: this message stays, and the run stops. */
  private unreachable(d: Delivery, identity: MessageIdentity, dest: Destination, e: MailroomError): void {
    const label = laneKey(dest)
    this.counts.failed++
    if (this.failures.length < MAX_FAILURES_KEPT)
      this.failures.push({id: identity.id, destination: label, code: e.code, message: e.message})
    this.stop(e.code, `cannot reach destination ${label}: ${e.message}`)
    this.track(this.o.source.leave(d))
    this.window.release()
  }

  private refuse(d: Delivery, reason: SkipReason): void {
    this.skip(reason)
    this.track(this.o.source.leave(d))
    this.window.release()
  }

  private skip(reason: SkipReason): void {
    this.counts.skipped++
    this.skippedBy[reason] = (this.skippedBy[reason] ?? 0) + 1
  }

  private onReceipt(
    d: Delivery,
    identity: MessageIdentity & {repeat: boolean},
    dest: Destination,
    orderKey: string,
    r: PublishReceipt,
  ): void {
    const label = laneKey(dest)
    if (r.ok) {
      if (r.duplicate) this.counts.deduplicated++
      this.confirmed.push({
        delivery: d,
        id: identity.id,
        positional: identity.positional,
        repeat: identity.repeat,
        label,
      })
      this.scheduleCheckpoint()
      return
    }
    this.counts.failed++
    // Later messages with the same key must not overtake this one: they stay in the DLQ with it.
    this.blockedKeys.add(orderKey)
    const code = r.error?.code ?? 'INTERNAL'
    // Sent, then the connection or the wait for the confirmation ended: the destination may hold it, and the DLQ copy
    // that stays will be published again by a later run.
    if (OUTCOME_UNKNOWN.has(code)) this.counts.possibleDuplicates++
    const message = r.error?.message ?? 'not confirmed'
    if (this.failures.length < MAX_FAILURES_KEPT)
      this.failures.push({id: identity.id, destination: label, code, message})
    this.o.journal.append({t: 'fail', id: identity.id, code, message})
    this.track(this.o.source.leave(d))
    this.window.release()
  }

  /**
   * Confirmations are settled a turn of the event loop at a time: those that arrive in one turn (a RabbitMQ broker
   * confirms a window per disk sync) make one batch, one journal write and, on RabbitMQ, one multiple-ack. A batch
   * does not wait for the previous batch's journal write: the journal orders its own writes, and an ack waiting for
   * the disk would hold the window (and the broker's next round) for nothing.
   */
  private scheduleCheckpoint(): void {
    if (this.checkpointScheduled) return
    this.checkpointScheduled = true
    setImmediate(() => {
      this.checkpointScheduled = false
      this.settleConfirmed()
    })
  }

  private settleConfirmed(): void {
    while (this.confirmed.length > 0) this.settleBatch(this.confirmed.splice(0, CHECKPOINT_BATCH))
  }

  /** Waits until every confirmed message has been journaled and settled. */
  private async flushCheckpoint(): Promise<void> {
    this.settleConfirmed()
    await Promise.allSettled([...this.journaling])
  }

  /**
   * Records the confirmed batch in the journal and settles it at the source, side by side. The order does not
   * matter for safety: a journal record only says "this reached its destination", used on resume to settle it
   * without publishing again. A settled message that the journal missed is simply gone from the DLQ; a journaled one
   * that was not settled is settled on resume. Either way nothing is lost, and the disk stays off the critical path:
   * a settled message frees its window slot without waiting for the journal.
   *
   * A journaled message with a position (offset, sequence) can no longer become a duplicate: a resume finds it in
   * the journal and settles it without publishing. Its window slot is freed as soon as the journal has it, so the
   * next messages need not wait for the commit or delete round trip (at most SETTLING_LIMIT of them at a time).
   */
  private settleBatch(batch: Confirmed[]): void {
    const firsts = batch.filter((c) => !c.repeat).map((c) => c.id)
    const repeats = batch.filter((c) => c.repeat).map((c) => c.id)
    if (firsts.length > 0) this.o.journal.append({t: 'ok', ids: firsts})
    // A repeat is already counted as confirmed: counting it again would shorten what a later resume reads.
    if (repeats.length > 0) this.o.journal.append({t: 'again', ids: repeats})
    // Each slot is freed once, by whichever comes first: the settlement or, for positional messages, the journal.
    let freed = 0
    const freeUpTo = (n: number) => {
      if (n > freed) this.window.release(n - freed)
      freed = Math.max(freed, n)
    }
    this.settling += batch.length
    this.track(
      this.o.source.replayedAll(batch.map((c) => c.delivery)).then((results) => {
        this.settling -= batch.length
        this.count(batch, results)
        freeUpTo(batch.length)
      }),
    )
    const journaled: Promise<void> = this.o.journal.checkpoint().then(
      () => {
        if (this.settling <= SETTLING_LIMIT) freeUpTo(batch.filter((c) => c.positional).length)
      },
      (error: unknown) => this.stop('PARTIAL', `cannot write the replay journal: ${(error as Error).message}`),
    )
    this.journaling.add(journaled)
    void journaled.finally(() => this.journaling.delete(journaled))
  }

  /** @param settled whether each message of the batch was settled at the source (removed from the DLQ). */
  private count(batch: Confirmed[], settled: boolean[]): void {
    for (const [i, c] of batch.entries()) {
      this.counts.replayed++
      this.byDestination[c.label] = (this.byDestination[c.label] ?? 0) + 1
      // Delivered, but the DLQ copy could not be removed: a later run would deliver it again.
      if (!settled[i]) this.counts.possibleDuplicates++
    }
    this.o.onProgress?.(this.counts)
  }

  private async laneFor(dest: Destination): Promise<PublishLane> {
    const key = laneKey(dest)
    let lane = this.lanes.get(key)
    if (!lane) {
      const adapter = await this.o.destination(dest.broker)
      lane = new PublishLane(adapter, dest.target, this.o.request.window, (e) => this.onLaneDead(key, e))
      this.lanes.set(key, lane)
    }
    return lane
  }

  private onLaneDead(label: string, e: MailroomError): void {
    if (isDestinationDown(e.code)) this.stop(e.code, `destination ${label} became unreachable: ${e.message}`)
  }

  private stop(code: string, message: string, left?: number): void {
    this.stopped ??= {code, message, ...(left === undefined ? {} : {left})}
    this.window.cancel()
  }

  private async pace(): Promise<void> {
    const rate = this.o.request.rate
    if (!rate) return
    const now = performance.now()
    const wait = this.nextSendAt - now
    this.nextSendAt = Math.max(this.nextSendAt, now) + 1000 / rate
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined).finally(() => this.passing.delete(tracked))
    this.passing.add(tracked)
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function keyText(key: Envelope['key']): string {
  if (key == null) return ''
  return typeof key === 'string' ? key : `b64:${key.bytes}`
}

/** A counting semaphore for the in-flight window; cancel() lets every waiter through (the run is stopping). */
class Slots {
  private used = 0
  private readonly waiters: (() => void)[] = []
  private cancelled = false

  constructor(private readonly size: number) {}

  /** Takes a slot: at once when one is free, otherwise through the promise returned. */
  acquire(): Promise<void> | undefined {
    if (this.cancelled || this.used < this.size) {
      this.used++
      return undefined
    }
    return this.waitForSlot()
  }

  private async waitForSlot(): Promise<void> {
    while (!this.cancelled && this.used >= this.size) await new Promise<void>((resolve) => this.waiters.push(resolve))
    this.used++
  }

  release(n = 1): void {
    this.used -= n
    for (const wake of this.waiters.splice(0)) wake()
  }

  cancel(): void {
    this.cancelled = true
    for (const wake of this.waiters.splice(0)) wake()
  }
}
