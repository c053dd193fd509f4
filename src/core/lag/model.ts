// The lag row model shared by `mailroom lag`, `mailroom check` and the dashboard: one row per consumer (a Kafka
// group on one topic, a RabbitMQ queue, a JetStream consumer), whatever the broker.
import type {ConsumerGroupFacts, PartitionLag, UncommittedLag} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import type {MailroomErrorInfo} from '../../model/errors.js'

export const LAG_STATUSES = ['OK', 'WARN', 'STALL', 'STOP', 'ERR'] as const
export type LagStatus = (typeof LAG_STATUSES)[number]

/** Worse statuses sort first and win when rows are rolled up. */
export const STATUS_SEVERITY: Record<LagStatus, number> = {ERR: 4, STOP: 3, STALL: 2, WARN: 1, OK: 0}

export interface LagRow {
  broker: BrokerKind
  /** Topic, queue or stream; '*' for a broker that could not be read at all. */
  target: string
  /** Kafka group, RabbitMQ queue, JetStream consumer; '*' for a broker that could not be read. */
  consumer: string
  status: LagStatus
  /** The rule that gave the status, in words. */
  reason: string
  /** Messages not yet processed; undefined when unknown (see `uncommitted`) or unreadable. */
  lag?: number
  uncommitted?: UncommittedLag
  /** Why this consumer has no lag at all (a Kafka share group). */
  lagNotApplicable?: string
  /** Age of the oldest unprocessed message in seconds; undefined = unknown. */
  lagSeconds?: number
  consumers?: number
  unacked?: number
  /** Messages per second into the target and taken by the consumer (from the window, else the broker's rates). */
  inRate?: number
  outRate?: number
  /** Change of the lag per second over the window: > 0 growing, < 0 draining. */
  trend?: number
  /** Seconds until the lag reaches zero at the current trend; undefined when it is not draining. */
  etaSeconds?: number
  /** Seconds of history the rates and status were computed over (0 for a single snapshot). */
  windowSeconds: number
  details?: Record<string, unknown>
  partitions?: PartitionLag[]
  group?: ConsumerGroupFacts
  warnings?: string[]
  /** Kafka: partitions of the target without a leader (every replica down); the lag is then unknown. */
  offlinePartitions?: number[]
  error?: MailroomErrorInfo
}

export interface LagSnapshot {
  /** ISO time the snapshot was taken. */
  at: string
  rows: LagRow[]
}

export function rowKey(r: {broker: BrokerKind; target: string; consumer: string}): string {
  return `${r.broker}\u0000${r.target}\u0000${r.consumer}`
}

export function isLagging(row: LagRow): boolean {
  return (row.lag ?? 0) > 0 || row.uncommitted !== undefined || row.status === 'ERR'
}

export const LAG_SORT_KEYS = ['name', 'lag', 'lag-seconds', 'status'] as const
export type LagSortKey = (typeof LAG_SORT_KEYS)[number]

export function sortRows(rows: LagRow[], by: LagSortKey = 'name'): LagRow[] {
  const byName = (a: LagRow, b: LagRow) =>
    a.broker.localeCompare(b.broker) || a.target.localeCompare(b.target) || a.consumer.localeCompare(b.consumer)
  const compare: Record<LagSortKey, (a: LagRow, b: LagRow) => number> = {
    name: byName,
    lag: (a, b) => (b.lag ?? -1) - (a.lag ?? -1) || byName(a, b),
    'lag-seconds': (a, b) => (b.lagSeconds ?? -1) - (a.lagSeconds ?? -1) || byName(a, b),
    status: (a, b) => STATUS_SEVERITY[b.status] - STATUS_SEVERITY[a.status] || byName(a, b),
  }
  return [...rows].sort(compare[by])
}

/** Sets the field when it has a value (rows and JSON output carry no undefined keys). */
export function put<T extends object, K extends keyof T>(o: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) o[key] = value
}
