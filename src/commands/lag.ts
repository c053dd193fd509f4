import {Args, Flags} from '@oclif/core'

import type {ConsumerGroupFacts} from '../adapters/types.js'
import {MailroomCommand} from '../cli/base-command.js'
import {brokerFlag, connectionFlags, connectionOverrides, includeMailroomFlag, listOutputFlag} from '../cli/flags.js'
import {EXIT} from '../model/exit-codes.js'
import {type LagRow, LAG_SORT_KEYS, type LagSortKey, isLagging, sortRows} from '../core/lag/model.js'
import {replicationLines} from '../core/lag/replication.js'
import {type LagReport, LagMonitor, watchLag} from '../core/lag/service.js'
import {DEFAULT_STALL_AFTER_SECONDS} from '../core/lag/status.js'
import {DEFAULT_WINDOW_SIZE} from '../core/lag/window.js'
import {formatDurationSeconds} from '../core/output/human-units.js'
import {humanYaml} from '../core/output/human-yaml.js'
import {type Column, type ListFormat, renderList} from '../core/output/table.js'
import {isInteractive} from '../core/output/terminal.js'
import {parseRefreshInterval} from '../core/refresh-interval.js'
import {parseDuration} from '../core/services/tail.js'
import {parseTargetRef} from '../core/target-ref.js'

const DEFAULT_WATCH_INTERVAL = '5s'
const DURATION = /^\d+(?:\.\d+)?(?:ms|s|m|h)?$/
/** Clear the screen and move home: a TTY watch redraws in place. */
const REDRAW = '\u001B[H\u001B[2J'

export default class Lag extends MailroomCommand {
  static override summary = 'Consumer lag and queue depth across brokers, once or watched, with a status per consumer'
  static override description = `One row per consumer: a Kafka group on a topic (end offset minus committed, per partition with -o wide/json),
a RabbitMQ queue (ready + unacked, management API), a JetStream consumer (num_pending + num_ack_pending).
LAG AGE is the age of the oldest unprocessed message where it can be read without side effects (Kafka, RabbitMQ
stream queues and classic queues whose messages carry a timestamp property, JetStream), "unknown" otherwise. --watch adds rates, trend and drain ETA over a sliding window;
the statuses (OK, WARN, STALL, STOP, ERR) are explained in the README under "Lag statuses".
Kafka groups are shown with their type (classic, consumer: KIP-848, streams: KIP-1071, share: KIP-932), state,
assignor, epoch and members (-o wide, --json). A partition the group never committed on while it holds records has
unknown lag (its start depends on the group's reset policy). A share group commits no offsets: its LAG is n/a, and
-o wide/json show Kafka's share-partition start offsets instead. mailroom's own groups (replay cursors mailroom-replay.<dlq>, tail
readers) are left out unless --include-mailroom, or named.
A broker that cannot be read gives an ERR row and the others are still shown; exit 3 only when nothing could be
read (or any broker failed, with --strict). An unknown group, queue or consumer: exit 4.`
  static override examples = [
    {description: 'Every consumer of every broker of the context', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'One Kafka group, per partition',
      command: '<%= config.bin %> <%= command.id %> kafka:billing -o wide',
    },
    {
      description: 'Watch what is behind, worst first, every 10 s',
      command: '<%= config.bin %> <%= command.id %> --watch 10s --only-lagging --sort status',
    },
    {
      description: 'For scripts',
      command:
        '<%= config.bin %> <%= command.id %> --broker rabbitmq --json | jq ".result.rows[] | select(.status != \\"OK\\")"',
    },
  ]
  static override args = {
    target: Args.string({
      description: 'Only this consumer: <broker>:<group|queue|consumer> (or a topic/stream it consumes)',
      ignoreStdin: true,
    }),
  }
  static override flags = {
    broker: brokerFlag,
    output: listOutputFlag,
    'only-lagging': Flags.boolean({description: 'Only consumers with messages waiting (and ERR rows)'}),
    sort: Flags.option({description: 'Row order', options: LAG_SORT_KEYS, default: 'name' as LagSortKey})(),
    watch: Flags.boolean({
      char: 'w',
      description: `Redraw every interval (--watch 10s; default ${DEFAULT_WATCH_INTERVAL}) until Ctrl-C`,
    }),
    interval: Flags.string({
      description: 'Interval between snapshots with --watch',
      default: DEFAULT_WATCH_INTERVAL,
      hidden: true,
    }),
    count: Flags.integer({description: 'With --watch: stop after this many snapshots', min: 1}),
    window: Flags.integer({
      description: 'Snapshots kept per consumer for rates and statuses',
      min: 2,
      default: DEFAULT_WINDOW_SIZE,
    }),
    'stall-after': Flags.string({
      description: 'A consumer holding messages without acking/committing this long is STALL',
      default: `${DEFAULT_STALL_AFTER_SECONDS}s`,
    }),
    strict: Flags.boolean({description: 'Exit 3 when any broker could not be read'}),
    'include-mailroom': includeMailroomFlag,
    ...connectionFlags,
  }

