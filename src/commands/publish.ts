import {Args, Flags} from '@oclif/core'

import {MailroomCommand} from '../cli/base-command.js'
import {connectionFlags, connectionOverrides} from '../cli/flags.js'
import {messageFlags, overridesFromFlags} from '../cli/message-flags.js'
import {schemaRegistryFlags} from '../cli/schema-flags.js'
import {createSchemaDecoder} from '../core/schema/decoder.js'
import {encodeEnvelopes, encodeJsonBody} from '../core/schema/encode-body.js'
import type {EncodeTarget, SchemaDecoder} from '../core/schema/types.js'
import type {Envelope} from '../model/envelope/types.js'
import {EXIT} from '../model/exit-codes.js'
import {openInputFile} from '../core/files.js'
import {
  type LineSourceStats,
  type NdjsonSourceStats,
  envelopeFromBody,
  lineEnvelopes,
  ndjsonEnvelopes,
  rateLimit,
  readBody,
  repeat,
} from '../core/services/message-source.js'
import {type PublishSummary, publishAll} from '../core/services/publish.js'
import {parseTargetRef} from '../core/target-ref.js'

export default class Publish extends MailroomCommand {
  static override summary = 'Publish messages, confirmed by the broker'
  static override description = `The body comes from the argument, --file, or stdin. With --input ndjson, stdin (or --file) is a stream of
envelopes as written by \`tail -o ndjson\` or \`dlq export\`, published with everything the destination can carry.
With --input lines, each line of stdin (or --file) is one message, as kcat -P does; --key-separator splits each
line into key and value at the separator's first occurrence (kcat's -K).
Every message is confirmed (RabbitMQ publisher confirms with mandatory routing, Kafka acks=all, JetStream PubAck);
an unroutable or unconfirmed message is reported and the exit code is 8. A connection lost part-way (a cluster node
that dies without mailroom getting past it) stops sending, reports what was confirmed and what was in flight, and
exits 8. Ctrl-C stops sending, reports what was published (each confirmed) and exits 130.
Kafka: a keyed record goes to the partition Kafka's Java producer chooses for its key (murmur2 of the key's bytes),
records without a key round-robin over the partitions, --partition wherever it says.
RabbitMQ: the target is a queue (default exchange), or use --exchange with --key as routing key.
NATS: the target is a stream (subject from --key, or the stream's only subject) or a subject.
With --value-schema-id or --value-subject the body (each line with --input lines) is a JSON value, encoded through
the schema registry's schema (Avro, Protobuf, JSON Schema) and framed as Confluent's serializers do; a value that
does not match the schema is exit 2, naming the field.`
  static override examples = [
    {
      description: 'One JSON message to a queue',
      command: `<%= config.bin %> <%= command.id %> rabbitmq:orders '{"id": 7}' --content-type application/json`,
    },
    {
      description: 'Keyed, with headers, to a Kafka topic',
      command: '<%= config.bin %> <%= command.id %> kafka:payments --key order-7 -H x-tenant=acme --file payment.json',
    },
    {
      description: 'Through an exchange with a routing key',
      command: '<%= config.bin %> <%= command.id %> rabbitmq:orders --exchange orders.x --key eu.new "hello"',
    },
    {
      description: 'JetStream with de-duplication',
      command: '<%= config.bin %> <%= command.id %> nats:ORDERS --key orders.new -H Nats-Msg-Id=order-7 "hello"',
    },
    {
      description: 'Copy a topic into another, byte for byte',
      command:
        '<%= config.bin %> tail kafka:orders --until-end -o ndjson | <%= config.bin %> <%= command.id %> kafka:orders.copy --input ndjson',
    },
    {
      description: 'One message per line, keyed by what comes before the first ":"',
      command: `printf 'order-7:paid\\norder-8:shipped\\n' | <%= config.bin %> <%= command.id %> kafka:orders --input lines --key-separator :`,
    },
    {
      description: 'An Avro record through the schema registry (the body is the value as JSON)',
      command: `<%= config.bin %> <%= command.id %> kafka:orders --schema-registry http://127.0.0.1:8081 --value-subject orders-value '{"id": 7, "amount": 12.5}'`,
    },
    {
      description: 'Load: 10,000 messages at 500/s',
      command: '<%= config.bin %> <%= command.id %> nats:ORDERS --key orders.load "x" --count 10000 --rate 500',
    },
  ]
  static override args = {
    target: Args.string({description: 'Where to publish: <broker>:<queue|topic|stream|subject>', required: true}),
    body: Args.string({description: 'The message body (default: --file or stdin)', ignoreStdin: true}),
  }
  static override flags = {
    ...messageFlags,
    input: Flags.option({
      description: 'What the input is: one raw body, NDJSON envelopes, or one message per line',
      options: ['raw', 'ndjson', 'lines'] as const,
      default: 'raw',
    })(),
    'key-separator': Flags.string({
      description: 'With --input lines: the key is what comes before the first occurrence of this in a line (kcat -K)',
    }),
    'skip-invalid': Flags.boolean({
      description: 'With --input ndjson: skip and count invalid lines instead of stopping at the first',
    }),
    count: Flags.integer({char: 'n', description: 'Publish the message this many times', min: 1, default: 1}),
    rate: Flags.integer({description: 'At most this many messages per second', min: 1}),
    window: Flags.integer({description: 'Messages awaiting confirmation at once', min: 1, max: 100_000}),
    output: Flags.option({
      char: 'o',
      description: 'summary: one line on stderr; ndjson: a receipt per message on stdout',
      options: ['summary', 'ndjson'] as const,
      default: 'summary',
    })(),
    'value-schema-id': Flags.integer({
      description: 'Encode the JSON body through this schema of the schema registry (Avro, Protobuf, JSON Schema)',
      min: 0,
      exclusive: ['value-subject'],
      helpGroup: 'SCHEMA',
    }),
    'value-subject': Flags.string({
      description: "Encode the JSON body through this subject's latest schema",
      helpGroup: 'SCHEMA',
    }),
    'value-message': Flags.string({
      description: 'Protobuf: which message of the schema (default: the first one)',
      helpGroup: 'SCHEMA',
    }),
    ...connectionFlags,
    ...schemaRegistryFlags,
  }

