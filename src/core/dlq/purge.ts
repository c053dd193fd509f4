// Purging a DLQ. Without a filter: the adapter's purge. With a filter, only the matching messages go:
// - where messages can be deleted by sequence (JetStream), a non-destructive read finds them, then each is deleted;
// - where deliveries are settled one by one (RabbitMQ queues), a consuming read acks the matching ones and holds the
//   others unsettled until the end, then requeues them (requeued at once they would come straight back); messages
//   other readers hold unacknowledged are waited for (bounded) as they come back, and any still held are reported;
// - an append-only log (Kafka) cannot drop chosen records: UNSUPPORTED.
import {type BrokerAdapter, type Delivery, HELD_WAIT_MS, type QueueHoldings} from '../../adapters/types.js'
import {MailroomError} from '../../model/errors.js'
import {auditedChange} from '../audit.js'
import type {MessageFilter} from '../filter.js'
import {IDLE, IdleWatch} from '../replay/idle-watch.js'
import {Selection, selectionFilter} from '../replay/selection.js'
import type {EnvelopeDecoder} from '../schema/envelope-decoder.js'
import {type CustomDeathHeaders, withDeath} from './death.js'
import {dlqPosition} from './position.js'
import {newReadStats, readDeadLetters} from './read.js'

/** AMQP prefetch is a 16-bit count: at most this many messages can be held unsettled on one channel. */
export const MAX_HELD = 65_535
export const DEFAULT_FILTERED_PURGE_LIMIT = 10_000

export interface PurgeOptions {
  filter?: MessageFilter
  /** Decodes what the filter reads (json.<field>, schema.<field>) through the schema registry. */
  decoder?: EnvelopeDecoder
  /** Only these messages, by id (the dashboard's marks, --select): each mark removes one message. */
  select?: string[]
  dryRun?: boolean
  /** With a filter: examine at most this many messages. */
  limit?: number
  customHeaders?: CustomDeathHeaders
  signal?: AbortSignal
  onWarning?: (message: string) => void
}

export interface PurgeResult {
  target: string
  dryRun: boolean
  /** Removed, or (dry run) that would be removed; undefined when the broker does not say. */
  purged?: number
  /** Examined and left in place (filtered purges). */
  kept?: number
  /** Positions of the first messages removed / to remove. */
  samples: string[]
  method: 'purge' | 'delete-by-sequence' | 'consume-and-ack' | 'none'
  /** The limit stopped the examination: more matching messages may remain. */
  truncated?: boolean
  /** With a selection: marked messages not found (gone since they were marked, or beyond the limit). */
  notFound?: number
  /** Queues: messages other readers held unacknowledged for HELD_WAIT_MS, not purged (nor examined by a filter). */
  heldElsewhere?: number
}

const SAMPLES = 10

export interface AuditedPurgeOptions extends Omit<PurgeOptions, 'dryRun'> {
  /** The DLQ as written in the audit line (<broker>:<name>). */
  ref: string
  context?: string
  /** The guard rails; throw to refuse (nothing changed, nothing audited). */
  confirm(): Promise<void>
  onAuditFailure(warning: string): void
  /** More for the audit line (the filter as typed, where the purge came from). */
  details?: Record<string, unknown>
  env?: NodeJS.ProcessEnv
}

/** A purge under the audit policy, for `mailroom dlq purge` and the dashboard alike. */
export function purgeAudited(adapter: BrokerAdapter, target: string, o: AuditedPurgeOptions): Promise<PurgeResult> {
  return auditedChange({
    env: o.env,
    confirm: o.confirm,
    change: () => purgeDeadLetters(adapter, target, o),
    entry: (result) => ({
      command: 'dlq purge',
      target: o.ref,
      ...(o.context ? {context: o.context} : {}),
      counts: {purged: result?.purged ?? 0, kept: result?.kept ?? 0},
      outcome: !result ? 'failed' : o.signal?.aborted ? 'interrupted' : 'ok',
      details: {
        method: result?.method ?? purgeMethod(adapter, isNarrowed(o)),
        ...(o.select ? {select: o.select} : {}),
        ...o.details,
      },
    }),
    onAuditFailure: o.onAuditFailure,
  })
}

/** How a purge removes messages: the method, with the adapter capability it needs. */
type PurgePlan =
  | {method: 'purge'; purge: NonNullable<BrokerAdapter['purge']>}
  | {method: 'delete-by-sequence'; deleteMessage: NonNullable<BrokerAdapter['deleteMessage']>}
  | {method: 'consume-and-ack'; read: NonNullable<BrokerAdapter['read']>}

/** Refuses up front what the broker cannot do, so nothing is asked or audited for an impossible purge. */
export function purgeMethod(adapter: BrokerAdapter, filtered: boolean): PurgeResult['method'] {
  return purgePlan(adapter, filtered).method
}

