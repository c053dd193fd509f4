import {Args, Flags} from '@oclif/core'

import type {BrokerAdapter} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import {MailroomCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOverrides, selectFlag} from '../../cli/flags.js'
import {decodeFlags, readDecode, readDecoder} from '../../cli/decode-flags.js'
import {decodedLines} from '../../core/output/message.js'
import {type ResolvedContext, resolveNamedContext} from '../../core/config/resolve.js'
import {MailroomError} from '../../model/errors.js'
import {dlqSettings} from '../../core/dlq/settings.js'
import {EXIT} from '../../model/exit-codes.js'
import {confirmDestructive} from '../../core/guard.js'
import {isReplayId} from '../../core/replay/identity.js'
import {describeSelection, parseSelection} from '../../core/replay/selection.js'
import type {ReplayPlan} from '../../core/replay/plan.js'
import {replayProgress} from '../../core/replay/progress.js'
import {dryRunReplay, type ReplayDeps, resumeReplay, startReplay} from '../../core/replay/service.js'
import {
  DEFAULT_REPLAY_WINDOW,
  type ReplayReport,
  type ReplayRequest,
  type SourceFacts,
} from '../../core/replay/types.js'
import {formatTargetRef, parseTargetRef} from '../../core/target-ref.js'

export default class DlqReplay extends MailroomCommand {
  static override summary = 'Replay dead letters to where they came from (or elsewhere) as a safe move'
  static override description = `Each message is published with confirmation (RabbitMQ publisher confirms + mandatory, Kafka acks=all,
JetStream PubAck with Nats-Msg-Id) and only then removed from the DLQ (ack / marked in the cursor of the group
mailroom-replay.<topic> / delete the stream entry). A failed or returned publish leaves the message in the DLQ.
--select <message-id> (repeatable) replays exactly those messages, as the dashboard's marks do.
Messages --filter or --select does not select, or beyond --limit, stay for a later run (Kafka too: the cursor's committed
offset stays at the first record not replayed, its metadata marks those replayed above it). With a schema registry,
json.<field> in --filter reads the decoded value, as in dlq inspect (--decode, --value-subject); the journal records
how, and the bytes move as they are.
The run is bounded by what the DLQ held when it started, so it ends even while messages keep dying.

Destination: each message's origin from its death record (RabbitMQ: the origin queue via the default exchange;
Kafka: the original topic, its partition only with --keep-partition; JetStream: the original subject in its
stream), or --to <broker>:<target> for all, across brokers too.

Replayed messages lose the headers their destination would act on (x-death and x-first-death-* to RabbitMQ;
Nats-Msg-Id / Nats-Expected-* to JetStream) and carry provenance: mailroom-replay-id (the job, named by the UTC
time it started), mailroom-replay-msg-id (where it sat in the DLQ, e.g. kafka:orders.DLT/2/1041) and
mailroom-replay-count. A message already replayed --max-replays times is refused (left in the DLQ) unless --force.

Progress is journaled to $XDG_STATE_HOME/mailroom/replays/<replay-id>.jsonl: a killed run continues with
--resume <replay-id>, on the same context and servers (the journal holds their name and hashed addresses; --force
resumes elsewhere). Exit 0 when everything chosen was replayed, 8 when something was left in the DLQ (or a RabbitMQ
queue kept reporting messages it did not deliver for 60 s).`
  static override examples = [
    {
      description: 'See what would happen',
      command: '<%= config.bin %> <%= command.id %> rabbitmq:orders.dlq --dry-run',
    },
    {
      description: 'Replay every dead letter to its origin queue',
      command: '<%= config.bin %> <%= command.id %> rabbitmq:orders.dlq --yes',
    },
    {
      description: 'Only one kind of failure, 100 at most, 50/s',
      command: `<%= config.bin %> <%= command.id %> kafka:payments.DLT -F 'death.error.class == "java.net.SocketTimeoutException"' --limit 100 --rate 50 --yes`,
    },
    {
      description: 'Exactly two messages, by id (as the dashboard marks them)',
      command:
        '<%= config.bin %> <%= command.id %> kafka:payments.DLT --select kafka:payments.DLT/0/17 --select kafka:payments.DLT/2/5 --yes',
    },
    {
      description: 'A RabbitMQ DLQ into a Kafka topic',
      command: '<%= config.bin %> <%= command.id %> rabbitmq:orders.dlq --to kafka:orders.retry --yes',
    },
    {
      description: 'Drain a DLQ of the old cluster into the new one (the context new-prod)',
      command:
        '<%= config.bin %> <%= command.id %> rabbitmq:orders.dlq --context old-prod --to-context new-prod --to rabbitmq:orders --yes',
    },
    {
      description: 'Copy (leave the originals) from a JetStream DLQ stream',
      command: '<%= config.bin %> <%= command.id %> nats:ORDERS_DLQ --to nats:orders.retry --copy',
    },
    {
      description: 'Continue a replay that was killed',
      command: '<%= config.bin %> <%= command.id %> --resume 20250314T101502-3f9a1c --yes',
    },
  ]
  static override args = {
    target: Args.string({
      description: 'The DLQ, written <broker>:<name> (not needed with --resume)',
      ignoreStdin: true,
    }),
  }
  static override flags = {
    to: Flags.string({
      description: "Send every message here, <broker>:<queue|topic|stream|subject> (default: each message's origin)",
    }),
    'to-context': Flags.string({
      description: 'Publish to the servers of this context (another cluster or broker); the DLQ is read in --context',
    }),
    'dry-run': Flags.boolean({
      description: 'Print the plan (counts per destination, samples, header changes) and change nothing',
    }),
    copy: Flags.boolean({description: 'Leave the originals in the DLQ (Kafka, JetStream, RabbitMQ stream queues)'}),
    filter: Flags.string({
      char: 'F',
      description: `Only messages matching this expression, e.g. death.reason == "rejected" and 'headers.x-tenant' == "acme"`,
    }),
    select: selectFlag,
    limit: Flags.integer({char: 'n', description: 'Replay at most this many messages', min: 1}),
    rate: Flags.integer({description: 'At most this many messages per second', min: 1}),
    window: Flags.integer({
      description: 'Messages published but not yet settled at once (bounds duplicates after a crash)',
      min: 1,
      max: 10_000,
      default: DEFAULT_REPLAY_WINDOW,
    }),
    'max-replays': Flags.integer({description: 'Refuse messages already replayed this many times', min: 1, default: 3}),
    force: Flags.boolean({
      description:
        'Replay even messages over --max-replays; with --resume, continue even against other servers than the replay started with',
    }),
    'keep-partition': Flags.boolean({description: 'Kafka origin: publish to the partition the message came from'}),
    sample: Flags.integer({
      description: 'Dry run of a RabbitMQ classic/quorum queue: peek this many messages to plan from',
      min: 1,
      max: 10_000,
      default: 100,
    }),
    resume: Flags.string({
      description:
        'Continue the replay with this id (same source, destination, filter and its decoding, bound and --limit, counting what it replayed already; refused on other servers than it started with)',
    }),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation (required without a terminal)'}),
    ...decodeFlags,
    ...connectionFlags,
  }