  async run(): Promise<PublishSummary & {skipped?: number; emptyLines?: number}> {
    const {args, flags} = await this.parse(Publish)
    const ref = parseTargetRef(args.target)
    const streamed = flags.input !== 'raw'
    if (streamed && args.body !== undefined)
      this.usage(`--input ${flags.input} reads stdin or --file, not a body argument`)
    if (streamed && flags.count > 1)
      this.usage(`--count repeats a single body; it cannot be used with --input ${flags.input}`)
    if (flags['key-separator'] !== undefined && flags.input !== 'lines')
      this.usage('--key-separator splits lines: use it with --input lines')
    if (flags['key-separator'] === '')
      this.usage('--key-separator cannot be empty: give the text between key and value, e.g. --key-separator :')
    const schema = schemaTarget(flags)
    if (schema && flags.input === 'ndjson')
      this.usage('--input ndjson publishes exact bytes; --value-schema-id and --value-subject encode JSON values')
    if (!schema && flags['value-message'] !== undefined)
      this.usage('--value-message names a Protobuf message: use it with --value-schema-id or --value-subject')
    const context = await this.resolveContext(connectionOverrides(flags))
    const encoding = schema && {encoder: createSchemaDecoder(context.settings.schemaRegistry), target: schema}
    // A raw body is encoded before connecting: a value that does not fit is exit 2 without touching the broker.
    const rawBody = flags.input === 'raw' ? await readRawBody(args.body, flags.file, encoding) : undefined
    const adapter = await this.connect(ref.broker, context)
    const signal = this.interruptSignal()
    const overrides = overridesFromFlags(flags)
    const stats: NdjsonSourceStats = {read: 0, skipped: 0, skippedLines: []}
    const lineStats: LineSourceStats = {read: 0, empty: 0}
    const input = () => (flags.file ? openInputFile(flags.file) : process.stdin)
    let messages: AsyncIterable<Envelope> | Iterable<Envelope> =
      flags.input === 'ndjson'
        ? ndjsonEnvelopes(input(), {
            skipInvalid: flags['skip-invalid'],
            endAtInvalid: true,
            overrides,
            stats,
            onSkip: (m) => this.warnUser(`skipped ${m}`),
          })
        : flags.input === 'lines'
          ? lineEnvelopes(input(), {keySeparator: flags['key-separator'], overrides, stats: lineStats})
          : repeat(envelopeFromBody(rawBody!, overrides), flags.count)
    if (encoding && flags.input === 'lines') messages = encodeEnvelopes(encoding.encoder, messages, encoding.target)
    if (flags.rate) messages = rateLimit(messages, flags.rate, signal)
    const progress = this.progressLine('published', flags.input === 'raw' ? flags.count : undefined, {
      printing: flags.output === 'ndjson',
    })
    const summary = await publishAll(adapter, ref.name, messages, {
      window: flags.window,
      onProgress: (s) => progress.update({done: s.published, failed: s.failed}),
      exchange: flags.exchange,
      signal,
      onReceipt: flags.output === 'ndjson' ? (r) => this.out(JSON.stringify(r)) : undefined,
      onFailover: (notice) => this.warnUser(notice),
    })
    progress.end()
    this.report(summary, stats, flags.input === 'raw' ? flags.count : undefined, lineStats.empty)
    if (stats.invalid) throw stats.invalid
    if (flags.input === 'lines') return {...summary, emptyLines: lineStats.empty}
    return flags.input === 'ndjson' ? {...summary, skipped: stats.skipped} : summary
  }

