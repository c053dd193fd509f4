// Reading messages through an adapter for tail and peek: filter, count, idle timeout, and clean stop.
import type {BrokerAdapter, Delivery, ReadOptions, StartPosition} from '../../adapters/types.js'
import {MailroomError} from '../../model/errors.js'
import {flatten, readBatchesOf} from '../../adapters/batched.js'
import type {MessageFilter} from '../filter.js'
import type {EnvelopeDecoder} from '../schema/envelope-decoder.js'

export interface TailOptions extends ReadOptions {
  filter?: MessageFilter
  /** Stop after this many matching messages. */
  count?: number
  /** Stop when no message arrives for this long. */
  idleTimeoutMs?: number
  /** Decodes keys and values through the schema registry before the filter sees them. */
  decoder?: EnvelopeDecoder
}

export interface TailStats {
  received: number
  matched: number
  stoppedBy: 'count' | 'end' | 'idle' | 'interrupt' | 'source'
}

/**
 * Yields matching deliveries in the batches the adapter reads them in. Non-matching ones, and those past --count,
 * are requeued when consuming (never silently removed). The read is closed (and its broker-side consumer removed)
 * however the loop ends.
 */
export async function* tailBatches(
  adapter: BrokerAdapter,
  target: string,
  o: TailOptions,
  stats: TailStats,
): AsyncGenerator<Delivery[]> {
  if (o.signal?.aborted) return void (stats.stoppedBy = 'interrupt')
  const read = new ReadStop(o.signal)
  const positioning = new Positioning()
  const readOptions = {...o, from: startOf(o), signal: read.signal, onPositioned: positioning.reached}
  const reader = readBatchesOf(adapter, target, readOptions)[Symbol.asyncIterator]()
  const aborted = o.signal ? new AbortWaiter(o.signal) : undefined
  // The read asked for and not yet answered: still open when tail stops on its own (--idle-timeout).
  let pending: Promise<IteratorResult<Delivery[]>> | undefined
  stats.stoppedBy = 'source'
  try {
    for (;;) {
      if (o.count !== undefined && stats.matched >= o.count) return void (stats.stoppedBy = 'count')
      pending ??= reader.next()
      const next = await nextWithin(pending, o.idleTimeoutMs, aborted, positioning)
      if (next === 'idle') return void (stats.stoppedBy = 'idle')
      if (next === 'aborted' || o.signal?.aborted) return void (stats.stoppedBy = 'interrupt')
      pending = undefined
      positioning.reached()
      if (next.done) return void (stats.stoppedBy = o.untilEnd ? 'end' : 'source')
      await o.decoder?.decorateAll(next.value.map((d) => d.envelope))
      const matched = await matching(next.value, o, stats)
      if (matched.length > 0) yield matched
    }
  } finally {
    aborted?.dispose()
    // An async generator's return() waits for its pending next(): without ending the read first, a tail that went
    // idle would wait forever for a message that never comes (and hold the process open).
    read.stop()
    const late = await pending?.catch(() => undefined)
    if (late && !late.done) await giveBack(late.value, o)
    await reader.return?.()
  }
}

/**
 * Where a tail starts without --from: new messages only; with --until-end, what the target holds; a consuming read
 * goes on where its queue or group is (the adapter's own start).
 */
function startOf(o: TailOptions): StartPosition | undefined {
  if (o.from || o.consume) return o.from
  return {kind: o.untilEnd ? 'earliest' : 'latest'}
}

/** The same, one delivery at a time. */
export function tailMessages(
  adapter: BrokerAdapter,
  target: string,
  o: TailOptions,
  stats: TailStats,
): AsyncGenerator<Delivery> {
  return flatten(tailBatches(adapter, target, o, stats))
}

/** The batch's deliveries that pass the filter, up to --count; the others go back when consuming. */
async function matching(batch: Delivery[], o: TailOptions, stats: TailStats): Promise<Delivery[]> {
  if (!o.filter && o.count === undefined) {
    stats.received += batch.length
    stats.matched += batch.length
    return batch
  }
  const matched: Delivery[] = []
  const rejected: Delivery[] = []
  for (const delivery of batch) {
    if (o.count !== undefined && stats.matched >= o.count) {
      // Read past the count: not counted as received, as if it had never been read.
      rejected.push(delivery)
      continue
    }
    stats.received++
    if (o.filter && !o.filter(delivery.envelope)) rejected.push(delivery)
    else {
      stats.matched++
      matched.push(delivery)
    }
  }
  await giveBack(rejected, o)
  return matched
}

