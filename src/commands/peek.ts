import {Args, Flags} from '@oclif/core'

import type {Envelope} from '../adapters/types.js'
import {MailroomCommand} from '../cli/base-command.js'
import {connectionFlags, connectionOverrides} from '../cli/flags.js'
import {readDecoder} from '../cli/decode-flags.js'
import {readFlags} from '../cli/read-flags.js'
import {filterFrom} from '../core/filter-flag.js'
import {createMessageWriter} from '../core/output/message-writer.js'
import {peekMessages} from '../core/services/peek.js'
import {parseTargetRef} from '../core/target-ref.js'

export default class Peek extends MailroomCommand {
  static override summary = 'Show the next N messages of a queue, topic or stream without removing them'
  static override description = `Kafka, JetStream and RabbitMQ stream queues are read by offset or sequence, with no side effect.
RabbitMQ classic and quorum queues can only be peeked by get + requeue: the messages come back marked redelivered,
and on quorum queues each peek counts as a failed delivery (and moves them to the back). mailroom warns about this,
and refuses a quorum queue with a delivery limit unless --force.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> kafka:payments.DLT -n 5',
    '<%= config.bin %> <%= command.id %> rabbitmq:orders.dlq -n 3 --body hex',
    '<%= config.bin %> <%= command.id %> nats:ORDERS -n 20 -o ndjson',
  ]
  static override args = {
    target: Args.string({description: 'The target, written <broker>:<name>', required: true}),
  }
  static override flags = {
    count: Flags.integer({char: 'n', description: 'How many messages', min: 1, default: 10}),
    force: Flags.boolean({
      description: 'Peek a quorum queue with a delivery limit anyway (burns one delivery attempt per message)',
    }),
    ...readFlags,
    ...connectionFlags,
  }

  async run(): Promise<{messages: Envelope[]; warnings: string[]}> {
    const {args, flags} = await this.parse(Peek)
    const ref = parseTargetRef(args.target)
    const filter = await filterFrom(flags.filter)
    const context = await this.resolveContext(connectionOverrides(flags))
    const decoder = await readDecoder(context, flags)
    const adapter = await this.connect(ref.broker, context)
    const result = await peekMessages(adapter, ref.name, {count: flags.count, force: flags.force, filter, decoder})
    for (const warning of result.warnings) this.warnUser(warning)
    if (!this.jsonEnabled()) {
      const writer = createMessageWriter(flags.output, {bodyFormat: flags.body})
      for (const message of result.messages) await writer.write(message)
      await writer.end()
      this.info(`${result.messages.length} message(s)`)
    }
    return {messages: result.messages, warnings: result.warnings}
  }
}
