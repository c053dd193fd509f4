// `mailroom check`: lag and DLQ depth against thresholds, across every broker of a context. Pure evaluation over
// a lag report and DLQ depths; the command maps a breach to exit 7.
import type {BrokerAdapter, ReplicaProblem} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import type {DlqSettings} from '../dlq/settings.js'
import {discoverDlqs} from '../dlq/discover.js'
import type {BrokerFailure} from '../services/targets.js'
import type {TargetRef} from '../target-ref.js'
import type {LagRow} from './model.js'
import type {Replication} from './replication.js'
import {type LagMonitorOptions, LagMonitor} from './service.js'

export interface Thresholds {
  maxLag?: number
  maxLagSeconds?: number
  maxDlqDepth?: number
  /** Every consumer row (DLQs excepted: nobody is expected to consume those) must have a consumer attached. */
  requireConsumers?: boolean
  /** No partition, quorum queue or stream may be short of replicas or leaderless, and no node down or in alarm. */
  requireReplicas?: boolean
}

export type ThresholdName = 'max-lag' | 'max-lag-seconds' | 'max-dlq-depth' | 'require-consumers' | 'require-replicas'
export const THRESHOLD_NAMES: ThresholdName[] = [
  'max-lag',
  'max-lag-seconds',
  'max-dlq-depth',
  'require-consumers',
  'require-replicas',
]

export interface Breach {
  threshold: ThresholdName
  broker: BrokerKind
  target: string
  consumer?: string
  value: number
  limit: number
  message: string
}

export interface DlqDepth {
  broker: BrokerKind
  name: string
  depth?: number
}

export interface CheckResult {
  ok: boolean
  at: string
  breaches: Breach[]
  rows: LagRow[]
  dlqs: DlqDepth[]
  failures: BrokerFailure[]
  /** Replication shortfalls of every broker read (breaches with --require-replicas; shown and exported always). */
  replication: Replication
}

export interface CheckOptions extends LagMonitorOptions {
  dlqSettings: DlqSettings
}

export async function runCheck(
  adapters: BrokerAdapter[],
  thresholds: Thresholds,
  o: CheckOptions,
): Promise<CheckResult> {
  const wantDlqs = thresholds.maxDlqDepth !== undefined || thresholds.requireConsumers === true
  // Both lookups below connect; connecting first keeps them from opening two connections to one broker at once.
  // A broker that fails here fails again there, and is reported as such.
  await Promise.all(adapters.map((a) => a.connect().catch(() => undefined)))
  const [report, dlqListing] = await Promise.all([
    new LagMonitor(adapters, {...o, replication: true}).snapshot(),
    // Depths only (no message ages), and with a consumer named only its DLQs: on a broker holding many DLQs, each
    // one read costs requests, one after the other.
    wantDlqs
      ? discoverDlqs(adapters, o.dlqSettings, Date.now(), {
          messageTimes: false,
          ...(o.filter ? {concerns: (d) => dlqConcerns(d, o.filter!)} : {}),
        })
      : Promise.resolve({dlqs: [], failures: []}),
  ])
  // Discovery listed only the DLQs that concern the filter (when there is one).
  const dlqs = dlqListing.dlqs.map(({broker, name, depth}) => ({broker, name, depth}))
  const replication = report.replication ?? {checked: {}, problems: []}
  const breaches = [
    ...findBreaches(report.rows, dlqs, thresholds),
    ...(thresholds.requireReplicas ? replicaBreaches(replication.problems) : []),
  ]
  const failures = uniqueFailures([...report.failures, ...dlqListing.failures])
  return {ok: breaches.length === 0, at: report.at, breaches, rows: report.rows, dlqs, failures, replication}
}

function dlqConcerns(d: {broker: BrokerKind; name: string; origins: string[]}, filter: TargetRef): boolean {
  return d.broker === filter.broker && (d.name === filter.name || d.origins.includes(filter.name))
}

export function findBreaches(rows: LagRow[], dlqs: DlqDepth[], t: Thresholds): Breach[] {
  const dlqNames = new Set(dlqs.map((d) => `${d.broker}:${d.name}`))
  const consumerRows = rows.filter((r) => r.status !== 'ERR')
  return [
    ...limitBreaches(
      consumerRows,
      'max-lag',
      t.maxLag,
      (r) => r.lag,
      (v, l) => `lag ${v} > ${l}`,
    ),
    ...limitBreaches(
      consumerRows,
      'max-lag-seconds',
      t.maxLagSeconds,
      (r) => r.lagSeconds,
      (v, l) => `lag ${round(v)}s > ${l}s`,
    ),
    ...(t.requireConsumers ? consumerlessRows(consumerRows, dlqNames) : []),
    ...dlqBreaches(dlqs, t.maxDlqDepth),
  ]
}

function limitBreaches(
  rows: LagRow[],
  threshold: ThresholdName,
  limit: number | undefined,
  valueOf: (r: LagRow) => number | undefined,
  describe: (value: number, limit: number) => string,
): Breach[] {
  if (limit === undefined) return []
  return rows.flatMap((r) => {
    const value = valueOf(r)
    if (value === undefined || value <= limit) return []
    return [
      {
        threshold,
        broker: r.broker,
        target: r.target,
        consumer: r.consumer,
        value,
        limit,
        message: describe(value, limit),
      },
    ]
  })
}

function consumerlessRows(rows: LagRow[], dlqNames: Set<string>): Breach[] {
  return rows
    .filter((r) => r.consumers === 0 && !dlqNames.has(`${r.broker}:${r.target}`))
    .map((r) => ({
      threshold: 'require-consumers',
      broker: r.broker,
      target: r.target,
      consumer: r.consumer,
      value: 0,
      limit: 1,
      message: 'no consumer',
    }))
}

function dlqBreaches(dlqs: DlqDepth[], limit: number | undefined): Breach[] {
  if (limit === undefined) return []
  return dlqs
    .filter((d) => (d.depth ?? 0) > limit)
    .map((d) => ({
      threshold: 'max-dlq-depth',
      broker: d.broker,
      target: d.name,
      value: d.depth!,
      limit,
      message: `DLQ depth ${d.depth} > ${limit}`,
    }))
}

function replicaBreaches(problems: ReplicaProblem[]): Breach[] {
  return problems.map((p) => ({
    threshold: 'require-replicas',
    broker: p.broker,
    target: p.target ?? p.node ?? '',
    ...(p.partition === undefined ? {} : {consumer: `partition ${p.partition}`}),
    value: p.inSync ?? 0,
    limit: p.replicas ?? 1,
    message: `${p.kind}: ${p.message}`,
  }))
}

function uniqueFailures(failures: BrokerFailure[]): BrokerFailure[] {
  const seen = new Set<string>()
  return failures.filter((f) => !seen.has(f.broker) && seen.add(f.broker))
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}
