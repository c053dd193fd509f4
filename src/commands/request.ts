import {Args, Flags} from '@oclif/core'

import {MailroomCommand} from '../cli/base-command.js'
import {connectionFlags, connectionOverrides} from '../cli/flags.js'
import {messageFlags, overridesFromFlags} from '../cli/message-flags.js'
import {readFlags} from '../cli/read-flags.js'
import {createMessageWriter} from '../core/output/message-writer.js'
import {envelopeFromBody, readBody} from '../core/services/message-source.js'
import {DEFAULT_REQUEST_TIMEOUT_MS, type RequestResult, requestReply} from '../core/services/request.js'
import {parseDuration} from '../core/services/tail.js'
import {parseTargetRef} from '../core/target-ref.js'

export default class Request extends MailroomCommand {
  static override summary = 'Send a request and wait for the correlated reply'
  static override description = `Publishes one message (confirmed) with a reply address and a correlation id, then prints the reply that
carries the same correlation id. The correlation id is --correlation-id or a fresh UUID.
RabbitMQ: reply_to is direct reply-to (amq.rabbitmq.reply-to), correlation_id the property; no queue is declared.
NATS: a request to the subject with a private inbox. On a subject a JetStream stream captures, the stream answers
first with its PubAck: that is not the reply, so mailroom skips it and waits for the responder's answer.
Kafka: the request carries the headers kafka_replyTopic (--reply-topic) and kafka_correlationId (the Spring Kafka
convention); mailroom reads the reply topic from its current end, started before the request is sent.
Exit 6 when no reply comes within --timeout.`
  static override examples = [
    {
      description: 'Ask a RabbitMQ service',
      command: `<%= config.bin %> <%= command.id %> rabbitmq:pricing.requests '{"sku": "A-7"}' --content-type application/json`,
    },
    {
      description: 'A NATS service, 2 s timeout',
      command: '<%= config.bin %> <%= command.id %> nats:svc.time.now "" --timeout 2s',
    },
    {
      description: 'Kafka, replies on a reply topic',
      command:
        '<%= config.bin %> <%= command.id %> kafka:quotes.requests --reply-topic quotes.replies --key order-7 "quote?"',
    },
  ]
  static override args = {
    target: Args.string({
      description: 'Where to send the request: <broker>:<queue|topic|stream|subject>',
      required: true,
    }),
    body: Args.string({description: 'The request body (default: --file or stdin)', ignoreStdin: true}),
  }
  static override flags = {
    ...messageFlags,
    'reply-topic': Flags.string({description: 'Kafka: the topic the reply is published to (sent as kafka_replyTopic)'}),
    timeout: Flags.string({
      char: 't',
      description: 'How long to wait for the reply',
      default: `${DEFAULT_REQUEST_TIMEOUT_MS / 1000}s`,
    }),
    output: readFlags.output,
    body: readFlags.body,
    ...connectionFlags,
  }

  async run(): Promise<RequestResult> {
    const {args, flags} = await this.parse(Request)
    const ref = parseTargetRef(args.target)
    const timeoutMs = parseDuration(flags.timeout, '--timeout') ?? DEFAULT_REQUEST_TIMEOUT_MS
    const envelope = envelopeFromBody(await readBody(args.body, flags.file), overridesFromFlags(flags))
    const context = await this.resolveContext(connectionOverrides(flags))
    const adapter = await this.connect(ref.broker, context)
    const result = await requestReply(adapter, ref.name, envelope, {
      timeoutMs,
      replyTo: flags['reply-topic'],
      exchange: flags.exchange,
      signal: this.interruptSignal(),
    })
    if (!this.jsonEnabled()) {
      const writer = createMessageWriter(flags.output, {bodyFormat: flags.body})
      await writer.write(result.reply)
      await writer.end()
      this.info(`reply in ${result.elapsedMs} ms (correlation id ${result.correlationId})`)
    }
    return result
  }
}
