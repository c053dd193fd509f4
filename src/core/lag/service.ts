// The lag service: samples every broker's consumers, keeps a sliding window per consumer, and turns samples into
// rows with rates, trend, drain ETA and a status. No terminal code: `mailroom lag`, `check` and the dashboard all
// call LagMonitor.snapshot(), once or on a timer. A broker that cannot be read gives an ERR row; the others are
// still reported.
import {setTimeout as delay} from 'node:timers/promises'
import type {BrokerAdapter, LagSample} from '../../adapters/types.js'
import {MailroomError, asMailroomError} from '../../model/errors.js'
import {MIN_ANSWER_WAIT_MS, NotYetAnswered, PendingAnswers} from '../pending-answers.js'
import type {BrokerFailure} from '../services/targets.js'
import {formatTargetRef, type TargetRef} from '../target-ref.js'
import {type LagRow, type LagSnapshot, put, rowKey} from './model.js'
import {type BrokerHealth, healthOf, type Replication, replicationOf} from './replication.js'
import {type StatusOptions, statusOf} from './status.js'
import {addMotion, DEFAULT_WINDOW_SIZE, LagWindows} from './window.js'

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
  /**
   * The named target was found by an earlier snapshot: missing from a later one (a JetStream listing taken while a
   * dead node's streams elect their leaders leaves them out) is an ERR row of that snapshot, and the watch goes on.
   */
  private filterFound = false
  /** Each broker's sample asked for and not yet taken by a snapshot: a later snapshot waits on it, never asks again. */
  private readonly asked = new PendingAnswers<BrokerAdapter, BrokerSample>()

  constructor(
    private readonly adapters: BrokerAdapter[],
    private readonly o: LagMonitorOptions = {},
  ) {
    this.windows = new LagWindows(o.windowSize ?? DEFAULT_WINDOW_SIZE)
    this.now = o.now ?? Date.now
  }

  /**
   * One round over every broker; each call adds a point to every consumer's window. With `answerWithinMs`, a broker
   * that has not answered by then (a JetStream API retrying through a node's loss) is an ERR row of this snapshot,
   * and the next snapshot waits on the same request rather than asking again: a watch keeps its pace.
   */
  async snapshot(o: {answerWithinMs?: number} = {}): Promise<LagReport> {
    const results = await Promise.all(this.adapters.map((a) => this.sampleWithin(a, o.answerWithinMs)))
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
    // Built field by field, in the order of the row's JSON (what defined() of each part, spread, gave): one row per
    // consumer per snapshot, and spreading three partial objects took half the CPU of a 1,000-queue snapshot.
    const row = {broker: sample.broker, target: sample.target, consumer: sample.consumer, status, reason} as LagRow
    put(row, 'lag', sample.lag)
    put(row, 'uncommitted', sample.uncommitted)
    put(row, 'lagNotApplicable', sample.lagNotApplicable)
    put(row, 'lagSeconds', sample.lagSeconds)
    put(row, 'consumers', sample.consumers)
    put(row, 'unacked', sample.unacked)
    addMotion(row, window, sample)
    put(row, 'details', sample.details)
    put(row, 'partitions', sample.partitions)
    put(row, 'group', sample.group)
    put(row, 'warnings', sample.warnings)
    put(row, 'offlinePartitions', sample.offlinePartitions)
    return row
  }

  private async sampleWithin(adapter: BrokerAdapter, ms: number | undefined): Promise<BrokerSample> {
    const result = await this.asked.within(adapter, () => this.sampleBroker(adapter), ms)
    if (result instanceof NotYetAnswered)
      return {failure: {broker: adapter.kind, error: result.error(adapter.kind).toInfo()}}
    return result
  }

  private async sampleBroker(adapter: BrokerAdapter): Promise<BrokerSample> {
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
      if (filter) this.filterFound = true
      return {samples, ...(health ? {health} : {})}
    } catch (error) {
      const mapped = asMailroomError(error)
      // A named consumer that is missing, or of a kind the broker's lag cannot cover, is the answer, not an ERR row.
      const answer = mapped.code === 'UNSUPPORTED' || (mapped.code === 'NOT_FOUND' && !this.filterFound)
      if (answer && this.o.filter) throw mapped
      return {failure: {broker: adapter.kind, error: mapped.toInfo()}}
    }
  }
}

type BrokerSample = {samples: LagSample[]; health?: BrokerHealth} | {failure: BrokerFailure}

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
    yield await monitor.snapshot({answerWithinMs: Math.max(o.intervalMs, MIN_ANSWER_WAIT_MS)})
    if (o.count !== undefined && taken + 1 >= o.count) return
    // An abort ends the wait early; the loop condition then stops the watch.
    await delay(Math.max(0, o.intervalMs - (Date.now() - started)), undefined, {signal: o.signal}).catch(
      () => undefined,
    )
  }
}
