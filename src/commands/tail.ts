import {Args, Flags} from '@oclif/core'

import type {BrokerAdapter, Delivery} from '../adapters/types.js'
import {MailroomCommand} from '../cli/base-command.js'
import {connectionFlags, connectionOverrides} from '../cli/flags.js'
import {readDecoder} from '../cli/decode-flags.js'
import {readFlags} from '../cli/read-flags.js'
import type {Envelope} from '../model/envelope/types.js'
import {filterFrom} from '../core/filter-flag.js'
import {type MessageWriter, createMessageWriter} from '../core/output/message-writer.js'
import {type TailStats, parseDuration, parseStartPosition, tailBatches} from '../core/services/tail.js'
import {targetDepth} from '../core/services/targets.js'
import {parseTargetRef} from '../core/target-ref.js'

export default class Tail extends MailroomCommand {
  static override summary = 'Follow the messages of a queue, topic or stream without consuming them'
  static override description = `Non-destructive by default: Kafka through a throwaway consumer group that never commits and is deleted on exit;
JetStream through an ordered ephemeral consumer; RabbitMQ stream queues by offset, other queues through a temporary
auto-delete queue bound like the target. --consume reads destructively (acks what it prints).
Ctrl-C stops cleanly (exit 130) and leaves nothing behind on the broker.`
  static override examples = [
    {description: 'Follow a topic from now on', command: '<%= config.bin %> <%= command.id %> kafka:orders'},
    {
      description: 'Everything in a stream up to now, as NDJSON, then exit',
      command: '<%= config.bin %> <%= command.id %> nats:ORDERS --from earliest --until-end -o ndjson > orders.ndjson',
    },
    {
      description: 'The first 10 big orders since 8:00',
      command:
        '<%= config.bin %> <%= command.id %> kafka:orders --from 2026-11-26T08:00:00Z --filter "json.amount > 1000" -n 10',
    },
    {
      description: 'Stop after 5 s without messages',
      command: '<%= config.bin %> <%= command.id %> rabbitmq:orders --idle-timeout 5s',
    },
  ]
  static override args = {
    target: Args.string({description: 'The target, written <broker>:<name>', required: true}),
  }
  static override flags = {
    from: Flags.string({
      description:
        'Start at earliest, latest, an offset/sequence, or an ISO time (default: latest; with --until-end: earliest; with --consume: where the queue or group is)',
    }),
    count: Flags.integer({char: 'n', description: 'Stop after this many (matching) messages', min: 1}),
    'until-end': Flags.boolean({description: 'Stop at the end captured when tail started (also on empty targets)'}),
    'idle-timeout': Flags.string({description: 'Stop when no message arrives for this long (e.g. 5s)'}),
    consume: Flags.boolean({description: 'Consume destructively: acknowledge (remove) what is printed'}),
    group: Flags.string({description: 'Kafka: with --consume, the consumer group whose offsets are committed'}),
    ...readFlags,
    ...connectionFlags,
  }

  async run(): Promise<TailStats & {messages?: Envelope[]}> {
    const {args, flags} = await this.parse(Tail)
    const ref = parseTargetRef(args.target)
    const filter = await filterFrom(flags.filter)
    const idleTimeoutMs = parseDuration(flags['idle-timeout'], '--idle-timeout')
    const from = parseStartPosition(flags.from)
    const context = await this.resolveContext(connectionOverrides(flags))
    const decoder = await readDecoder(context, flags)
    const adapter = await this.connect(ref.broker, context)
    const writer = createMessageWriter(flags.output, {bodyFormat: flags.body})
    const stats: TailStats = {received: 0, matched: 0, stoppedBy: 'source'}
    const batches = tailBatches(
      adapter,
      ref.name,
      {
        from,
        untilEnd: flags['until-end'],
        consume: flags.consume,
        group: flags.group,
        filter,
        decoder,
        count: flags.count,
        idleTimeoutMs,
        signal: this.interruptSignal(),
        onFailover: (notice) => this.warnUser(notice),
      },
      stats,
    )
    const collected: Envelope[] = []
    const progress = flags['until-end']
      ? this.progressLine('read', await untilEndTotal(adapter, ref.name, flags.from), {printing: !this.jsonEnabled()})
      : undefined
    try {
      for await (const batch of batches) {
        if (this.jsonEnabled()) collected.push(...batch.map((d) => d.envelope))
        else await writeAll(writer, batch, flags.consume)
        // Removed from the broker only once printed.
        if (flags.consume) await Promise.all(batch.map((d) => d.settle('ack')))
        progress?.update({
          done: stats.received,
          ...(filter ? {detail: `${stats.matched.toLocaleString('en-US')} matched`} : {}),
        })
      }
    } finally {
      progress?.end()
      // Also when the read fails: what was read is printed (the writer batches its output).
      if (!this.jsonEnabled()) await writer.end()
    }
    this.info(
      `${stats.matched} message(s)${filter ? ` matched of ${stats.received}` : ''}; stopped: ${stats.stoppedBy}`,
    )
    return this.jsonEnabled() ? {...stats, messages: collected} : stats
  }
}

/** What --until-end will read from the start (a progress line's total; only asked on a terminal): the depth. */
async function untilEndTotal(
  adapter: BrokerAdapter,
  name: string,
  from: string | undefined,
): Promise<number | undefined> {
  if (!process.stderr.isTTY || (from !== undefined && from !== 'earliest')) return undefined
  return targetDepth(adapter, name)
}

/** Writes a batch, waiting only where the output pushes back; with --consume, until it is handed to stdout. */
async function writeAll(writer: MessageWriter, batch: Delivery[], consume: boolean): Promise<void> {
  for (const delivery of batch) {
    const full = writer.write(delivery.envelope)
    if (full) await full
  }
  if (consume) await writer.flush()
}
