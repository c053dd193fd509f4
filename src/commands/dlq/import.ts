import {Args, Flags} from '@oclif/core'

import {MailroomCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOverrides} from '../../cli/flags.js'
import {auditedChange} from '../../core/audit.js'
import {EXIT} from '../../model/exit-codes.js'
import {countNonEmptyLines, openInputFile} from '../../core/files.js'
import {confirmDestructive} from '../../core/guard.js'
import {requirePublishTarget} from '../../core/publish-target.js'
import {type NdjsonSourceStats, ndjsonEnvelopes} from '../../core/services/message-source.js'
import {type PublishSummary, publishAll} from '../../core/services/publish.js'
import {formatTargetRef, parseTargetRef} from '../../core/target-ref.js'

export default class DlqImport extends MailroomCommand {
  static override summary =
    'Publish NDJSON envelopes (from dlq export or tail -o ndjson) into a target, with confirmation'
  static override description = `Every message is published with confirmation, byte for byte: body, key, headers (typed AMQP values included)
and properties as the destination broker can carry them. Guarded like every destructive command: refused in a
read-only context, asks for the target's name on a terminal, needs --yes otherwise; audited. Exit 8 when some
messages were not confirmed (they are listed).`
  static override examples = [
    {
      description: 'Put exported dead letters back into a queue',
      command: '<%= config.bin %> <%= command.id %> orders-dlq.ndjson --to rabbitmq:orders.dlq --yes',
    },
    {
      description: 'Into another cluster, named by its context',
      command:
        '<%= config.bin %> <%= command.id %> orders-dlq.ndjson --to rabbitmq:orders.dlq --to-context new-prod --yes',
    },
    {
      description: 'From stdin, skipping broken lines',
      command: 'cat dump.ndjson | <%= config.bin %> <%= command.id %> - --to kafka:orders.DLT --skip-invalid --yes',
    },
  ]
  static override args = {
    file: Args.string({description: 'NDJSON file of envelopes, or - for stdin', required: true}),
  }
  static override flags = {
    to: Flags.string({description: 'Where to publish, written <broker>:<name>', required: true}),
    'to-context': Flags.string({
      description: 'Publish to the servers of this context (as --context: the file is the only source)',
      exclusive: ['context'],
    }),
    'skip-invalid': Flags.boolean({description: 'Skip and count invalid lines instead of stopping at the first'}),
    window: Flags.integer({description: 'Max messages awaiting confirmation at once', min: 1}),
    yes: Flags.boolean({char: 'y', description: 'Confirm without a prompt (required when not on a terminal)'}),
    ...connectionFlags,
  }

  async run(): Promise<PublishSummary & {skipped: number}> {
    const {args, flags} = await this.parse(DlqImport)
    const ref = parseTargetRef(flags.to)
    const target = formatTargetRef(ref)
    const input = args.file === '-' ? process.stdin : openInputFile(args.file)
    const context = await this.resolveContext(
      connectionOverrides({...flags, context: flags['to-context'] ?? flags.context}),
    )
    const adapter = await this.connect(ref.broker, context)
    await requirePublishTarget(adapter, ref)
    const stats: NdjsonSourceStats = {read: 0, skipped: 0, skippedLines: []}
    const messages = ndjsonEnvelopes(input, {
      skipInvalid: flags['skip-invalid'],
      stats,
      onSkip: (m) => this.warnUser(`skipped ${m}`),
    })
    // Counting a file's lines costs a read of it: only for a terminal, where the total is shown.
    const total = args.file !== '-' && process.stderr.isTTY ? await countNonEmptyLines(args.file) : undefined
    const progress = this.progressLine('imported', total)
    const summary = await auditedChange({
      confirm: () =>
        confirmDestructive({
          action: `import the messages of ${args.file === '-' ? 'stdin' : args.file} into ${target}`,
          confirmWord: ref.name,
          readOnly: context.readOnly,
          contextName: context.name,
          yes: flags.yes,
        }),
      change: () =>
        publishAll(adapter, ref.name, messages, {
          window: flags.window,
          signal: this.interruptSignal(),
          onProgress: (s) => progress.update({done: s.published, failed: s.failed}),
        }),
      entry: (result) => ({
        command: 'dlq import',
        target,
        context: context.name,
        counts: {
          read: stats.read,
          published: result?.published ?? 0,
          failed: result?.failed ?? 0,
          skipped: stats.skipped,
        },
        outcome: !result ? 'failed' : this.interrupted ? 'interrupted' : result.failed > 0 ? 'partial' : 'ok',
        details: {file: args.file},
      }),
      onAuditFailure: this.auditFailed,
    })
    progress.end()
    this.info(
      `imported ${summary.published} of ${stats.read} message(s) into ${target}${stats.skipped ? `, ${stats.skipped} invalid lines skipped` : ''}`,
    )
    for (const f of summary.failures)
      this.warnUser(`message #${f.index + 1} was not published: ${f.code}: ${f.message}`)
    if (summary.failed > 0) this.exitStatus = EXIT.PARTIAL
    return {...summary, skipped: stats.skipped}
  }
}
