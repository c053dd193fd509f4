import {Args, Flags} from '@oclif/core'

import {MailroomCommand} from '../../cli/base-command.js'
import {decodeFlags, readDecoder} from '../../cli/decode-flags.js'
import {connectionFlags, connectionOverrides} from '../../cli/flags.js'
import {bodyToBytes} from '../../model/envelope/body.js'
import {encodeEnvelopeLine} from '../../model/envelope/ndjson.js'
import type {Envelope} from '../../model/envelope/types.js'
import {type DeathGroup, DeathSummary, deathTime, originPosition} from '../../core/dlq/inspect.js'
import {dlqPosition} from '../../core/dlq/position.js'
import {DEFAULT_PEEK_LIMIT, type DeadLetterReadStats, newReadStats, readDeadLetters} from '../../core/dlq/read.js'
import {dlqSettings} from '../../core/dlq/settings.js'
import {filterFrom} from '../../core/filter-flag.js'
import {escapeControl} from '../../core/output/message.js'
import {decodedJson, decodedValueOf, isDecoded, schemaLabel} from '../../core/schema/decoded-view.js'
import {renderTable} from '../../core/output/table.js'
import {messageIdentity} from '../../core/replay/identity.js'
import {parseTargetRef} from '../../core/target-ref.js'

const BODY_PREVIEW = 60
const SCHEMA_PREVIEW = 40

export interface InspectResult extends DeadLetterReadStats {
  target: string
  groups: DeathGroup[]
  messages?: Envelope[]
  /** Each message's id, in the order of messages: what --select of replay, purge and export takes. */
  ids?: string[]
}

export default class DlqInspect extends MailroomCommand {
  static override summary =
    'Why messages died and where they came from: a summary by origin, reason and error, then the messages'
  static override description = `Non-destructive. Kafka topics, JetStream streams and RabbitMQ stream queues are read up to the end captured at
start; RabbitMQ classic and quorum queues are peeked (basic.get + requeue: the messages come back marked redelivered;
quorum queues with a delivery limit are refused unless --force), bounded by --limit. JetStream DLQ entries made by
dlq capture are shown as the dead message itself, fetched by sequence from its source stream.`
  static override examples = [
    {
      description: 'Summary and messages of a RabbitMQ DLQ',
      command: '<%= config.bin %> <%= command.id %> rabbitmq:orders.dlq',
    },
    {
      description: 'Only expired messages, as JSON',
      command: `<%= config.bin %> <%= command.id %> rabbitmq:orders.dlq --filter 'death.reason == "expired"' -o json`,
    },
    {
      description: 'Only what a Spring listener failed with (the root cause, not its ListenerExecutionFailedException)',
      command: `<%= config.bin %> <%= command.id %> kafka:payments-dlt -F 'death.error.class == "java.lang.IllegalStateException"'`,
    },
  ]
  static override args = {
    target: Args.string({description: 'The DLQ, written <broker>:<name>', required: true}),
  }
  static override flags = {
    filter: Flags.string({
      char: 'F',
      description:
        'Only messages matching this expression (fields as in tail, plus death.reason, death.origin.target ...)',
    }),
    limit: Flags.integer({
      description: `Read at most this many DLQ entries (default: ${DEFAULT_PEEK_LIMIT} where the queue is peeked, else all)`,
      min: 1,
    }),
    output: Flags.option({
      char: 'o',
      description:
        'table: summary and one line per message; json: one document; ndjson: the envelopes (summary on stderr)',
      options: ['table', 'json', 'ndjson'] as const,
      default: 'table',
    })(),
    force: Flags.boolean({
      description: 'Peek a quorum queue even though it has a delivery limit (each peek counts as a delivery)',
    }),
    ...decodeFlags,
    ...connectionFlags,
  }

