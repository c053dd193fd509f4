import {Args, Flags} from '@oclif/core'

import {MailroomCommand} from '../../cli/base-command.js'
import {EXIT} from '../../model/exit-codes.js'
import {connectionFlags, connectionOverrides, selectFlag} from '../../cli/flags.js'
import {decodeFlags, readDecode, readDecoder} from '../../cli/decode-flags.js'
import {
  DEFAULT_FILTERED_PURGE_LIMIT,
  type PurgeResult,
  purgeAudited,
  purgeDeadLetters,
  purgeMethod,
} from '../../core/dlq/purge.js'
import {heldElsewhereWarning} from '../../core/dlq/purge-report.js'
import {dlqSettings} from '../../core/dlq/settings.js'
import {filterFrom} from '../../core/filter-flag.js'
import {confirmDestructive} from '../../core/guard.js'
import {describeSelection, parseSelection} from '../../core/replay/selection.js'
import {formatTargetRef, parseTargetRef} from '../../core/target-ref.js'

export default class DlqPurge extends MailroomCommand {
  static override summary =
    'Remove dead letters from a DLQ: all of them, those matching --filter, or those named by --select'
  static override description = `Without --filter the whole DLQ is purged (RabbitMQ queue purge, JetStream stream purge, Kafka records deleted
up to the current end). With --filter only matching messages go: JetStream deletes them by sequence; RabbitMQ
consumes the queue, acks the matching ones and requeues the rest (they come back marked redelivered; at most --limit
examined); Kafka cannot remove single records (exit 5). --select <message-id> (repeatable) narrows the purge to
exactly those messages (the dashboard's marks), as a filter does. With a schema registry, json.<field> in --filter reads
the decoded value, as in dlq inspect (--decode, --value-subject). --dry-run shows what would go and changes nothing.
Guarded: refused in a read-only context, asks for the DLQ's name on a terminal, needs --yes otherwise; audited.`
  static override examples = [
    {
      description: 'See what would go',
      command: `<%= config.bin %> <%= command.id %> rabbitmq:orders.dlq --filter 'death.reason == "expired"' --dry-run`,
    },
    {
      description: 'Purge everything, from a script',
      command: '<%= config.bin %> <%= command.id %> nats:ORDERS_DLQ --yes',
    },
  ]
  static override args = {
    target: Args.string({description: 'The DLQ, written <broker>:<name>', required: true}),
  }
  static override flags = {
    filter: Flags.string({
      char: 'F',
      description: 'Only messages matching this expression (death.reason, death.origin.target, headers..., json...)',
    }),
    select: selectFlag,
    'dry-run': Flags.boolean({description: 'Show what would be removed; change nothing'}),
    limit: Flags.integer({
      description: `With --filter: examine at most this many messages (default ${DEFAULT_FILTERED_PURGE_LIMIT})`,
      min: 1,
    }),
    yes: Flags.boolean({char: 'y', description: 'Confirm without a prompt (required when not on a terminal)'}),
    ...decodeFlags,
    ...connectionFlags,
  }

  async run(): Promise<PurgeResult> {
    const {args, flags} = await this.parse(DlqPurge)
    const ref = parseTargetRef(args.target)
    const target = formatTargetRef(ref)
    const filter = await filterFrom(flags.filter)
    const select = flags.select ? parseSelection(flags.select, {broker: ref.broker, target: ref.name}) : undefined
    if (!filter && (flags.decode || flags['value-subject']))
      this.usage('--decode and --value-subject choose how --filter reads values: give them with --filter')
    const context = await this.resolveContext(connectionOverrides(flags))
    const decode = filter ? readDecode(context, flags) : undefined
    const decoder = decode ? await readDecoder(context, flags) : undefined
    const adapter = await this.connect(ref.broker, context)
    purgeMethod(adapter, filter !== undefined || select !== undefined)
    const options = {
      filter,
      decoder,
      select,
      limit: flags.limit,
      customHeaders: dlqSettings(context.config).customHeaders,
      signal: this.interruptSignal(),
      onWarning: (w: string) => this.warnUser(w),
    }
    const result = flags['dry-run']
      ? await purgeDeadLetters(adapter, ref.name, {...options, dryRun: true})
      : await purgeAudited(adapter, ref.name, {
          ...options,
          ref: target,
          context: context.name,
          details: flags.filter ? {filter: flags.filter, ...(decode ? {decode} : {})} : {},
          onAuditFailure: this.auditFailed,
          confirm: () =>
            confirmDestructive({
              action: `purge ${purgedWhat(flags.filter, select)} ${target}`,
              confirmWord: ref.name,
              readOnly: context.readOnly,
              contextName: context.name,
              yes: flags.yes,
            }),
        })
    this.report({...result, target})
    return {...result, target}
  }

  private report(r: PurgeResult): void {
    const count = r.purged === undefined ? 'the messages' : `${r.purged} message(s)`
    const kept = r.kept ? `; ${r.kept} kept` : ''
    this.out(`${r.dryRun ? 'would purge' : 'purged'} ${count} from ${r.target}${kept}`)
    if (r.samples.length > 0) this.info(`  ${r.samples.join(', ')}${(r.purged ?? 0) > r.samples.length ? ', ...' : ''}`)
    if (r.truncated) this.warnUser('stopped at --limit: more matching messages may remain')
    if (r.notFound)
      this.warnUser(`${r.notFound} selected message(s) not found in the DLQ${r.truncated ? ' within --limit' : ''}`)
    const held = heldElsewhereWarning(r)
    if (held) {
      this.warnUser(held)
      this.exitStatus = EXIT.PARTIAL
    }
  }
}

function purgedWhat(filter: string | undefined, select: string[] | undefined): string {
  const matching = filter ? ` matching ${filter}` : ''
  if (select) return `the ${describeSelection(select)}${matching}, from`
  return filter ? `the messages${matching} from` : 'every message of'
}