  /** `count`: how many were asked for (--count), so an interrupted run can say how many were not sent. */
  private report(summary: PublishSummary, stats: NdjsonSourceStats, count?: number, emptyLines = 0): void {
    const skipped = stats.skipped
      ? `, ${stats.skipped} invalid lines skipped`
      : stats.invalid
        ? '; stopped at an invalid line, nothing after it was published'
        : emptyLines
          ? `, ${emptyLines} empty lines skipped`
          : ''
    this.info(
      `published ${summary.published} to ${summary.target} in ${summary.elapsedMs} ms (${summary.perSecond}/s)${summary.duplicates ? `, ${summary.duplicates} duplicates dropped by the broker` : ''}${possibleDuplicates(summary)}${skipped}${interruption(summary, count)}`,
    )
    for (const f of summary.failures)
      this.warnUser(`message #${f.index + 1} was not published: ${f.code}: ${f.message}`)
    if (summary.failed > 0 || summary.stopped) this.exitStatus = EXIT.PARTIAL
  }
}

async function readRawBody(
  arg: string | undefined,
  file: string | undefined,
  encoding: {encoder: SchemaDecoder; target: EncodeTarget} | undefined,
): Promise<Buffer> {
  const body = await readBody(arg, file)
  return encoding ? encodeJsonBody(encoding.encoder, body, encoding.target) : body
}

function schemaTarget(flags: {
  'value-schema-id'?: number
  'value-subject'?: string
  'value-message'?: string
}): EncodeTarget | undefined {
  if (flags['value-schema-id'] === undefined && flags['value-subject'] === undefined) return undefined
  return {schemaId: flags['value-schema-id'], subject: flags['value-subject'], messageName: flags['value-message']}
}

function possibleDuplicates(summary: PublishSummary): string {
  if (!summary.possibleDuplicates) return ''
  return `, ${summary.possibleDuplicates} of them sent again after a node was lost (possible duplicates: the first copy may be stored too)`
}

/** What an interrupted publish left out: every message counted as published was confirmed; the rest was not sent. */
function interruption(summary: PublishSummary, count: number | undefined): string {
  if (!summary.interrupted && !summary.stopped) return ''
  const left =
    count === undefined ? 'the rest of the input was' : `the other ${count - summary.published - summary.failed} were`
  if (summary.stopped)
    return `; stopped, ${summary.stopped.message}: each one published was confirmed by the broker, the ${summary.failed} failed may or may not be stored, ${left} not sent`
  return `; interrupted: each one published was confirmed by the broker, ${left} not sent`
}