  private destinations = new Map<BrokerKind, Promise<BrokerAdapter>>()

  async run(): Promise<ReplayReport | ReplayPlan> {
    const {args, flags} = await this.parse(DlqReplay)
    if (flags.resume) return this.resume(flags.resume, args.target, flags)
    if (!args.target)
      this.usage('name the DLQ to replay, e.g. rabbitmq:orders.dlq (or continue one with --resume <id>)')
    const source = parseTargetRef(args.target)
    const request: ReplayRequest = {
      source,
      ...(flags.to ? {to: parseTargetRef(flags.to)} : {}),
      ...(flags['to-context'] ? {toContext: flags['to-context']} : {}),
      mode: flags.copy ? 'copy' : 'move',
      ...(flags.filter ? {filter: flags.filter} : {}),
      ...(flags.select ? {select: parseSelection(flags.select, {broker: source.broker, target: source.name})} : {}),
      ...(flags.limit ? {limit: flags.limit} : {}),
      ...(flags.rate ? {rate: flags.rate} : {}),
      maxReplays: flags['max-replays'],
      force: flags.force,
      keepPartition: flags['keep-partition'],
      window: flags.window,
    }
    if (!flags['dry-run'] && !flags.filter && (flags.decode || flags['value-subject']))
      this.usage(
        '--decode and --value-subject choose how --filter reads values (and show the samples of --dry-run decoded); a replay moves the bytes as they are',
      )
    const context = await this.resolveContext(connectionOverrides(flags))
    const decode = flags.filter ? readDecode(context, flags) : undefined
    if (decode) request.decode = decode
    const deps = await this.deps(
      context,
      request.source.broker,
      flags.yes,
      request.select,
      await this.destinationContext(request.toContext, flags),
    )
    if (flags['dry-run']) {
      const plan = await dryRunReplay(request, deps, flags.sample, await readDecoder(context, flags))
      this.renderPlan(plan, request)
      return plan
    }
    return this.finish(await startReplay(request, deps))
  }

