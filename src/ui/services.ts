// The dashboard's access to brokers: only core services (lag monitor, target listing, DLQ discovery and reads,
// tail, replay, purge) over one adapter per broker. No polling or replay logic of its own lives here.
import {createWriteStream} from 'node:fs'
import {finished} from 'node:stream/promises'

import type {AttachedConsumer, BrokerAdapter, Delivery, ServerInfo, TargetInfo} from '../adapters/types.js'
import type {BrokerKind} from '../model/broker.js'
import {type MailroomErrorInfo, asMailroomError} from '../model/errors.js'
import type {ResolvedContext} from '../core/config/resolve.js'
import {type DlqListing, discoverDlqs} from '../core/dlq/discover.js'
import {DeathSummary, type DeathGroup} from '../core/dlq/inspect.js'
import type {PurgeResult} from '../core/dlq/purge.js'
import {type DeadLetterReadStats, newReadStats, readDeadLetters} from '../core/dlq/read.js'
import {type DlqSettings, dlqSettings} from '../core/dlq/settings.js'
import {encodeEnvelopeLine} from '../model/envelope/ndjson.js'
import type {Envelope} from '../model/envelope/types.js'
import {confirmDestructive} from '../core/guard.js'
import {type LagReport, LagMonitor} from '../core/lag/service.js'
import {NotYetAnswered, PendingAnswers} from '../core/pending-answers.js'
import type {ReplayPlan} from '../core/replay/plan.js'
import type {Progress} from '../core/replay/progress.js'
import type {ReplayDeps} from '../core/replay/service.js'
import {Selection, selectionFilter} from '../core/replay/selection.js'
import {
  DEFAULT_REPLAY_WINDOW,
  type ReplayCounts,
  type ReplayReport,
  type ReplayRequest,
  type SourceFacts,
} from '../core/replay/types.js'
import {type DecodeRequest, type EnvelopeDecoder, envelopeDecoderFor} from '../core/schema/envelope-decoder.js'
import {type TailStats, tailMessages} from '../core/services/tail.js'
import {type BrokerFailure, type TargetListing, combineListings, listTargetsOf} from '../core/services/targets.js'

/** Messages read from a DLQ for its view (RabbitMQ queues are peeked: bounded). */
export const DLQ_VIEW_LIMIT = 500
/** Replay defaults, as `mailroom dlq replay` has them. */
const REPLAY_MAX_REPLAYS = 3
const PLAN_SAMPLE = 100
/** A listing started this recently is fresh enough for DLQ discovery (the first refresh's, at start). */
const LISTING_SHARED_MS = 1000

export interface BrokerState {
  broker: BrokerKind
  /** Undefined until the first answer. */
  up?: boolean
  /** What the header shows: a round trip's latency here would change every answer and redraw the screen for nothing. */
  info?: Pick<ServerInfo, 'product' | 'version'>
  error?: MailroomErrorInfo
}

export interface OverviewData {
  at: Date
  targets: TargetInfo[]
  lag: LagReport
  failures: BrokerFailure[]
}

export interface DlqContents {
  messages: Envelope[]
  groups: DeathGroup[]
  stats: DeadLetterReadStats
  warnings: string[]
}

export interface ReplayHooks {
  /** Shows the facts (bound, count); resolves with what the user typed once it confirms, rejects to cancel. */
  confirm(facts: SourceFacts, request: ReplayRequest): Promise<string>
  onProgress(counts: ReplayCounts, total: number | undefined): void
  /** The replay ran but its audit line was not written (the core audit policy's warning). */
  onAuditFailure(warning: string): void
  signal: AbortSignal
}

export interface PurgeHooks {
  /** Shows what would go; resolves with what the user typed once it confirms, rejects to cancel. */
  confirm(dryRun: PurgeResult): Promise<string>
  /** The purge happened but its audit line was not written (the core audit policy's warning). */
  onAuditFailure(warning: string): void
}

export class DashboardServices {
  readonly settings: DlqSettings
  readonly brokers: BrokerKind[]
  private adapters?: Map<BrokerKind, BrokerAdapter>
  private lag?: LagMonitor
  private readonly created: Promise<Map<BrokerKind, BrokerAdapter>>
  private readonly connecting = new Map<BrokerAdapter, Promise<void>>()
  private readonly inFlight = new Set<Promise<unknown>>()
  /** The latest target listing: each broker's answer (in the order of `adapters`), and all of them combined. */
  private listing?: {
    at: number
    adapters: BrokerAdapter[]
    each: Promise<TargetInfo[]>[]
    value: Promise<TargetListing>
  }
  private decoding?: Promise<EnvelopeDecoder | undefined>
  /** Each broker's target listing asked for and not yet taken by a refresh (see overview). */
  private readonly listings = new PendingAnswers<BrokerAdapter, TargetInfo[]>()
  /** The last read of each DLQ (broker:name): reads of one DLQ run one after the other. */
  private readonly dlqReads = new Map<string, Promise<unknown>>()

