// The overview's live data: targets and lag every interval, DLQ discovery and broker versions less often, and the
// DLQs' counts by reason re-read only when a DLQ's depth changed (reading a RabbitMQ queue means peeking it).
import {useEffect, useMemo, useRef, useState} from 'react'

import type {DlqInfo} from '../../core/dlq/discover.js'
import {MIN_ANSWER_WAIT_MS} from '../../core/pending-answers.js'
import {History, type OverviewGroup, buildGroups, targetKey} from '../model.js'
import type {BrokerState, DashboardServices, OverviewData} from '../services.js'
import {usePoll} from './use-poll.js'

/** Samples kept per row for sparklines and the detail view's history. */
export const HISTORY_SIZE = 120
const REASON_SAMPLE = 200

export interface ReasonCount {
  reason: string
  count: number
}

export interface DlqRow extends DlqInfo {
  reasons?: ReasonCount[]
  /** How many messages the reasons were counted on, when that is fewer than the DLQ holds (its first ones). */
  reasonsSample?: number
}

export interface OverviewState {
  groups: OverviewGroup[]
  dlqs: DlqRow[]
  brokers: BrokerState[]
  history: History
  data?: OverviewData
  error?: string
  ticks: number
}

export function useOverview(services: DashboardServices, intervalMs: number, o: {quiet: boolean}): OverviewState {
  const slowMs = Math.max(10_000, intervalMs * 5)
  const overview = usePoll(
    () => services.overview({answerWithinMs: Math.max(intervalMs, MIN_ANSWER_WAIT_MS)}),
    intervalMs,
  )
  const discovered = useDiscoveredDlqs(services, slowMs)
  const brokers = usePoll(() => services.brokerStates(), slowMs, {sameAsLast: true})
  const history = useRef(new History(HISTORY_SIZE)).current
  const reasons = useDlqReasons(services, overview.data, discovered.data, o.quiet)

  const groups = useMemo(
    () => (overview.data ? buildGroups(overview.data.targets, overview.data.lag.rows, discovered.data ?? []) : []),
    [overview.data, discovered.data],
  )
  useEffect(() => history.record(groups), [groups])

  const dlqs = useMemo(
    () => withDepthAndReasons(discovered.data ?? [], overview.data, reasons),
    [discovered.data, overview.data, reasons],
  )
  const states = useMemo(() => brokerStates(services, brokers.data, overview.data), [brokers.data, overview.data])
  return {
    groups,
    dlqs,
    brokers: states,
    history,
    data: overview.data,
    error: overview.error?.message,
    ticks: overview.ticks,
  }
}

/** The latest depth from the target listing (refreshed every interval; discovery is slower). */
function withDepthAndReasons(dlqs: DlqInfo[], data: OverviewData | undefined, reasons: Map<string, Counted>): DlqRow[] {
  const depth = new Map(data?.targets.map((t) => [targetKey(t.broker, t.name), t.depth]))
  return dlqs.map((d) => {
    const key = targetKey(d.broker, d.name)
    const counted = reasons.get(key)
    return {
      ...d,
      depth: depth.get(key) ?? d.depth,
      ...(counted
        ? {reasons: counted.reasons, ...(counted.sample !== undefined ? {reasonsSample: counted.sample} : {})}
        : {}),
    }
  })
}

function brokerStates(
  services: DashboardServices,
  states: BrokerState[] | undefined,
  data: OverviewData | undefined,
): BrokerState[] {
  return services.brokers.map((broker) => {
    const known = states?.find((s) => s.broker === broker) ?? {broker}
    const failure = data?.failures.find((f) => f.broker === broker)
    if (failure) return {...known, up: false, error: failure.error}
    return data ? {...known, up: true, error: undefined} : known
  })
}

/** DLQ discovery; a broker that failed this round keeps the DLQs it had (a slow broker must not blank the list). */
function useDiscoveredDlqs(services: DashboardServices, intervalMs: number): {data?: DlqInfo[]} {
  const listing = usePoll(() => services.discoverDlqs(), intervalMs, {sameAsLast: true})
  const last = useRef<DlqInfo[] | undefined>(undefined)
  const data = useMemo(() => {
    if (!listing.data) return last.current
    const failed = new Set(listing.data.failures.map((f) => f.broker))
    const kept = (last.current ?? []).filter((d) => failed.has(d.broker))
    last.current = [...listing.data.dlqs, ...kept]
    return last.current
  }, [listing.data])
  return {data}
}

interface Counted {
  depth: number | undefined
  reasons: ReasonCount[]
  /** Messages counted, when fewer than the depth. */
  sample?: number
}

/** DLQs whose reasons are counted at the same time (each is a read of up to REASON_SAMPLE messages). */
const REASON_READS = 4

/**
 * Counts by reason per DLQ, re-read when a DLQ's depth changed, up to REASON_READS DLQs at a time (one at a time
 * kept the first full overview waiting on each DLQ in turn); paused while `quiet`.
 */
function useDlqReasons(
  services: DashboardServices,
  data: OverviewData | undefined,
  dlqs: DlqInfo[] | undefined,
  quiet: boolean,
): Map<string, Counted> {
  const [counted, setCounted] = useState(new Map<string, Counted>())
  const reading = useRef(new Set<string>()).current
  useEffect(() => {
    if (quiet || !data || !dlqs) return
    const depth = new Map(data.targets.map((t) => [targetKey(t.broker, t.name), t.depth]))
    const stale = dlqs.filter((d) => {
      const key = targetKey(d.broker, d.name)
      return depth.has(key) && !reading.has(key) && counted.get(key)?.depth !== depth.get(key)
    })
    for (const dlq of stale.slice(0, Math.max(0, REASON_READS - reading.size))) {
      const key = targetKey(dlq.broker, dlq.name)
      const current = depth.get(key)
      reading.add(key)
      const count = async (): Promise<Counted> => {
        if (!current) return {depth: current, reasons: []}
        const contents = await services.readDlq(dlq.broker, dlq.name, {limit: REASON_SAMPLE})
        const sample = contents.stats.read
        return {depth: current, reasons: byReason(contents.groups), ...(sample < current ? {sample} : {})}
      }
      count()
        .catch((): Counted => ({depth: current, reasons: [], sample: 0}))
        .then((result) => {
          reading.delete(key)
          setCounted((m) => new Map(m).set(key, result))
        })
    }
  }, [data, dlqs, quiet, counted])
  return counted
}

export function byReason(groups: {reason: string; count: number}[]): ReasonCount[] {
  const totals = new Map<string, number>()
  for (const g of groups) totals.set(g.reason, (totals.get(g.reason) ?? 0) + g.count)
  return [...totals]
    .map(([reason, count]) => ({reason, count}))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
}