  private async resume(
    replayId: string,
    target: string | undefined,
    flags: {
      yes: boolean
      force: boolean
      'dry-run': boolean
      'to-context'?: string
      decode?: string
      'value-subject'?: string
    } & Parameters<typeof connectionOverrides>[0],
  ): Promise<ReplayReport> {
    if (!isReplayId(replayId)) this.usage(`"${replayId}" is not a replay id (like 20250314T101502-3f9a1c)`)
    if (flags['dry-run']) this.usage('--dry-run plans a new replay; --resume continues one')
    if (flags.decode || flags['value-subject'])
      this.usage(
        '--resume reads values as the replay started to: its journal records --decode and --value-subject',
        'Resume without them (give --schema-registry if the context has none)',
      )
    const {readJournal} = await import('../../core/replay/journal.js')
    const state = await readJournal(replayId)
    const source = state.start.request.source
    if (target && target !== formatTargetRef(source))
      this.usage(`replay ${replayId} reads ${formatTargetRef(source)}, not ${target}`)
    const {toContext} = state.start.request
    if (flags['to-context'] !== undefined && flags['to-context'] !== toContext) {
      this.usage(
        `replay ${replayId} publishes to ${toContext ? `context "${toContext}"` : 'its source context'}, not "${flags['to-context']}"`,
        'Resume without --to-context: the journal names the destination context',
      )
    }
    const context = await this.resolveContext(connectionOverrides(flags))
    const deps = await this.deps(
      context,
      source.broker,
      flags.yes,
      state.start.request.select,
      await this.destinationContext(toContext, flags),
    )
    return this.finish(await resumeReplay(replayId, deps, {force: flags.force}))
  }

  /** The context named by --to-context (or by the journal, on resume), resolved on its own. */
  private async destinationContext(
    name: string | undefined,
    flags: {'connect-timeout'?: number},
  ): Promise<ResolvedContext | undefined> {
    if (name === undefined) return undefined
    const context = await resolveNamedContext(name, {connectTimeoutMs: flags['connect-timeout']})
    for (const warning of context.warnings) this.warnUser(warning)
    return context
  }