  /**
   * @param adapters one per broker, or their creation still under way (the dashboard draws its first frame before
   * the broker drivers have loaded; `brokers` then names the brokers to come).
   * @param listingEveryMs how often the target listing (depth) is re-read; the lag snapshot is taken on every
   * refresh. Listing every topic's offsets is the costliest call (Kafka), and depth moves slowly where lag does not.
   * @param decode how the views decode keys and values (the command's --decode, --value-subject).
   */
  constructor(
    readonly context: ResolvedContext,
    adapters: Map<BrokerKind, BrokerAdapter> | Promise<Map<BrokerKind, BrokerAdapter>>,
    private readonly listingEveryMs = 0,
    brokers?: BrokerKind[],
    private readonly decode: DecodeRequest = {},
  ) {
    this.settings = dlqSettings(context.config)
    if (adapters instanceof Map) this.use(adapters)
    this.created = Promise.resolve(adapters).then((created) => this.use(created))
    this.created.catch(() => undefined)
    this.brokers = brokers ?? [...(this.adapters?.keys() ?? [])]
  }

  private use(adapters: Map<BrokerKind, BrokerAdapter>): Map<BrokerKind, BrokerAdapter> {
    if (this.adapters !== adapters) {
      this.adapters = adapters
      this.lag = new LagMonitor([...adapters.values()], {replication: true})
    }
    return adapters
  }

  get readOnly(): boolean {
    return this.context.readOnly
  }

  adapter(kind: BrokerKind): BrokerAdapter {
    const adapter = this.adapters?.get(kind)
    if (!adapter) throw new Error(`no ${kind} adapter in this dashboard${this.adapters ? '' : ' yet'}`)
    return adapter
  }

  private lagMonitor(): LagMonitor {
    if (!this.lag) throw new Error('no adapters in this dashboard yet')
    return this.lag
  }

  private all(): BrokerAdapter[] {
    return [...(this.adapters?.values() ?? [])]
  }

