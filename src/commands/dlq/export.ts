import {createWriteStream} from 'node:fs'
import {finished} from 'node:stream/promises'
import {Args, Flags} from '@oclif/core'

import type {BrokerAdapter} from '../../adapters/types.js'
import {MailroomCommand} from '../../cli/base-command.js'
import {decodeFlags, readDecoder} from '../../cli/decode-flags.js'
import {connectionFlags, connectionOverrides, selectFlag} from '../../cli/flags.js'
import {encodeEnvelopeLine} from '../../model/envelope/ndjson.js'
import {DEFAULT_PEEK_LIMIT, type DeadLetterReadStats, newReadStats, readDeadLetters} from '../../core/dlq/read.js'
import {dlqSettings} from '../../core/dlq/settings.js'
import {filterFrom} from '../../core/filter-flag.js'
import {narrowToSelection} from '../../core/replay/selection.js'
import {targetDepth} from '../../core/services/targets.js'
import {parseTargetRef} from '../../core/target-ref.js'

export default class DlqExport extends MailroomCommand {
  static override summary =
    'Write the dead letters of a DLQ as NDJSON envelopes (with their death record), leaving them in place'
  static override description = `One envelope per line, lossless: binary bodies as base64, typed headers (x-death) tagged, the death record
included. Reads exactly like dlq inspect (non-destructive; RabbitMQ classic/quorum queues are peeked, bounded by
--limit). dlq import (or publish --input ndjson) puts them back byte for byte.`
  static override examples = [
    {
      description: 'Save a DLQ to a file',
      command: '<%= config.bin %> <%= command.id %> rabbitmq:orders.dlq --output-file orders-dlq.ndjson',
    },
    {
      description: 'Copy a DLQ to another broker',
      command:
        '<%= config.bin %> <%= command.id %> kafka:orders.DLT | <%= config.bin %> dlq import - --to nats:ORDERS_ARCHIVE --yes',
    },
  ]
  static override args = {
    target: Args.string({description: 'The DLQ, written <broker>:<name>', required: true}),
  }
  static override flags = {
    'output-file': Flags.string({char: 'f', description: 'Write to this file instead of stdout'}),
    filter: Flags.string({char: 'F', description: 'Only messages matching this expression'}),
    select: selectFlag,
    limit: Flags.integer({
      description: `Read at most this many DLQ entries (default: ${DEFAULT_PEEK_LIMIT} where the queue is peeked, else all)`,
      min: 1,
    }),
    force: Flags.boolean({description: 'Peek a quorum queue even though it has a delivery limit'}),
    ...decodeFlags,
    ...connectionFlags,
  }

  async run(): Promise<DeadLetterReadStats & {target: string; file?: string}> {
    const {args, flags} = await this.parse(DlqExport)
    const file = flags['output-file']
    if (this.jsonEnabled() && !file)
      this.usage('--json prints a summary on stdout: give --output-file for the messages')
    const ref = parseTargetRef(args.target)
    const filter = narrowToSelection(
      flags.select,
      {broker: ref.broker, target: ref.name},
      await filterFrom(flags.filter),
    )
    const context = await this.resolveContext(connectionOverrides(flags))
    const decoder = await readDecoder(context, flags)
    const adapter = await this.connect(ref.broker, context)
    const stats = newReadStats()
    const progress = this.progressLine('exported', await exportTotal(adapter, ref.name, flags.limit), {printing: !file})
    const out: NodeJS.WritableStream = file ? createWriteStream(file, {flags: 'w', mode: 0o600}) : process.stdout
    const read = readDeadLetters(
      adapter,
      ref.name,
      {
        limit: flags.limit,
        filter,
        decoder,
        customHeaders: dlqSettings(context.config).customHeaders,
        force: flags.force,
        complete: true,
        signal: this.interruptSignal(),
        onWarning: (w) => this.warnUser(w),
      },
      stats,
    )
    for await (const envelope of read) {
      if (!out.write(`${encodeEnvelopeLine(envelope)}\n`))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()))
      progress.update({
        done: stats.read,
        ...(filter ? {detail: `${stats.matched.toLocaleString('en-US')} matched`} : {}),
      })
    }
    progress.end()
    if (file) {
      out.end()
      await finished(out)
    }
    if (stats.truncated) this.warnUser(`stopped at --limit ${flags.limit ?? DEFAULT_PEEK_LIMIT}: the DLQ may hold more`)
    this.info(`exported ${stats.matched} message(s) from ${ref.broker}:${ref.name}${file ? ` to ${file}` : ''}`)
    return {target: `${ref.broker}:${ref.name}`, ...stats, ...(file ? {file} : {})}
  }
}

/** The DLQ entries an export will read, for the progress line (only asked on a terminal: it costs a describe). */
async function exportTotal(
  adapter: BrokerAdapter,
  name: string,
  limit: number | undefined,
): Promise<number | undefined> {
  if (!process.stderr.isTTY) return undefined
  const depth = await targetDepth(adapter, name)
  const bound = limit ?? (adapter.peek ? DEFAULT_PEEK_LIMIT : undefined)
  return depth === undefined || bound === undefined ? depth : Math.min(depth, bound)
}
