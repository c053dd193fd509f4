// Prometheus text exposition (format 0.0.4) of a check: for node_exporter's textfile collector or a cron job
// pushing to a Pushgateway. Every consumer row, DLQ depth, broker reachability and breach count.
import type {ReplicaProblem} from '../../adapters/types.js'
import {BROKER_KINDS, type BrokerKind} from '../../model/broker.js'
import {type CheckResult, THRESHOLD_NAMES} from './check.js'
import {LAG_STATUSES, type LagRow} from './model.js'

type Labels = Record<string, string>

interface Sample {
  labels: Labels
  value: number
}

export function renderPrometheus(result: CheckResult, brokers: readonly BrokerKind[] = BROKER_KINDS): string {
  const consumers = result.rows.filter((r) => r.status !== 'ERR')
  const failed = new Set(result.failures.map((f) => f.broker))
  const families = [
    family(
      'mailroom_consumer_lag_messages',
      'Messages not yet processed by the consumer.',
      rowSamples(consumers, (r) => r.lag),
    ),
    family(
      'mailroom_consumer_lag_seconds',
      'Age of the oldest unprocessed message, where it can be known.',
      rowSamples(consumers, (r) => r.lagSeconds),
    ),
    family(
      'mailroom_consumer_consumers',
      'Consumers attached (group members, queue consumers, bound or pulling JetStream clients).',
      rowSamples(consumers, (r) => r.consumers),
    ),
    family(
      'mailroom_consumer_status',
      'Lag status of the consumer: 1 for its current status, 0 for the others.',
      statusSamples(consumers),
    ),
    family(
      'mailroom_dlq_depth',
      'Messages held in a dead-letter queue.',
      result.dlqs.flatMap((d) =>
        d.depth === undefined ? [] : [{labels: {broker: d.broker, target: d.name}, value: d.depth}],
      ),
    ),
    family(
      'mailroom_replication_problems',
      'Replication shortfalls by kind: under-replicated / offline partitions, queues below target or without leader, nodes down or in alarm.',
      replicationCounts(result),
    ),
    family(
      'mailroom_replication_problem',
      'One per shortfall now (1), labelled with what falls short.',
      result.replication.problems.map((p) => ({labels: problemLabels(p), value: 1})),
    ),
    family(
      'mailroom_broker_up',
      'Whether the broker could be read (1) or not (0).',
      brokers.map((b) => ({labels: {broker: b}, value: failed.has(b) ? 0 : 1})),
    ),
    family(
      'mailroom_check_breaches',
      'Thresholds breached, by threshold.',
      THRESHOLD_NAMES.map((t) => ({
        labels: {threshold: t},
        value: result.breaches.filter((b) => b.threshold === t).length,
      })),
    ),
    family('mailroom_check_timestamp_seconds', 'When the check ran (Unix time).', [
      {labels: {}, value: Date.parse(result.at) / 1000},
    ]),
  ]
  return `${families.filter((f) => f !== '').join('\n')}\n`
}

const PROBLEM_KINDS: ReplicaProblem['kind'][] = [
  'under-replicated',
  'offline',
  'below-target',
  'no-leader',
  'node-down',
  'node-alarm',
]

/** Every kind for every broker that answered, zeros included: an alert on > 0 needs the series to exist. */
function replicationCounts(result: CheckResult): Sample[] {
  return (Object.keys(result.replication.checked) as BrokerKind[]).flatMap((broker) =>
    PROBLEM_KINDS.map((kind) => ({
      labels: {broker, kind},
      value: result.replication.problems.filter((p) => p.broker === broker && p.kind === kind).length,
    })),
  )
}

function problemLabels(p: ReplicaProblem): Labels {
  return {
    broker: p.broker,
    kind: p.kind,
    ...(p.target === undefined ? {} : {target: p.target}),
    ...(p.partition === undefined ? {} : {partition: String(p.partition)}),
    ...(p.node === undefined ? {} : {node: p.node}),
  }
}

function rowSamples(rows: LagRow[], valueOf: (r: LagRow) => number | undefined): Sample[] {
  return rows.flatMap((r) => {
    const value = valueOf(r)
    return value === undefined ? [] : [{labels: rowLabels(r), value}]
  })
}

function statusSamples(rows: LagRow[]): Sample[] {
  return rows.flatMap((r) =>
    LAG_STATUSES.filter((s) => s !== 'ERR').map((s) => ({
      labels: {...rowLabels(r), status: s},
      value: r.status === s ? 1 : 0,
    })),
  )
}

function rowLabels(r: LagRow): Labels {
  return {broker: r.broker, target: r.target, consumer: r.consumer}
}

function family(name: string, help: string, samples: Sample[]): string {
  if (samples.length === 0) return ''
  const lines = [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} gauge`,
    ...samples.map((s) => `${name}${labelText(s.labels)} ${formatValue(s.value)}`),
  ]
  return lines.join('\n')
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf'
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000)
}