  async run(): Promise<InspectResult> {
    const {args, flags} = await this.parse(DlqInspect)
    const ref = parseTargetRef(args.target)
    const filter = await filterFrom(flags.filter)
    const context = await this.resolveContext(connectionOverrides(flags))
    const settings = dlqSettings(context.config)
    const decoder = await readDecoder(context, flags)
    const adapter = await this.connect(ref.broker, context)
    const stats = newReadStats()
    const summary = new DeathSummary()
    const messages: Envelope[] = []
    const streaming = flags.output === 'ndjson' && !this.jsonEnabled()
    const read = readDeadLetters(
      adapter,
      ref.name,
      {
        limit: flags.limit,
        filter,
        decoder,
        customHeaders: settings.customHeaders,
        force: flags.force,
        complete: true,
        signal: this.interruptSignal(),
        onWarning: (w) => this.warnUser(w),
      },
      stats,
    )
    for await (const envelope of read) {
      summary.add(envelope)
      if (streaming) process.stdout.write(`${encodeEnvelopeLine(envelope)}\n`)
      else messages.push(envelope)
    }
    if (stats.truncated) this.warnUser(`stopped at --limit ${flags.limit ?? DEFAULT_PEEK_LIMIT}: the DLQ may hold more`)
    const result: InspectResult = {target: `${ref.broker}:${ref.name}`, ...stats, groups: summary.rows()}
    const ids = messages.map((e) => messageIdentity(e, ref.broker, ref.name).id)
    await this.render(flags.output, result, messages, ids)
    return {...result, messages, ids}
  }

  private async render(
    format: 'table' | 'json' | 'ndjson',
    result: InspectResult,
    messages: Envelope[],
    ids: string[],
  ): Promise<void> {
    const counts = `${result.matched} message(s)${result.matched === result.read ? '' : ` matched of ${result.read} read`} in ${result.target}`
    if (format === 'json') return this.out(JSON.stringify({...result, messages, ids}, null, 2))
    if (format === 'ndjson') return this.info(`${counts}\n${await groupsTable(result.groups)}`)
    this.out(`${counts}\n\n${await groupsTable(result.groups)}`)
    if (messages.length > 0) this.out(`\n${await messagesTable(messages)}`)
  }
}

function groupsTable(groups: DeathGroup[]): Promise<string> {
  return renderTable(groups, [
    {header: 'ORIGIN', value: (g) => g.origin},
    {header: 'REASON', value: (g) => g.reason},
    {header: 'ERROR', value: (g) => escapeControl(g.error)},
    {header: 'COUNT', value: (g) => g.count, align: 'right'},
    {header: 'FIRST', value: (g) => g.firstTime},
    {header: 'LAST', value: (g) => g.lastTime},
  ])
}

function messagesTable(messages: Envelope[]): Promise<string> {
  const rows = messages.map((e, i) => ({e, i}))
  const decoding = messages.some((e) => e.decoded)
  return renderTable(rows, [
    {header: 'AT', value: ({e, i}) => dlqPosition(e, i)},
    {header: 'DIED', value: ({e}) => deathTime(e)},
    {header: 'REASON', value: ({e}) => e.death?.reason},
    {header: 'ORIGIN', value: ({e}) => originPosition(e)},
    {header: 'COUNT', value: ({e}) => e.death?.count, align: 'right'},
    ...(decoding ? [{header: 'SCHEMA', value: ({e}: {e: Envelope}) => schemaColumn(e)}] : []),
    {header: 'BODY', value: ({e}) => bodyPreview(e)},
  ])
}

/** The value's schema, or why it was not decoded (then the body is the raw one). */
function schemaColumn(e: Envelope): string {
  const part = e.decoded?.value
  if (!part) return '-'
  return isDecoded(part) ? schemaLabel(part) : clip(`raw: ${part.error}`, SCHEMA_PREVIEW)
}

function bodyPreview(e: Envelope): string {
  const decoded = decodedValueOf(e)
  if (decoded) return clip(decodedJson(decoded.value), BODY_PREVIEW)
  if (!('utf8' in e.body)) return `(${bodyToBytes(e.body).length} binary bytes)`
  return clip(e.body.utf8, BODY_PREVIEW)
}

function clip(text: string, width: number): string {
  const line = escapeControl(text.replace(/\s+/g, ' '))
  return line.length > width ? `${line.slice(0, width - 1)}…` : line
}
