// The dashboard's overview rows: each target (depth) with its consumers (lag rows from the lag service) beneath it.
// Pure functions, so sorting, filtering and the merge rules are tested without a terminal.
import type {ConsumerGroupFacts, TargetInfo} from '../adapters/types.js'
import type {BrokerKind} from '../model/broker.js'
import type {DlqInfo} from '../core/dlq/discover.js'
import {type LagRow, type LagStatus, STATUS_SEVERITY} from '../core/lag/model.js'

export interface OverviewRow {
  /** Stable identity across refreshes (sparkline history, selection). */
  key: string
  level: 'target' | 'consumer'
  broker: BrokerKind
  target: string
  /** The consumer (group, JetStream consumer); absent on target rows. */
  consumer?: string
  depth?: number
  lag?: number
  /** Why the consumer has no lag at all (a Kafka share group). */
  lagNotApplicable?: string
  lagSeconds?: number
  inRate?: number
  outRate?: number
  consumers?: number
  status?: LagStatus
  reason?: string
  /** A Kafka group's type, state and members on this target. */
  group?: ConsumerGroupFacts
  isDlq: boolean
}

export interface OverviewGroup {
  row: OverviewRow
  consumers: OverviewRow[]
}

export const SORT_KEYS = ['name', 'lag', 'depth', 'status'] as const
export type SortKey = (typeof SORT_KEYS)[number]

export function targetKey(broker: BrokerKind, target: string): string {
  return `${broker}:${target}`
}

/**
 * One group per target. A lag row whose consumer is the target itself (a RabbitMQ queue: its consumers are
 * anonymous) is merged into the target's row; other lag rows (Kafka groups, JetStream consumers) are its children.
 * Lag rows for targets missing from the listing (a broker that could not be read) become groups of their own.
 */
export function buildGroups(
  targets: TargetInfo[],
  lag: LagRow[],
  dlqs: Pick<DlqInfo, 'broker' | 'name'>[],
): OverviewGroup[] {
  const dlqKeys = new Set(dlqs.map((d) => targetKey(d.broker, d.name)))
  const groups = new Map<string, OverviewGroup>()
  for (const t of targets) {
    const key = targetKey(t.broker, t.name)
    groups.set(key, {
      row: {
        key,
        level: 'target',
        broker: t.broker,
        target: t.name,
        depth: t.depth,
        consumers: t.consumers,
        isDlq: dlqKeys.has(key),
      },
      consumers: [],
    })
  }
  for (const r of lag) {
    const key = targetKey(r.broker, r.target)
    let group = groups.get(key)
    if (!group) {
      group = {row: {key, level: 'target', broker: r.broker, target: r.target, isDlq: dlqKeys.has(key)}, consumers: []}
      groups.set(key, group)
    }
    if (r.consumer === r.target || r.consumer === '*') Object.assign(group.row, lagFields(r))
    else
      group.consumers.push({
        key: `${key}\u0000${r.consumer}`,
        level: 'consumer',
        broker: r.broker,
        target: r.target,
        consumer: r.consumer,
        isDlq: false,
        ...lagFields(r),
      })
  }
  for (const group of groups.values())
    group.consumers.sort((a, b) => (a.consumer ?? '').localeCompare(b.consumer ?? ''))
  return [...groups.values()]
}

function lagFields(r: LagRow): Partial<OverviewRow> {
  return {
    lag: r.lag,
    lagNotApplicable: r.lagNotApplicable,
    lagSeconds: r.lagSeconds,
    inRate: r.inRate,
    outRate: r.outRate,
    consumers: r.consumers,
    status: r.status,
    reason: r.reason,
    group: r.group,
  }
}

/** One line about a Kafka group: type (classic, consumer, share, streams), state, assignor, epoch, and each member with its partitions. */
export function groupLine(g: ConsumerGroupFacts): string {
  const facts = [g.type, g.state, g.assignor, g.epoch === undefined ? undefined : `epoch ${g.epoch}`]
    .filter((x) => x)
    .join(' · ')
  const members = g.members.map((m) => `${m.clientId}@${m.host} [${m.partitions.join(',')}]`)
  return [facts, members.length > 0 ? members.join('  ') : 'no members'].join(' · ')
}

/** The worst status of a target and its consumers (a topic's status is its groups'). */
export function groupStatus(g: OverviewGroup): LagStatus | undefined {
  const statuses = [g.row.status, ...g.consumers.map((c) => c.status)].filter((s): s is LagStatus => s !== undefined)
  return statuses.sort((a, b) => STATUS_SEVERITY[b] - STATUS_SEVERITY[a])[0]
}

