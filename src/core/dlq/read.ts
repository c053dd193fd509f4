// Reading a DLQ without changing it (inspect, export, purge --dry-run): a bounded read to the end where the broker
// reads by offset or sequence, the adapter's peek (with its side effects as warnings) where it cannot (RabbitMQ
// classic / quorum queues). Every message gets its death record; a JetStream advisory entry is replaced by the dead
// message it points at (fetched by sequence from the source stream), keeping the DLQ entry's own position in meta.
import type {BrokerAdapter} from '../../adapters/types.js'
import {MailroomError, isMailroomError} from '../../model/errors.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {MessageFilter} from '../filter.js'
import type {EnvelopeDecoder} from '../schema/envelope-decoder.js'
import {type CustomDeathHeaders, parseAdvisory, withDeath} from './death.js'

/** Peeking holds every message at once, so it is always bounded. */
export const DEFAULT_PEEK_LIMIT = 1000

export interface DeadLetterReadOptions {
  /** At most this many DLQ entries are read (default: all for offset/sequence reads, DEFAULT_PEEK_LIMIT for peeks). */
  limit?: number
  filter?: MessageFilter
  /** Decodes keys and values through the schema registry (a view beside the bytes) before the filter sees them. */
  decoder?: EnvelopeDecoder
  customHeaders?: CustomDeathHeaders
  /** Peek a quorum queue with a delivery limit anyway. */
  force?: boolean
  /** Everything up to the limit (inspect, export, purge --dry-run): a peek waits for what other readers hold (PeekOptions). */
  complete?: boolean
  signal?: AbortSignal
  onWarning?: (message: string) => void
}

export interface DeadLetterReadStats {
  read: number
  matched: number
  /** The limit stopped the read: more entries may remain in the DLQ. */
  truncated: boolean
}

export function newReadStats(): DeadLetterReadStats {
  return {read: 0, matched: 0, truncated: false}
}

export async function* readDeadLetters(
  adapter: BrokerAdapter,
  target: string,
  o: DeadLetterReadOptions,
  stats: DeadLetterReadStats = newReadStats(),
): AsyncGenerator<Envelope> {
  const resolved = new OriginalFetcher(adapter, o.onWarning)
  for await (const entry of dlqEntries(adapter, target, o, stats)) {
    if (o.signal?.aborted) return
    stats.read++
    const envelope = await resolved.withOriginal(withDeath(entry, {customHeaders: o.customHeaders}))
    await o.decoder?.decorate(envelope)
    if (o.filter && !o.filter(envelope)) continue
    stats.matched++
    yield envelope
  }
}

async function* dlqEntries(
  adapter: BrokerAdapter,
  target: string,
  o: DeadLetterReadOptions,
  stats: DeadLetterReadStats,
): AsyncGenerator<Envelope> {
  if (adapter.peek) {
    const limit = o.limit ?? DEFAULT_PEEK_LIMIT
    const result = await adapter.peek(target, {count: limit, force: o.force, complete: o.complete})
    for (const warning of result.warnings) o.onWarning?.(warning)
    stats.truncated = result.messages.length >= limit
    yield* result.messages
    return
  }
  if (!adapter.read) throw new MailroomError('UNSUPPORTED', `${adapter.kind} cannot read messages`)
  if (o.limit === 0) return
  let count = 0
  for await (const delivery of adapter.read(target, {
    from: {kind: 'earliest'},
    untilEnd: true,
    prefetch: 512,
    signal: o.signal,
  })) {
    yield delivery.envelope
    if (o.limit !== undefined && ++count >= o.limit) {
      stats.truncated = true
      return
    }
  }
}

/** Replaces JetStream advisory entries by the message they point at, when the adapter can fetch by sequence. */
class OriginalFetcher {
  private warnedMissing = 0

  constructor(
    private readonly adapter: BrokerAdapter,
    private readonly onWarning?: (message: string) => void,
  ) {}

  async withOriginal(entry: Envelope): Promise<Envelope> {
    const shown = await deadMessageOf(this.adapter, entry)
    if (shown !== 'gone') return shown
    if (this.warnedMissing++ < 5) {
      const advisory = parseAdvisory(entry)!
      this.onWarning?.(
        `${advisory.stream} sequence ${advisory.stream_seq} is gone (acknowledged, deleted or aged out): showing the advisory only`,
      )
    }
    return entry
  }
}

/**
 * The message a DLQ entry stands for, as inspect, export, purge and replay all judge it: the entry itself, or for a
 * JetStream advisory (with its death record) the dead message fetched by sequence from its stream, keeping the DLQ
 * entry's target, position and death record. 'gone' when that message can no longer be read.
 */
export async function deadMessageOf(adapter: BrokerAdapter, entry: Envelope): Promise<Envelope | 'gone'> {
  if (entry.death?.source !== 'jetstream-advisory' || !adapter.getMessage) return entry
  const advisory = parseAdvisory(entry)
  if (!advisory) return entry
  try {
    const original = await adapter.getMessage(advisory.stream, advisory.stream_seq)
    const subject = typeof original.key === 'string' ? original.key : undefined
    return {
      ...original,
      target: entry.target,
      meta: {...entry.meta, subject: original.meta?.subject ?? subject},
      death: {...entry.death, origin: {...entry.death.origin, subject}},
    }
  } catch (error) {
    if (!isMailroomError(error) || error.code !== 'NOT_FOUND') throw error
    return 'gone'
  }
}