function purgePlan(adapter: BrokerAdapter, filtered: boolean): PurgePlan {
  if (!filtered) {
    if (adapter.purge) return {method: 'purge', purge: adapter.purge.bind(adapter)}
    throw new MailroomError('UNSUPPORTED', `${adapter.kind} cannot purge this target`, {
      suggestions: [`Remove its messages with the broker's own tools; ${adapter.kind} gives mailroom no way to`],
    })
  }
  if (adapter.deleteMessage) return {method: 'delete-by-sequence', deleteMessage: adapter.deleteMessage.bind(adapter)}
  if (adapter.capabilities.settle && adapter.read) return {method: 'consume-and-ack', read: adapter.read.bind(adapter)}
  throw new MailroomError(
    'UNSUPPORTED',
    `${adapter.kind} is an append-only log: single records cannot be removed by a filter or a selection`,
    {
      suggestions: [
        'Purge without --filter to delete every record up to the current end (deleteRecords)',
        'Or replay the records you want to keep elsewhere (dlq replay --filter ... --copy), then purge without --filter',
      ],
    },
  )
}

function isNarrowed(o: PurgeOptions): boolean {
  return o.filter !== undefined || o.select !== undefined
}

/** The options one purge (or its dry run) works with: the selection, fresh (its marks are used up as it goes), joins the filter. */
interface Narrowed extends PurgeOptions {
  selection?: Selection
}

function narrowed(adapter: BrokerAdapter, target: string, o: PurgeOptions): Narrowed {
  if (!o.select) return o
  const selection = new Selection(o.select)
  return {...o, selection, filter: selectionFilter(selection, {broker: adapter.kind, target}, o.filter)}
}

export async function purgeDeadLetters(
  adapter: BrokerAdapter,
  target: string,
  options: PurgeOptions,
): Promise<PurgeResult> {
  const plan = purgePlan(adapter, isNarrowed(options))
  const o = narrowed(adapter, target, options)
  const result = await purgeBy(plan, adapter, target, o)
  return o.selection ? {...result, notFound: o.selection.missing} : result
}

async function purgeBy(plan: PurgePlan, adapter: BrokerAdapter, target: string, o: Narrowed): Promise<PurgeResult> {
  if (o.dryRun) return dryRun(adapter, target, o, plan.method)
  switch (plan.method) {
    case 'purge':
      return {target, dryRun: false, ...(await plan.purge(target)), samples: [], method: plan.method}
    case 'delete-by-sequence':
      return deleteMatching(adapter, plan.deleteMessage, target, o)
    case 'consume-and-ack':
      return consumeMatching(adapter, plan.read, target, o)
  }
}

async function dryRun(
  adapter: BrokerAdapter,
  target: string,
  o: Narrowed,
  method: PurgeResult['method'],
): Promise<PurgeResult> {
  if (!o.filter) {
    const info = await adapter.describeTarget(target)
    return {target, dryRun: true, purged: info.depth, samples: [], method}
  }
  const stats = newReadStats()
  const samples: string[] = []
  const read = readDeadLetters(
    adapter,
    target,
    {
      filter: o.filter,
      decoder: o.decoder,
      limit: o.limit ?? DEFAULT_FILTERED_PURGE_LIMIT,
      customHeaders: o.customHeaders,
      complete: true,
      signal: o.signal,
      onWarning: o.onWarning,
    },
    stats,
  )
  for await (const e of read) {
    if (samples.length < SAMPLES) samples.push(dlqPosition(e, stats.read - 1))
    if (o.selection?.exhausted) break
  }
  return {
    target,
    dryRun: true,
    purged: stats.matched,
    kept: stats.read - stats.matched,
    samples,
    method,
    truncated: stats.truncated,
  }
}

async function deleteMatching(
  adapter: BrokerAdapter,
  deleteMessage: NonNullable<BrokerAdapter['deleteMessage']>,
  target: string,
  o: Narrowed,
): Promise<PurgeResult> {
  const stats = newReadStats()
  const sequences: number[] = []
  const read = readDeadLetters(
    adapter,
    target,
    {
      filter: o.filter,
      decoder: o.decoder,
      limit: o.limit,
      customHeaders: o.customHeaders,
      signal: o.signal,
      onWarning: o.onWarning,
    },
    stats,
  )
  for await (const e of read) {
    if (e.meta?.sequence === undefined)
      throw new MailroomError('INTERNAL', `a message of ${target} has no sequence to delete it by`)
    sequences.push(e.meta.sequence)
    if (o.selection?.exhausted) break
  }
  let purged = 0
  for (const seq of sequences) {
    if (o.signal?.aborted) break
    try {
      await deleteMessage(target, seq)
      purged++
    } catch (error) {
      // Gone already (deleted by someone else or aged out): nothing left to purge.
      if (!(error instanceof MailroomError && error.code === 'NOT_FOUND')) throw error
    }
  }
  const samples = sequences.slice(0, SAMPLES).map((s) => `seq ${s}`)
  return {
    target,
    dryRun: false,
    purged,
    kept: stats.read - stats.matched,
    samples,
    method: 'delete-by-sequence',
    truncated: stats.truncated,
  }
}