function groupLag(g: OverviewGroup): number {
  return Math.max(g.row.lag ?? -1, ...g.consumers.map((c) => c.lag ?? -1))
}

export function sortGroups(groups: OverviewGroup[], by: SortKey): OverviewGroup[] {
  const byName = (a: OverviewGroup, b: OverviewGroup) => a.row.key.localeCompare(b.row.key)
  const compare: Record<SortKey, (a: OverviewGroup, b: OverviewGroup) => number> = {
    name: byName,
    lag: (a, b) => groupLag(b) - groupLag(a) || byName(a, b),
    depth: (a, b) => (b.row.depth ?? -1) - (a.row.depth ?? -1) || byName(a, b),
    status: (a, b) => severity(groupStatus(b)) - severity(groupStatus(a)) || byName(a, b),
  }
  return [...groups].sort(compare[by])
}

function severity(s: LagStatus | undefined): number {
  return s === undefined ? -1 : STATUS_SEVERITY[s]
}

/** Groups whose target or a consumer contains the text (case-insensitive); a matching consumer brings its target. */
export function filterGroups(groups: OverviewGroup[], text: string): OverviewGroup[] {
  const needle = text.trim().toLowerCase()
  if (!needle) return groups
  const matches = (r: OverviewRow) => `${r.broker}:${r.target} ${r.consumer ?? ''}`.toLowerCase().includes(needle)
  return groups.flatMap((g) => {
    if (matches(g.row)) return [g]
    const consumers = g.consumers.filter(matches)
    return consumers.length ? [{...g, consumers}] : []
  })
}

/** The rows in display order: each target followed by its consumers. */
export function flattenGroups(groups: OverviewGroup[]): OverviewRow[] {
  return groups.flatMap((g) => [g.row, ...g.consumers])
}

/** The number a row's sparkline follows in the overview: lag where the row has one, else depth. */
export function trendValue(r: OverviewRow): number | undefined {
  return r.lag ?? r.depth
}

/**
 * A target's lag: its own where it is its own consumer (a RabbitMQ queue), else the lag of its most-behind consumer
 * (Kafka groups, JetStream consumers); undefined when nothing consumes it. Never its depth.
 */
export function targetLag(g: OverviewGroup): number | undefined {
  if (g.row.lag !== undefined) return g.row.lag
  const lags = g.consumers.map((c) => c.lag).filter((l): l is number => l !== undefined)
  return lags.length ? Math.max(...lags) : undefined
}

/** A row's three series, and the last round it was present in. */
interface RowSeries {
  trend: number[]
  depth: number[]
  lag: number[]
  round: number
}

/**
 * Sparkline history: the last `size` values per row key, for the rows present now. One entry per row holds its
 * three series (recorded for every row on every refresh: no key strings are built, no set of keys either).
 */
export class History {
  private readonly rows = new Map<string, RowSeries>()
  private round = 0

  constructor(private readonly size: number) {}

  /** Records each row's trend value, its depth and its lag, under the row's key. */
  record(groups: OverviewGroup[]): void {
    const round = ++this.round
    for (const g of groups) {
      this.recordRow(g.row, round, g.row.level === 'target' ? targetLag(g) : g.row.lag)
      for (const row of g.consumers) this.recordRow(row, round, row.level === 'target' ? targetLag(g) : row.lag)
    }
    for (const [key, series] of this.rows) if (series.round !== round) this.rows.delete(key)
  }

  private recordRow(row: OverviewRow, round: number, lag: number | undefined): void {
    let series = this.rows.get(row.key)
    if (!series) {
      series = {trend: [], depth: [], lag: [], round}
      this.rows.set(row.key, series)
    }
    series.round = round
    this.push(series.trend, trendValue(row))
    this.push(series.depth, row.depth)
    this.push(series.lag, lag)
  }

  private push(series: number[], value: number | undefined): void {
    if (value === undefined) return
    series.push(value)
    if (series.length > this.size) series.splice(0, series.length - this.size)
  }

  /** One series of the row with this key: its trend values (default), its depth or its lag. */
  of(key: string, series: 'trend' | 'depth' | 'lag' = 'trend'): readonly number[] {
    return this.rows.get(key)?.[series] ?? []
  }
}
