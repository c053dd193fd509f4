// The status of a consumer, in the spirit of Burrow's window rules (documented in the README, "Lag statuses").
// Rules, first match wins: ERR (unreadable, set by the service) > a consumer without lag (a Kafka share group): OK
// with members, WARN without > OK when nothing waits > unknown lag (a Kafka group
// that never committed on partitions holding records): STOP without a consumer, else WARN > STOP when nobody
// consumes > STALL when a consumer is attached but acknowledges / commits nothing > WARN when the lag only grew
// across the window > OK.
import type {LagSample, UncommittedLag} from '../../adapters/types.js'
import type {LagStatus} from './model.js'
import type {LagPoint} from './window.js'

export const DEFAULT_STALL_AFTER_SECONDS = 30
/** WARN needs this many points, like Burrow's minimum-complete window. */
export const MIN_POINTS_FOR_WARN = 3

export interface StatusOptions {
  /** How long a consumer may hold messages without acknowledging or committing before it is STALL. */
  stallAfterSeconds?: number
}

export interface Verdict {
  status: LagStatus
  reason: string
}

export function statusOf(sample: LagSample, window: LagPoint[], now: number, o: StatusOptions = {}): Verdict {
  const stallAfterMs = (o.stallAfterSeconds ?? DEFAULT_STALL_AFTER_SECONDS) * 1000
  if (sample.lagNotApplicable !== undefined) return withoutLag(sample.lagNotApplicable, sample.consumers)
  if (sample.offlinePartitions) return offline(sample.offlinePartitions, sample.consumers)
  if (sample.lag === 0) return {status: 'OK', reason: 'nothing waiting'}
  if (sample.lag === undefined) return unknownLag(sample.uncommitted, sample.consumers)
  if (sample.consumers === 0) return {status: 'STOP', reason: `${sample.lag} waiting and no consumer`}
  const stall = stalledInWindow(window, stallAfterMs) ?? stalledBySnapshot(sample, now, stallAfterMs)
  if (stall) return {status: 'STALL', reason: stall}
  const growth = grewAcrossWindow(window)
  if (growth) return {status: 'WARN', reason: growth}
  return {status: 'OK', reason: 'consuming'}
}

/** A consumer without lag (a Kafka share group): nothing says records wait, so never STOP; no member is worth a WARN. */
function withoutLag(why: string, consumers: number): Verdict {
  return consumers > 0
    ? {status: 'OK', reason: `${consumers} consuming; ${why}`}
    : {status: 'WARN', reason: `nothing consuming; ${why}`}
}

/** Partitions without a leader: their records can be neither counted nor consumed until a replica returns. */
function offline(partitions: number[], consumers: number): Verdict {
  return lagUnknown(`partition(s) ${partitions.join(',')} offline (no leader): lag unknown`, consumers)
}

function unknownLag(u: UncommittedLag | undefined, consumers: number): Verdict {
  const where = u
    ? `never committed on ${u.partitions} partition(s) holding records: lag unknown (${u.ifEarliest} if it starts from the earliest offset, 0 from the latest)`
    : 'lag unknown'
  return lagUnknown(where, consumers)
}

/** Whether records wait cannot be told: STOP when nothing consumes, else WARN. */
function lagUnknown(where: string, consumers: number): Verdict {
  return consumers === 0 ? {status: 'STOP', reason: `${where}, and no consumer`} : {status: 'WARN', reason: where}
}

/** The consumed position has not moved for stallAfter while there was lag all along (Burrow: same offset). */
function stalledInWindow(window: LagPoint[], stallAfterMs: number): string | undefined {
  const last = window[window.length - 1]
  if (last.consumed === undefined) return undefined
  let since = last
  for (let i = window.length - 2; i >= 0; i--) {
    const p = window[i]
    if (p.consumed !== last.consumed || !p.lag) break
    since = p
  }
  const ms = last.at - since.at
  if (ms <= 0 || ms < stallAfterMs) return undefined
  return `nothing acknowledged or committed for ${Math.round(ms / 1000)}s with ${last.lag} waiting`
}

/**
 * From one snapshot, where the broker tells: messages are held unacknowledged, the measured ack rate is zero, and
 * the last acknowledgement (or, failing that, delivery) is older than stallAfter, or the broker keeps no such time.
 */
function stalledBySnapshot(sample: LagSample, now: number, stallAfterMs: number): string | undefined {
  if (!sample.unacked) return undefined
  if ((sample.rates?.ack ?? 0) > 0) return undefined
  const lastActivity = sample.lastAckAt ?? sample.lastDeliveryAt
  if (lastActivity && now - lastActivity.getTime() < stallAfterMs) return undefined
  if (!lastActivity && sample.rates === undefined) return undefined
  const idle = lastActivity ? ` for ${Math.round((now - lastActivity.getTime()) / 1000)}s` : ''
  return `${sample.unacked} unacknowledged, no acknowledgement${idle}`
}

/** Burrow's WARN: with a complete enough window, the lag never decreased and ended higher than it began. */
function grewAcrossWindow(window: LagPoint[]): string | undefined {
  if (window.length < MIN_POINTS_FOR_WARN) return undefined
  const lags = window.map((p) => p.lag)
  if (lags.some((lag) => lag === undefined)) return undefined
  for (let i = 1; i < window.length; i++) if (lags[i]! < lags[i - 1]!) return undefined
  const first = window[0]
  const last = window[window.length - 1]
  if (last.lag! <= first.lag!) return undefined
  return `lag grew from ${first.lag} to ${last.lag} over ${Math.round((last.at - first.at) / 1000)}s`
}