async function consumeMatching(
  adapter: BrokerAdapter,
  read: NonNullable<BrokerAdapter['read']>,
  target: string,
  o: Narrowed,
): Promise<PurgeResult> {
  const limit = Math.min(o.limit ?? DEFAULT_FILTERED_PURGE_LIMIT, MAX_HELD)
  const pass = new MatchingPass(o)
  const holdings = adapter.queueHoldings?.bind(adapter, target)
  const heldElsewhere = holdings
    ? await consumeCounted(read, target, pass, {holdings, limit, signal: o.signal})
    : await consumeReady(read, target, pass, {limit, signal: o.signal})
  return {
    target,
    dryRun: false,
    purged: pass.purged,
    kept: pass.held.length,
    samples: pass.samples,
    method: 'consume-and-ack',
    truncated: pass.examined >= limit,
    ...(heldElsewhere > 0 ? {heldElsewhere} : {}),
  }
}

/**
 * A filtered purge's consuming read: acks what matches, holds the rest unsettled until the end, then requeues them
 * (requeued during the read they would be delivered again before the rest).
 */
class MatchingPass {
  readonly held: Delivery[] = []
  readonly samples: string[] = []
  purged = 0
  examined = 0
  // Chosen for a narrowed purge, which always has a filter (a selection becomes one); without one, all would match.
  private readonly matches: MessageFilter

  constructor(private readonly o: Narrowed) {
    this.matches = o.filter ?? (() => true)
  }

  async examine(delivery: Delivery): Promise<void> {
    this.examined++
    const e = withDeath(delivery.envelope, {customHeaders: this.o.customHeaders})
    await this.o.decoder?.decorate(e)
    if (!this.matches(e)) {
      this.held.push(delivery)
      return
    }
    await delivery.settle('ack')
    if (this.samples.length < SAMPLES) this.samples.push(dlqPosition(e, this.examined - 1))
    this.purged++
  }

  async requeueHeld(): Promise<void> {
    for (const delivery of this.held) await delivery.settle('requeue').catch(() => {})
  }
}

/** Where the broker cannot count what other readers hold: what is ready when the read starts, up to the limit. */
async function consumeReady(
  read: NonNullable<BrokerAdapter['read']>,
  target: string,
  pass: MatchingPass,
  o: {limit: number; signal?: AbortSignal},
): Promise<number> {
  try {
    for await (const delivery of read(target, {consume: true, untilEnd: true, prefetch: o.limit, signal: o.signal})) {
      await pass.examine(delivery)
      if (pass.examined >= o.limit || o.signal?.aborted) break
    }
  } finally {
    await pass.requeueHeld()
  }
  return 0
}

/** How often a read run dry asks the broker whether other readers still hold messages. */
const HELD_POLL_MS = 250

/**
 * Up to the limit, every message the queue holds when the read starts, those delivered to other readers and not
 * acknowledged too (a peek's, a consumer's): run dry short of that count, the read waits up to HELD_WAIT_MS for them
 * to come back. Resolves to how many other readers still held then (not examined, left in place).
 */
async function consumeCounted(
  read: NonNullable<BrokerAdapter['read']>,
  target: string,
  pass: MatchingPass,
  o: {holdings: () => Promise<QueueHoldings>; limit: number; signal?: AbortSignal},
): Promise<number> {
  const wanted = Math.min(o.limit, (await o.holdings()).total)
  if (wanted === 0) return 0
  const stop = new AbortController()
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal
  const reader = read(target, {consume: true, prefetch: wanted, signal})[Symbol.asyncIterator]()
  const idle = new IdleWatch(HELD_POLL_MS)
  let pending: Promise<IteratorResult<Delivery>> | undefined
  let lastDelivery = performance.now()
  try {
    while (pass.examined < wanted && !o.signal?.aborted) {
      const r = await idle.within((pending ??= reader.next()))
      if (r !== IDLE) {
        pending = undefined
        if (r.done) return 0
        await pass.examine(r.value)
        lastDelivery = performance.now()
        continue
      }
      // Ours are the non-matching ones held until the end; anything else the queue holds is out with other readers.
      const elsewhere = Math.min(wanted - pass.examined, (await o.holdings()).total - pass.held.length)
      if (elsewhere <= 0) return 0
      if (performance.now() - lastDelivery >= HELD_WAIT_MS) return elsewhere
    }
    return 0
  } finally {
    idle.stop()
    stop.abort()
    await reader.return?.(undefined).catch(() => undefined)
    await pass.requeueHeld()
  }
}
