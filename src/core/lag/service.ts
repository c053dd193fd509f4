// The lag service: samples every broker's consumers, keeps a sliding window per consumer, and turns samples into
// rows with rates, trend, drain ETA and a status. No terminal code: `mailroom lag`, `check` and the dashboard all
// call LagMonitor.snapshot(), once or on a timer. A broker that cannot be read gives an ERR row; the others are
// still reported.
import {setTimeout as delay} from 'node:timers/promises'
import type {BrokerAdapter, LagSample} from '../../adapters/types.js'
import {MailroomError, asMailroomError} from '../../model/errors.js'
import type {BrokerFailure} from '../services/targets.js'
import {formatTargetRef, type TargetRef} from '../target-ref.js'
import {defined, type LagRow, type LagSnapshot, rowKey} from './model.js'
import {type BrokerHealth, healthOf, type Replication, replicationOf} from './replication.js'
import {type StatusOptions, statusOf} from './status.js'
import {DEFAULT_WINDOW_SIZE, LagWindows, motionOf} from './window.js'

export interface LagMonitorOptions extends StatusOptions {
  /** Samples kept per consumer (default 10). */
  windowSize?: number
  /** Only this consumer or target, on its broker (NOT_FOUND when the broker has no such consumer). */
  filter?: TargetRef
  /** Also mailroom's own consumers (Kafka replay cursors, tail readers). */
  includeMailroom?: boolean
  /** Clock, for tests. */
  now?: () => number
  /** Also ask each broker where its replication falls short (one more request per broker). */
  replication?: boolean
}

export interface LagReport extends LagSnapshot {
  failures: BrokerFailure[]
  /** With the `replication` option: under-replicated / offline partitions, queues and streams, nodes in alarm. */
  replication?: Replication
}

export class LagMonitor {
  private readonly windows: LagWindows
  private readonly now: () => number

  constructor(
    private readonly adapters: BrokerAdapter[],
    private readonly o: LagMonitorOptions = {},
  ) {
    this.windows = new LagWindows(o.windowSize ?? DEFAULT_WINDOW_SIZE)
    this.now = o.now ?? Date.now
  }

  /** One round over every broker; each call adds a point to every consumer's window. */
  async snapshot(): Promise<LagReport> {
    const results = await Promise.all(this.adapters.map((a) => this.sampleBroker(a)))
    const replication = this.o.replication
      ? replicationOf(results.flatMap((r) => ('health' in r && r.health ? [r.health] : [])))
      : undefined
    const at = this.now()
    const rows: LagRow[] = []
    const failures: BrokerFailure[] = []
    for (const result of results) {
      if ('failure' in result) {
        failures.push(result.failure)
        rows.push(errorRow(result.failure))
      } else {
        rows.push(...result.samples.map((s) => this.rowOf(s, at)))
      }
    }
    this.windows.retainOnly(new Set(results.flatMap((r) => ('samples' in r ? r.samples.map(rowKey) : []))))
    return {at: new Date(at).toISOString(), rows, failures, ...(replication ? {replication} : {})}
  }

  private rowOf(sample: LagSample, at: number): LagRow {
    const window = this.windows.add(sample, at)
    const {status, reason} = statusOf(sample, window, at, this.o)
    const {
      broker,
      target,
      consumer,
      lag,
      uncommitted,
      lagNotApplicable,
      lagSeconds,
      consumers,
      unacked,
      details,
      partitions,
      group,
      warnings,
    } = sample
    return {
      ...defined({
        broker,
        target,
        consumer,
        status,
        reason,
        lag,
        uncommitted,
        lagNotApplicable,
        lagSeconds,
        consumers,
        unacked,
      }),
      ...motionOf(window, sample),
      ...defined({details, partitions, group, warnings}),
    } as LagRow
  }

  private async sampleBroker(
    adapter: BrokerAdapter,
  ): Promise<{samples: LagSample[]; health?: BrokerHealth} | {failure: BrokerFailure}> {
    try {
      if (!adapter.consumerLag) {
        throw new MailroomError('UNSUPPORTED', `${adapter.kind} does not report consumer lag`)
      }
      await adapter.connect()
      const filter = this.o.filter
      const [samples, health] = await Promise.all([
        adapter.consumerLag({...(filter ? {filter: filter.name} : {}), includeMailroom: this.o.includeMailroom}),
        this.o.replication ? healthOf(adapter) : undefined,
      ])
      if (filter && samples.length === 0) throw notFound(filter)
      return {samples, ...(health ? {health} : {})}
    } catch (error) {
      const mapped = asMailroomError(error)
      // A named consumer that is missing, or of a kind the broker's lag cannot cover, is the answer, not an ERR row.
      if ((mapped.code === 'NOT_FOUND' || mapped.code === 'UNSUPPORTED') && this.o.filter) throw mapped
      return {failure: {broker: adapter.kind, error: mapped.toInfo()}}
    }
  }
}

function notFound(filter: TargetRef): MailroomError {
  return new MailroomError(
    'NOT_FOUND',
    `no consumer, group, queue or consumed target named ${formatTargetRef(filter)}`,
    {
      suggestions: [`List them with: mailroom lag --broker ${filter.broker}`],
    },
  )
}

function errorRow(failure: BrokerFailure): LagRow {
  return {
    broker: failure.broker,
    target: '*',
    consumer: '*',
    status: 'ERR',
    reason: failure.error.message,
    windowSeconds: 0,
    error: failure.error,
  }
}

export interface WatchOptions {
  intervalMs: number
  signal?: AbortSignal
  /** Stop after this many snapshots. */
  count?: number
}

/** Snapshots on a timer until the signal aborts (or `count` snapshots were taken); intervals run start to start. */
export async function* watchLag(monitor: LagMonitor, o: WatchOptions): AsyncGenerator<LagReport> {
  for (let taken = 0; !o.signal?.aborted && (o.count === undefined || taken < o.count); taken++) {
    const started = Date.now()
    yield await monitor.snapshot()
    if (o.count !== undefined && taken + 1 >= o.count) return
    // An abort ends the wait early; the loop condition then stops the watch.
    await delay(Math.max(0, o.intervalMs - (Date.now() - started)), undefined, {signal: o.signal}).catch(
      () => undefined,
    )
  }
}
