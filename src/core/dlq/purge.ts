// Purging a DLQ. Without a filter: the adapter's purge. With a filter, only the matching messages go:
// - where messages can be deleted by sequence (JetStream), a non-destructive read finds them, then each is deleted;
// - where deliveries are settled one by one (RabbitMQ queues), a consuming read acks the matching ones and holds the
//   others unsettled until the end, then requeues them (requeued at once they would come straight back);
// - an append-only log (Kafka) cannot drop chosen records: UNSUPPORTED.
import type {BrokerAdapter} from '../../adapters/types.js'
import {MailroomError} from '../../model/errors.js'
import {auditedChange} from '../audit.js'
import type {MessageFilter} from '../filter.js'
import {Selection, selectionFilter} from '../replay/selection.js'
import {type CustomDeathHeaders, withDeath} from './death.js'
import {dlqPosition} from './position.js'
import {newReadStats, readDeadLetters} from './read.js'

/** AMQP prefetch is a 16-bit count: at most this many messages can be held unsettled on one channel. */
export const MAX_HELD = 65_535
export const DEFAULT_FILTERED_PURGE_LIMIT = 10_000

export interface PurgeOptions {
  filter?: MessageFilter
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

/** Refuses up front what the broker cannot do, so nothing is asked or audited for an impossible purge. */
export function purgeMethod(adapter: BrokerAdapter, filtered: boolean): PurgeResult['method'] {
  if (!filtered) {
    if (adapter.purge) return 'purge'
    throw new MailroomError('UNSUPPORTED', `${adapter.kind} cannot purge this target`)
  }
  if (adapter.deleteMessage) return 'delete-by-sequence'
  if (adapter.capabilities.settle && adapter.read) return 'consume-and-ack'
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
  const method = purgeMethod(adapter, isNarrowed(options))
  const o = narrowed(adapter, target, options)
  const result = await purgeBy(method, adapter, target, o)
  return o.selection ? {...result, notFound: o.selection.missing} : result
}

async function purgeBy(
  method: PurgeResult['method'],
  adapter: BrokerAdapter,
  target: string,
  o: Narrowed,
): Promise<PurgeResult> {
  if (o.dryRun) return dryRun(adapter, target, o, method)
  switch (method) {
    case 'purge':
      return {target, dryRun: false, purged: await adapter.purge!(target), samples: [], method}
    case 'delete-by-sequence':
      return deleteMatching(adapter, target, o)
    default:
      return consumeMatching(adapter, target, o)
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
      limit: o.limit ?? DEFAULT_FILTERED_PURGE_LIMIT,
      customHeaders: o.customHeaders,
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

async function deleteMatching(adapter: BrokerAdapter, target: string, o: Narrowed): Promise<PurgeResult> {
  const stats = newReadStats()
  const sequences: number[] = []
  const read = readDeadLetters(
    adapter,
    target,
    {filter: o.filter, limit: o.limit, customHeaders: o.customHeaders, signal: o.signal, onWarning: o.onWarning},
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
      await adapter.deleteMessage!(target, seq)
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

async function consumeMatching(adapter: BrokerAdapter, target: string, o: Narrowed): Promise<PurgeResult> {
  const limit = Math.min(o.limit ?? DEFAULT_FILTERED_PURGE_LIMIT, MAX_HELD)
  const held: {settle: (how: 'requeue') => Promise<void>}[] = []
  const samples: string[] = []
  let purged = 0
  let examined = 0
  const reader = adapter.read!(target, {consume: true, untilEnd: true, prefetch: limit, signal: o.signal})
  try {
    for await (const delivery of reader) {
      examined++
      const e = withDeath(delivery.envelope, {customHeaders: o.customHeaders})
      if (o.filter!(e)) {
        await delivery.settle('ack')
        if (samples.length < SAMPLES) samples.push(dlqPosition(e, examined - 1))
        purged++
      } else {
        held.push(delivery)
      }
      if (examined >= limit || o.signal?.aborted) break
    }
  } finally {
    // Requeued only now: requeued during the read they would be delivered again before the rest.
    for (const delivery of held) await delivery.settle('requeue').catch(() => {})
  }
  const truncated = examined >= limit
  return {target, dryRun: false, purged, kept: held.length, samples, method: 'consume-and-ack', truncated}
}