  async run(): Promise<LagReport> {
    const {args, flags} = await this.parse(Lag, watchIntervalAsFlag(this.argv))
    if (flags.watch && this.jsonEnabled())
      this.usage('--json prints one result: use -o json with --watch for one JSON line per snapshot')
    const filter = args.target ? parseTargetRef(args.target, {anyName: true}) : undefined
    const intervalMs = parseRefreshInterval(flags.interval, '--watch')
    const stallAfterSeconds = parseDuration(flags['stall-after'], '--stall-after')! / 1000
    const context = await this.resolveContext(connectionOverrides(flags))
    const kinds = filter ? [filter.broker] : (flags.broker ?? context.brokers)
    const adapters = await Promise.all(kinds.map((kind) => this.createAdapter(kind, context)))
    const monitor = new LagMonitor(adapters, {
      filter,
      windowSize: flags.window,
      stallAfterSeconds,
      includeMailroom: flags['include-mailroom'],
      replication: filter === undefined,
    })
    const view = {only: flags['only-lagging'], sort: flags.sort, format: flags.output}
    let last: LagReport | undefined
    const count = flags.watch ? flags.count : 1
    for await (const report of watchLag(monitor, {intervalMs, count, signal: this.interruptSignal()})) {
      last = {...report, rows: shownRows(report.rows, view)}
      await this.show(last, view.format, Boolean(flags.watch))
    }
    this.exitStatus = exitStatusOf(last!, kinds.length, flags.strict)
    return last!
  }

  private async show(report: LagReport, format: ListFormat, watching: boolean): Promise<void> {
    if (this.jsonEnabled()) return
    const replication = report.replication ? replicationLines(report.replication) : []
    const tabular = format === 'table' || format === 'wide'
    if (!watching) {
      this.out(await renderRows(report.rows, format))
      for (const line of replication) if (tabular) this.out(line)
      for (const warning of [...rowWarnings(report.rows), ...(tabular ? [] : replication)]) this.warnUser(warning)
      return
    }
    if (format === 'json') return this.out(JSON.stringify(report))
    const lines = tabular ? replication.map((l) => `${l}\n`).join('') : ''
    const body = `${report.at}\n${await renderRows(report.rows, format)}\n${lines}${rowWarnings(report.rows)
      .map((w) => `warning: ${w}\n`)
      .join('')}`
    process.stdout.write(isInteractive() ? `${REDRAW}${body}` : `${body}\n`)
  }
}

/** `--watch 10s` (oclif has no optional flag values): the duration after --watch becomes --interval. */
function watchIntervalAsFlag(argv: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const inline = /^--watch=(.+)$/.exec(arg)
    if (inline) out.push('--watch', '--interval', inline[1])
    else if ((arg === '--watch' || arg === '-w') && DURATION.test(argv[i + 1] ?? ''))
      out.push('--watch', '--interval', argv[++i])
    else out.push(arg)
  }
  return out
}