/** Deliveries not handed on: back to the broker when consuming (a non-destructive read has nothing to settle). */
async function giveBack(deliveries: Delivery[], o: TailOptions): Promise<void> {
  if (o.consume) await Promise.all(deliveries.map((d) => d.settle('requeue')))
}

/**
 * Ctrl-C as a fresh promise per wait. Racing one long-lived promise for every message would pile up a reaction per
 * message on it; here the signal is listened to once, and each wait's promise is garbage once the race settles.
 */
class AbortWaiter {
  private wake: ((v: 'aborted') => void) | undefined
  private readonly onAbort = () => this.wake?.('aborted')

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.onAbort, {once: true})
  }

  next(): Promise<'aborted'> {
    return new Promise((resolve) => {
      this.wake = resolve
      if (this.signal.aborted) resolve('aborted')
    })
  }

  dispose(): void {
    this.signal.removeEventListener('abort', this.onAbort)
    this.wake = undefined
  }
}

/**
 * Whether the read has told it is positioned (ReadOptions.onPositioned) or has yielded: --idle-timeout counts from
 * then, so a Kafka group still joining (seconds on a production broker) is not taken for a quiet topic.
 */
class Positioning {
  done = false
  private resolve: (() => void) | undefined
  private readonly promise = new Promise<'positioned'>((resolve) => (this.resolve = () => resolve('positioned')))

  readonly reached = (): void => {
    this.done = true
    this.resolve?.()
  }

  wait(): Promise<'positioned'> {
    return this.promise
  }
}

async function nextWithin<T>(
  next: Promise<IteratorResult<T>>,
  idleMs: number | undefined,
  aborted: AbortWaiter | undefined,
  positioning: Positioning,
): Promise<IteratorResult<T> | 'idle' | 'aborted'> {
  if (idleMs === undefined) return aborted ? Promise.race([next, aborted.next()]) : next
  if (!positioning.done) {
    const first = await Promise.race([next, positioning.wait(), ...(aborted ? [aborted.next()] : [])])
    if (first !== 'positioned') return first
  }
  let timer: NodeJS.Timeout | undefined
  const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), idleMs)))
  try {
    return await Promise.race([next, idle, ...(aborted ? [aborted.next()] : [])])
  } finally {
    clearTimeout(timer)
  }
}

/** The read's own signal: aborted by Ctrl-C, and by tail itself when it stops while a read is still waiting. */
class ReadStop {
  private readonly controller = new AbortController()
  private readonly onAbort = () => this.controller.abort()

  constructor(private readonly outer: AbortSignal | undefined) {
    outer?.addEventListener('abort', this.onAbort, {once: true})
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  stop(): void {
    this.outer?.removeEventListener('abort', this.onAbort)
    this.controller.abort()
  }
}

/** Parses --from: earliest | latest | <offset or sequence> | <ISO 8601 time>. */
export function parseStartPosition(text: string | undefined): StartPosition | undefined {
  if (text === undefined) return undefined
  if (text === 'earliest' || text === 'beginning' || text === 'first') return {kind: 'earliest'}
  if (text === 'latest' || text === 'end' || text === 'new') return {kind: 'latest'}
  if (/^\d+$/.test(text)) return {kind: 'offset', value: BigInt(text)}
  const time = new Date(text)
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(time.getTime())) return {kind: 'time', value: time}
  throw new MailroomError('USAGE', `--from "${text}" is not a start position`, {
    suggestions: ['Use earliest, latest, an offset or sequence number, or an ISO time such as 2026-11-26T08:00:00Z'],
  })
}

/** Parses durations like 500ms, 5s, 2m (a bare number is seconds). */
export function parseDuration(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (!m) throw new MailroomError('USAGE', `${flag} "${text}" is not a duration`, {suggestions: ['e.g. 500ms, 5s, 2m']})
  const factor = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
  return Math.round(Number(m[1]) * factor)
}