  /** @param select the job's selection (--select), named in the line that starts it. */
  private async deps(
    context: ResolvedContext,
    sourceKind: BrokerKind,
    yes: boolean,
    select: string[] | undefined,
    toContext?: ResolvedContext,
  ): Promise<ReplayDeps> {
    const source = await this.connect(sourceKind, context)
    if (!toContext) this.destinations.set(sourceKind, Promise.resolve(source))
    const publishContext = toContext ?? context
    const readOnly = [context, publishContext].find((c) => c.readOnly)
    return {
      source,
      destination: (kind) => {
        let adapter = this.destinations.get(kind)
        if (!adapter) {
          adapter = this.connect(kind, requireBroker(publishContext, kind))
          this.destinations.set(kind, adapter)
        }
        return adapter
      },
      ...(toContext ? {destinationSettings: toContext.settings} : {}),
      signal: this.interruptSignal(),
      death: {customHeaders: dlqSettings(context.config).customHeaders},
      context: context.name,
      onAuditFailure: this.auditFailed,
      settings: context.settings,
      ...(context.settings.schemaRegistry ? {schemaRegistry: context.settings.schemaRegistry} : {}),
      warn: (message) => this.warnUser(message),
      confirm: (facts, request) =>
        confirmDestructive({
          action: describeAction(facts, request),
          confirmWord: facts.target,
          readOnly: readOnly !== undefined,
          contextName: readOnly?.name,
          // Copy mode removes nothing: only a read-only context stops it.
          yes: yes || request.mode === 'copy',
        }),
      // On stderr in JSON mode too: a killed run must not leave the user hunting for the id to --resume.
      onStart: (id, facts, journal) =>
        process.stderr.write(`replay ${id}: ${describeAction(facts, undefined, select)} (journal ${journal})\n`),
      progress: (total) => replayProgress(this.progressLine('replay: read', total)),
    }
  }

  private finish(report: ReplayReport): ReplayReport {
    if (report.alreadyComplete) {
      this.out(
        `replay ${report.replayId} was already complete (${report.alreadyComplete}): nothing to resume, nothing moved`,
      )
      this.warnCrashWindow(report)
      return report
    }
    const {counts: c} = report
    const to =
      Object.entries(report.byDestination)
        .map(([d, n]) => `${n} to ${d}`)
        .join(', ') + (report.toContext ? ` in context ${report.toContext}` : '')
    this.out(
      `replay ${report.replayId}: replayed ${c.replayed} of ${c.examined} read${to ? ` (${to})` : ''} in ${(report.elapsedMs / 1000).toFixed(1)} s (${report.perSecond}/s)`,
    )
    const skipped = Object.entries(report.skippedBy)
      .map(([why, n]) => `${n} ${why}`)
      .join(', ')
    this.out(
      `filtered out ${c.filtered}, skipped ${c.skipped}${skipped ? ` (${skipped})` : ''}, failed ${c.failed}, possible duplicates ${c.possibleDuplicates}${c.deduplicated ? `, ${c.deduplicated} de-duplicated by the destination` : ''}`,
    )
    this.warnCrashWindow(report)
    if (report.selectedNotFound)
      this.warnUser(
        `${report.selectedNotFound} selected message(s) not found in the DLQ: moved, purged or aged out since they were selected`,
      )
    for (const f of report.failures.slice(0, 5))
      this.warnUser(`not replayed ${f.id} -> ${f.destination}: ${f.code}: ${f.message}`)
    if (report.stopped) this.warnUser(`stopped early: ${report.stopped.message}`)
    if (report.leftBehind > 0 || report.stopped) {
      if (report.stopped?.code !== 'INTERRUPTED') this.exitStatus = EXIT.PARTIAL
      const unread = report.stopped && report.stopped.left === undefined ? ', and the rest of the DLQ was not read' : ''
      this.warnUser(`${report.leftBehind} message(s) left in the DLQ${unread}; ${nextSteps(report).join('; ')}`)
    }
    return report
  }

  private warnCrashWindow(report: ReplayReport): void {
    if (report.crashWindow)
      this.warnUser(
        `${crashedText(report.crashedAttempts ?? 1)} stopped without finishing: up to ${report.crashWindow} messages in flight may have been delivered twice (they carry the same mailroom-replay-msg-id)`,
      )
  }