function shownRows(rows: LagRow[], view: {only: boolean; sort: LagSortKey}): LagRow[] {
  return sortRows(view.only ? rows.filter(isLagging) : rows, view.sort)
}

function exitStatusOf(report: LagReport, brokers: number, strict: boolean) {
  if (report.failures.length === brokers || (strict && report.failures.length > 0)) return EXIT.CONNECTION
  return EXIT.OK
}

/** yaml with durations for people (`lagSeconds: 125` shows as `lagAge: 2m5s`); json keeps the numbers. */
function renderRows(rows: LagRow[], format: ListFormat): Promise<string> {
  return format === 'yaml' ? humanYaml(rows) : renderList(rows, LAG_COLUMNS, format)
}

function rowWarnings(rows: LagRow[]): string[] {
  return rows.flatMap((r) => (r.warnings ?? []).map((w) => `${r.broker}:${r.target} (${r.consumer}): ${w}`))
}

const LAG_COLUMNS: Column<LagRow>[] = [
  {header: 'TARGET', value: (r) => `${r.broker}:${r.target}`},
  {header: 'CONSUMER', value: (r) => (r.consumer === r.target ? '-' : r.consumer)},
  {header: 'STATUS', value: (r) => r.status},
  {
    header: 'LAG',
    value: (r) => r.lag ?? (r.uncommitted ? 'unknown' : r.lagNotApplicable ? 'n/a' : undefined),
    align: 'right',
  },
  {header: 'LAG AGE', value: (r) => (r.status === 'ERR' || r.lagNotApplicable ? undefined : lagAge(r)), align: 'right'},
  {header: 'CONSUMERS', value: (r) => r.consumers, align: 'right'},
  {header: 'TREND', value: (r) => perSecond(r.trend, true), align: 'right'},
  {
    header: 'ETA',
    value: (r) =>
      r.etaSeconds === undefined || r.lag === 0 ? undefined : formatDurationSeconds(Math.round(r.etaSeconds)),
    align: 'right',
  },
  {header: 'IN/S', value: (r) => perSecond(r.inRate), align: 'right', wide: true},
  {header: 'OUT/S', value: (r) => perSecond(r.outRate), align: 'right', wide: true},
  {header: 'UNACKED', value: (r) => r.unacked, align: 'right', wide: true},
  {
    header: 'PARTITIONS',
    value: (r) =>
      r.partitions
        ?.map(
          (p) =>
            `${p.partition}:${p.committed ?? (p.shareStartOffset === undefined ? '-' : `start ${p.shareStartOffset}`)}/${p.end}`,
        )
        .join(' '),
    wide: true,
  },
  {header: 'GROUP', value: (r) => r.group && groupSummary(r.group), wide: true},
  {
    header: 'MEMBERS',
    value: (r) => r.group?.members.map((m) => `${m.clientId}@${m.host}[${m.partitions.join(',')}]`).join(' '),
    wide: true,
  },
  {header: 'REASON', value: (r) => r.reason},
]

function groupSummary(g: ConsumerGroupFacts): string {
  return [g.type, g.state, g.assignor, g.epoch === undefined ? undefined : `epoch ${g.epoch}`]
    .filter((x) => x)
    .join(' ')
}

function lagAge(r: LagRow): string {
  return r.lagSeconds === undefined ? 'unknown' : formatDurationSeconds(Math.round(r.lagSeconds))
}

function perSecond(rate: number | undefined, signed = false): string | undefined {
  if (rate === undefined) return undefined
  const rounded = Math.abs(rate) >= 10 ? Math.round(rate) : Math.round(rate * 10) / 10
  return `${signed && rounded > 0 ? '+' : ''}${rounded}/s`
}
