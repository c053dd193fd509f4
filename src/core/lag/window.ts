// A sliding window of lag samples per consumer, and the rates, trend and drain ETA derived from it.
import type {LagSample} from '../../adapters/types.js'
import {put, rowKey} from './model.js'

/** Burrow keeps the last 10 offsets per partition; the same default here. */
export const DEFAULT_WINDOW_SIZE = 10

export interface LagPoint {
  /** Milliseconds since the epoch. */
  at: number
  /** Undefined when the lag was unknown (a Kafka group that never committed). */
  lag?: number
  consumed?: number
  produced?: number
}

export interface Motion {
  inRate?: number
  outRate?: number
  trend?: number
  etaSeconds?: number
  windowSeconds: number
}

export class LagWindows {
  private readonly windows = new Map<string, LagPoint[]>()

  constructor(private readonly size = DEFAULT_WINDOW_SIZE) {}

  /** Adds a sample and returns the consumer's window, oldest first (the new point last). */
  add(sample: LagSample, at: number): LagPoint[] {
    const key = rowKey(sample)
    const point = {at, lag: sample.lag, consumed: sample.consumed, produced: sample.produced}
    const points = this.windows.get(key)
    if (!points) {
      const kept = [point]
      this.windows.set(key, kept)
      return kept
    }
    // In place: a window is read right after it is returned, and never kept by the caller.
    points.push(point)
    if (points.length > this.size) points.splice(0, points.length - this.size)
    return points
  }

  /** Forgets consumers that were not seen in the latest round (deleted queues, groups). */
  retainOnly(keys: Set<string>): void {
    for (const key of this.windows.keys()) if (!keys.has(key)) this.windows.delete(key)
  }
}

/**
 * Rates over the window when it holds two points or more; otherwise the rates the broker measured itself.
 * A counter that went backwards (a recreated queue, a reset group) gives no rate.
 */
export function motionOf(window: LagPoint[], sample: LagSample): Motion {
  const motion = {} as Motion
  addMotion(motion, window, sample)
  return motion
}

/** motionOf's fields, set on `into` in the same order (inRate, outRate, trend, etaSeconds, windowSeconds). */
export function addMotion(into: Motion, window: LagPoint[], sample: LagSample): void {
  const first = window[0]
  const last = window[window.length - 1]
  const seconds = (last.at - first.at) / 1000
  const measured = seconds > 0
  const inRate = measured ? perSecond(first.produced, last.produced, seconds) : sample.rates?.in
  const outRate = measured
    ? perSecond(first.consumed, last.consumed, seconds)
    : (sample.rates?.ack ?? sample.rates?.out)
  const trend = measured
    ? lagChange(first, last, seconds)
    : inRate !== undefined && outRate !== undefined
      ? inRate - outRate
      : undefined
  put(into, 'inRate', inRate)
  put(into, 'outRate', outRate)
  put(into, 'trend', trend)
  put(into, 'etaSeconds', drainEta(sample.lag, trend))
  into.windowSeconds = Math.max(0, seconds)
}

function lagChange(first: LagPoint, last: LagPoint, seconds: number): number | undefined {
  return first.lag === undefined || last.lag === undefined ? undefined : (last.lag - first.lag) / seconds
}

function perSecond(from: number | undefined, to: number | undefined, seconds: number): number | undefined {
  if (from === undefined || to === undefined || to < from) return undefined
  return (to - from) / seconds
}

export function drainEta(lag: number | undefined, trend: number | undefined): number | undefined {
  if (lag === undefined) return undefined
  if (lag === 0) return 0
  if (trend === undefined || trend >= 0) return undefined
  return lag / -trend
}
