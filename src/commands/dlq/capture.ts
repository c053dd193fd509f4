import {Args, Flags} from '@oclif/core'

import type {DeadLetterCapture} from '../../adapters/types.js'
import {MailroomError} from '../../model/errors.js'
import {MailroomCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOverrides} from '../../cli/flags.js'
import {parseTargetRef} from '../../core/target-ref.js'

export default class DlqCapture extends MailroomCommand {
  static override summary =
    'Make a DLQ for a JetStream stream: a stream capturing its MAX_DELIVERIES / MSG_TERMINATED advisories'
  static override description = `JetStream keeps a message that reached its consumer's MaxDeliver (or was terminated) in the stream and only
announces it with an advisory. This creates a stream (default <stream>_DLQ) that stores those advisories, so the dead
messages become listable (dlq list), inspectable and replayable; each entry points at the dead message by sequence.
Idempotent: running it again changes nothing (or adds missing subjects). Only advisories published after it exists
are captured.`
  static override examples = [
    {
      description: 'Capture the dead letters of ORDERS into ORDERS_DLQ',
      command: '<%= config.bin %> <%= command.id %> nats:ORDERS',
    },
    {
      description: 'Choose the DLQ stream name',
      command: '<%= config.bin %> <%= command.id %> nats:ORDERS --name ORDERS_DEAD',
    },
  ]
  static override args = {
    stream: Args.string({description: 'The source stream, written nats:<stream>', required: true}),
  }
  static override flags = {
    name: Flags.string({description: 'Name of the DLQ stream (default: <stream>_DLQ)'}),
    ...connectionFlags,
  }

  async run(): Promise<DeadLetterCapture & {source: string}> {
    const {args, flags} = await this.parse(DlqCapture)
    const ref = parseTargetRef(args.stream.includes(':') ? args.stream : `nats:${args.stream}`)
    const context = await this.resolveContext(connectionOverrides(flags))
    if (context.readOnly) {
      throw new MailroomError(
        'REFUSED',
        `context "${context.name ?? ''}" is read-only: refusing to create a DLQ stream`,
        {
          suggestions: ['Use another context (--context)'],
        },
      )
    }
    const adapter = await this.connect(ref.broker, context)
    if (!adapter.captureDeadLetters) {
      throw new MailroomError(
        'UNSUPPORTED',
        `${ref.broker} dead-letters messages itself; there is nothing to capture`,
        {
          suggestions: ['Run mailroom dlq list to see its DLQs'],
        },
      )
    }
    const capture = await adapter.captureDeadLetters(ref.name, {name: flags.name})
    this.out(
      `${capture.created ? 'created' : 'already there:'} ${ref.broker}:${capture.name} capturing ${capture.captures.join(', ')}`,
    )
    return {source: `${ref.broker}:${ref.name}`, ...capture}
  }
}