  private renderPlan(plan: ReplayPlan, request: ReplayRequest): void {
    const where = request.toContext ? ` in context ${request.toContext}` : ''
    this.out(
      `dry run: ${plan.source} -> ${request.to ? formatTargetRef(request.to) : 'origin of each message'}${where} (${request.mode}, nothing changed)`,
    )
    this.out(`bound: ${describeBound(plan)}; examined ${plan.examined}${plan.complete ? '' : ' (a sample)'}`)
    if (plan.selection)
      this.out(
        `selection: ${describeSelection(plan.selection.ids)}; ${plan.selection.ids.length - plan.selection.notFound} found`,
      )
    this.out(
      `would replay ${plan.wouldReplay}, filtered out ${plan.filtered}${Object.entries(plan.skippedBy)
        .map(([why, n]) => `, refuse ${n} (${why})`)
        .join('')}`,
    )
    for (const d of plan.destinations) this.out(`  ${String(d.count).padStart(8)}  -> ${d.destination}`)
    const h = plan.headerChanges
    if (h.removed.length) this.out(`headers removed: ${h.removed.join(', ')}`)
    if (h.carried.length) this.out(`carried as headers: ${h.carried.join(', ')}`)
    if (h.added.length) this.out(`headers added: ${h.added.join(', ')}`)
    for (const s of plan.samples) {
      this.out(
        `  sample ${s.id} -> ${s.destination}${s.replayCount ? ` (replayed ${s.replayCount} times before)` : ''}`,
      )
      for (const line of decodedLines(s.decoded, {valuePreview: 100})) this.out(`  ${line}`)
    }
    for (const note of plan.notes) this.out(`note: ${note}`)
  }
}

/** What to run next for what was left behind: --resume helps only where a retry can succeed. */
function nextSteps(r: ReplayReport): string[] {
  const steps: string[] = []
  const noOrigin = r.skippedBy['no-origin'] ?? 0
  const tooOften = r.skippedBy['max-replays'] ?? 0
  if (noOrigin > 0)
    steps.push(
      `${noOrigin} have no known origin: give them a destination with mailroom dlq replay ${r.source} --to <broker>:<target>`,
    )
  if (tooOften > 0)
    steps.push(
      `${tooOften} were replayed too often already: look at why they keep failing (--force replays them anyway)`,
    )
  if (r.stopped || r.counts.failed > 0 || (r.skippedBy['key-order'] ?? 0) > 0)
    steps.push(`continue with: mailroom dlq replay --resume ${r.replayId}`)
  return steps
}

function describeAction(facts: SourceFacts, request: ReplayRequest | undefined, select = request?.select): string {
  const verb = request?.mode === 'copy' || facts.strategy === 'read-only' ? 'copy' : 'move'
  const count = select ? `the ${select.length} selected` : facts.count === undefined ? 'the' : `up to ${facts.count}`
  const to = request?.to ? ` to ${formatTargetRef(request.to)}` : request ? ' to their origins' : ''
  const where = request?.toContext ? ` in context ${request.toContext}` : ''
  return `${verb} ${count} messages out of ${facts.broker}:${facts.target}${to}${where}`
}

/** The destination context must have the broker a message goes to; said with its name, not as "the current context". */
function requireBroker(context: ResolvedContext, kind: BrokerKind): ResolvedContext {
  if (context.settings[kind] || context.name === undefined) return context
  throw new MailroomError('CONFIG', `context "${context.name}" has no ${kind} connection to publish to`, {
    suggestions: [
      `Add one with: mailroom context set ${context.name} --${kind === 'kafka' ? 'kafka-brokers' : `${kind}-url`} ...`,
      'Or name another context with --to-context',
    ],
  })
}

function crashedText(attempts: number): string {
  return attempts === 1 ? 'the earlier attempt was' : `${attempts} earlier attempts were`
}

function describeBound(plan: ReplayPlan): string {
  const b = plan.bound
  if (b.kind === 'depth') return `${b.depth} messages (queue depth at start)`
  if (b.kind === 'sequence') return `up to sequence ${b.last}`
  return `end offsets ${Object.entries(b.ends)
    .map(([p, o]) => `${p}:${o}`)
    .join(' ')}${plan.total === undefined ? '' : ` (${plan.total} messages)`}`
}