  /** Waits (up to `ms`) for broker calls still running, so the adapters close after them and nothing reconnects. */
  async settle(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise((resolve) => (timer = setTimeout(resolve, ms)))
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout])
    clearTimeout(timer)
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work)
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined)
    return work
  }

  /**
   * Connects every adapter once, one connect per adapter at a time, before the core services run concurrently:
   * the services each call connect(), and simultaneous first connects could open (and leak) several connections.
   * A failed connect is forgotten so the next refresh tries again.
   */
  private async ready(): Promise<unknown> {
    await this.created
    return Promise.allSettled(
      this.all().map((adapter) => {
        let connecting = this.connecting.get(adapter)
        if (!connecting) {
          connecting = adapter.connect().catch((error: unknown) => {
            this.connecting.delete(adapter)
            throw error
          })
          this.connecting.set(adapter, connecting)
        }
        return connecting
      }),
    )
  }

  brokerStates(): Promise<BrokerState[]> {
    return this.track(this.readBrokerStates())
  }

  private async readBrokerStates(): Promise<BrokerState[]> {
    await this.ready()
    return Promise.all(
      this.all().map(async (adapter): Promise<BrokerState> => {
        try {
          await adapter.connect()
          const {product, version} = await adapter.serverInfo()
          return {broker: adapter.kind, up: true, info: {product, ...(version === undefined ? {} : {version})}}
        } catch (error) {
          return {broker: adapter.kind, up: false, error: asMailroomError(error).toInfo()}
        }
      }),
    )
  }

  /**
   * One refresh: targets with depth, and a lag snapshot (which also advances the lag service's windows). With
   * `answerWithinMs`, a broker that has not answered by then is a failure of this refresh ("has not answered for N s;
   * still asking") and the others are drawn; the next refresh waits on the same requests rather than asking again.
   */
  overview(o: {answerWithinMs?: number} = {}): Promise<OverviewData> {
    return this.track(this.readOverview(o.answerWithinMs))
  }

  private async readOverview(answerWithinMs: number | undefined): Promise<OverviewData> {
    await this.ready()
    const [listing, lag] = await Promise.all([
      this.targetListing(answerWithinMs),
      this.lagMonitor().snapshot({answerWithinMs}),
    ])
    const failures = [
      ...listing.failures,
      ...lag.failures.filter((f) => !listing.failures.some((l) => l.broker === f.broker)),
    ]
    return {at: new Date(), targets: listing.targets, lag, failures}
  }

  private targetListing(answerWithinMs?: number): Promise<TargetListing> {
    const now = Date.now()
    if (!this.listing || now - this.listing.at >= this.listingEveryMs) this.newListing(now, answerWithinMs)
    return this.listing!.value
  }

  private newListing(now: number, answerWithinMs?: number): NonNullable<DashboardServices['listing']> {
    const adapters = this.all()
    const each = adapters.map((adapter) => this.targetsWithin(adapter, answerWithinMs))
    for (const answer of each) answer.catch(() => undefined) // a failure is the listing's (and the discovery's) to tell
    const value = combineListings(adapters, each)
    const listing = {at: now, adapters, each, value}
    this.listing = listing
    value.catch(() => {
      if (this.listing === listing) this.listing = undefined
    })
    return listing
  }

  private async targetsWithin(adapter: BrokerAdapter, ms: number | undefined): Promise<TargetInfo[]> {
    const targets = await this.listings.within(adapter, () => listTargetsOf(adapter), ms)
    if (targets instanceof NotYetAnswered) throw targets.error(adapter.kind)
    return targets
  }

  /**
   * DLQ discovery on a fresh target listing, which the overview then shows too: one listing of every broker serves
   * both (they were listed twice, the costliest requests of a refresh at 1,000 queues and 200 topics).
   */
  async discoverDlqs(): Promise<DlqListing> {
    await this.ready()
    const now = Date.now()
    // At start the overview's first listing is under way: that one.
    const listing = this.listing && now - this.listing.at < LISTING_SHARED_MS ? this.listing : this.newListing(now)
    const targetsOf = (adapter: BrokerAdapter) => {
      const i = listing.adapters.indexOf(adapter)
      return i >= 0 ? listing.each[i]! : listTargetsOf(adapter)
    }
    return this.track(discoverDlqs(this.all(), this.settings, now, {listTargets: targetsOf}))
  }

  /** Dead letters of a DLQ with their death records, grouped by origin, reason and error (as `dlq inspect`). */
  /**
   * A RabbitMQ queue is peeked (basic.get, then requeue): what one read holds, another read of the same queue does not
   * see. The overview counts reasons in DLQs while the user opens one, so reads of one DLQ take turns; otherwise the
   * view could read "0 dead letter(s)" of a DLQ of 5 while the reason count held them.
   */
  readDlq(broker: BrokerKind, name: string, o: {limit?: number; signal?: AbortSignal} = {}): Promise<DlqContents> {
    const key = `${broker}:${name}`
    const previous = this.dlqReads.get(key) ?? Promise.resolve()
    const read = previous.catch(() => undefined).then(() => this.readDlqContents(broker, name, o))
    this.dlqReads.set(key, read)
    void read.catch(() => undefined).then(() => this.dlqReads.get(key) === read && this.dlqReads.delete(key))
    return this.track(read)
  }

  private async readDlqContents(
    broker: BrokerKind,
    name: string,
    o: {limit?: number; signal?: AbortSignal},
  ): Promise<DlqContents> {
    await this.ready()
    const warnings: string[] = []
    const stats = newReadStats()
    const summary = new DeathSummary()
    const messages: Envelope[] = []
    const read = readDeadLetters(
      this.adapter(broker),
      name,
      {
        limit: o.limit ?? DLQ_VIEW_LIMIT,
        decoder: await this.decoder(),
        customHeaders: this.settings.customHeaders,
        signal: o.signal,
        onWarning: (w) => warnings.push(w),
      },
      stats,
    )
    for await (const e of read) {
      summary.add(e)
      messages.push(e)
    }
    return {messages, groups: summary.rows(), stats, warnings}
  }

  /** Decodes what the views show through the context's schema registry as --decode asks (default auto), if any. */
  private decoder(): Promise<EnvelopeDecoder | undefined> {
    return (this.decoding ??= envelopeDecoderFor(this.context.settings.schemaRegistry, this.decode))
  }

  /** The consumers attached to a target by name, where its broker lists them; undefined where it does not. */
  async attachedConsumers(broker: BrokerKind, name: string): Promise<AttachedConsumer[] | undefined> {
    await this.ready()
    const adapter = this.adapter(broker)
    return adapter.attachedConsumers ? this.track(adapter.attachedConsumers(name)) : undefined
  }

  /** A live, non-destructive tail of a target (from now on). */
  async *tail(broker: BrokerKind, name: string, signal: AbortSignal): AsyncGenerator<Delivery> {
    await this.created
    const stats: TailStats = {received: 0, matched: 0, stoppedBy: 'source'}
    yield* tailMessages(this.adapter(broker), name, {signal, decoder: await this.decoder()}, stats)
  }

  /** @param select the ids of the marked messages: the replay takes exactly these (as --select). */
  replayRequest(broker: BrokerKind, name: string, select?: string[]): ReplayRequest {
    return {
      source: {broker, name},
      mode: 'move',
      ...(select ? {select} : {}),
      maxReplays: REPLAY_MAX_REPLAYS,
      force: false,
      keepPartition: false,
      window: DEFAULT_REPLAY_WINDOW,
    }
  }

  // The replay and purge services load on first use: the dashboard's first frame should not wait for them.
  async planReplay(request: ReplayRequest, signal: AbortSignal): Promise<ReplayPlan> {
    const {dryRunReplay} = await import('../core/replay/service.js')
    await this.created
    // A dry run asks nothing: its confirm (which would refuse, typing nothing) is never called.
    return dryRunReplay(
      request,
      this.replayDeps(request, {confirm: async () => '', onProgress: () => {}, onAuditFailure: () => {}, signal}),
      PLAN_SAMPLE,
      await this.decoder(),
    )
  }

  async replay(request: ReplayRequest, hooks: ReplayHooks): Promise<ReplayReport> {
    const {startReplay} = await import('../core/replay/service.js')
    await this.created
    return startReplay(request, this.replayDeps(request, hooks))
  }

  /**
   * Purges a DLQ (or exactly its marked messages, `select`, as --select) under the audit policy of `mailroom dlq
   * purge`: counted (dry run), refused when the audit log is not writable, confirmed by the UI, purged, audited (a
   * failed purge too).
   */
  async purge(broker: BrokerKind, name: string, hooks: PurgeHooks, select?: string[]): Promise<PurgeResult> {
    await this.refuseReadOnly(`purge ${broker}:${name}`)
    const {purgeAudited, purgeDeadLetters} = await import('../core/dlq/purge.js')
    await this.created
    const adapter = this.adapter(broker)
    const options = {customHeaders: this.settings.customHeaders, ...(select ? {select} : {})}
    const dryRun = await purgeDeadLetters(adapter, name, {...options, dryRun: true})
    return purgeAudited(adapter, name, {
      ...options,
      ref: `${broker}:${name}`,
      ...(this.context.name ? {context: this.context.name} : {}),
      details: {from: 'dashboard'},
      confirm: () => this.confirmTyped(`purge ${broker}:${name}`, name, () => hooks.confirm(dryRun)),
      onAuditFailure: hooks.onAuditFailure,
    })
  }

  /**
   * Writes the DLQ's messages (or exactly the marked ones, `select`) as NDJSON envelopes to a file,
   * non-destructively (as `mailroom dlq export [--select]`).
   */
  async exportDlq(
    broker: BrokerKind,
    name: string,
    file: string,
    signal: AbortSignal,
    select?: string[],
  ): Promise<DeadLetterReadStats & {notFound?: number}> {
    await this.created
    const stats = newReadStats()
    const selection = select ? new Selection(select) : undefined
    const filter = selection ? selectionFilter(selection, {broker, target: name}) : undefined
    const out = createWriteStream(file, {flags: 'w', mode: 0o600})
    const read = readDeadLetters(
      this.adapter(broker),
      name,
      {customHeaders: this.settings.customHeaders, signal, complete: true, ...(filter ? {filter} : {})},
      stats,
    )
    try {
      for await (const envelope of read) {
        if (!out.write(`${encodeEnvelopeLine(envelope)}\n`))
          await new Promise<void>((resolve) => out.once('drain', () => resolve()))
      }
    } finally {
      out.end()
      await finished(out)
    }
    return selection ? {...stats, notFound: selection.missing} : stats
  }

  private replayDeps(request: ReplayRequest, hooks: ReplayHooks): ReplayDeps {
    return {
      source: this.adapter(request.source.broker),
      destination: async (kind) => {
        const adapter = this.adapter(kind)
        await adapter.connect()
        return adapter
      },
      signal: hooks.signal,
      death: {customHeaders: this.settings.customHeaders},
      context: this.context.name,
      onAuditFailure: hooks.onAuditFailure,
      settings: this.context.settings,
      confirm: (facts, req) =>
        this.confirmTyped(`replay ${facts.broker}:${facts.target}`, facts.target, () => hooks.confirm(facts, req)),
      progress: (total): Progress => ({update: (counts) => hooks.onProgress(counts, total), done: () => {}}),
    }
  }

  /** The guard of the commands, asking through the dashboard's dialog: refused when read-only, then the typed name. */
  private confirmTyped(action: string, word: string, ask: () => Promise<string>): Promise<void> {
    return confirmDestructive({
      action,
      confirmWord: word,
      readOnly: this.context.readOnly,
      contextName: this.context.name,
      yes: false,
      ask,
    })
  }

  /** The guard's read-only refusal (exit-code REFUSED), before a purge counts anything. */
  private async refuseReadOnly(action: string): Promise<void> {
    await confirmDestructive({
      action,
      confirmWord: '',
      readOnly: this.context.readOnly,
      contextName: this.context.name,
      yes: true,
    })
  }
}
