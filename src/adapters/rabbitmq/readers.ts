// The three ways to read a RabbitMQ queue:
// - stream queues: an offset consumer (non-destructive by nature; acks are only flow-control credit);
// - classic / quorum, non-destructive: a temporary server-named queue bound like the target receives copies of
//   new messages (a live tail);
// - classic / quorum with `consume`: a manual-ack consumer on the queue itself; settle() acks / requeues / rejects.
// The two non-destructive reads go on through the loss of their node when the deps have a failover: the stream
// consumer is opened again after the last offset handed out; the temporary queue, lost with the connection, is made
// again with the same bindings (what was routed meanwhile is not in it: the notice says so).
import type {Channel, ChannelModel, ConsumeMessage, Options} from 'amqplib'
import {type Delivery, type ReadOptions, type Settlement, type StartPosition, noSettlement} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {AckBatcher} from './ack-batcher.js'
import {AsyncQueue} from './async-queue.js'
import type {ManagementBinding, ManagementClient} from './management.js'
import {envelopeFromMessage, type QueueType} from './map.js'
import {type ErrorContext, toMailroomError} from './map-error.js'

export const DEFAULT_PREFETCH = 250

export interface ReadDeps {
  model: ChannelModel
  management: ManagementClient
  target: string
  queueType: QueueType
  errorContext: ErrorContext
  /** After the connection is lost: the same deps on another node; undefined when there is nowhere to go. */
  failover?: () => Promise<ReadFailover | undefined>
}

export interface ReadFailover {
  deps: ReadDeps
  /** host:port of the node lost and of the node read now. */
  from: string
  to: string
}

/**
 * After a read's connection was lost: its deps on another node, once the user was told what the move means; any
 * other failure, or a loss with nowhere to go, is thrown.
 */
async function failedOver(deps: ReadDeps, error: unknown, o: ReadOptions, consequence: string): Promise<ReadDeps> {
  const failure = toMailroomError(error, deps.errorContext)
  const next = failure.code === 'CONNECTION' && !o.signal?.aborted ? await deps.failover?.() : undefined
  if (!next) throw failure
  o.onFailover?.(
    `lost the connection to RabbitMQ node ${next.from}; reading ${deps.target} through ${next.to} now, ${consequence}`,
  )
  return next.deps
}

/** One channel with (at most) one consumer feeding an AsyncQueue; stop() leaves nothing behind on the broker. */
class ConsumerSession {
  readonly messages = new AsyncQueue<ConsumeMessage>()
  private consumerTag: string | undefined
  temporaryQueue: string | undefined
  /** Runs first in stop(): settlements still collected must reach the broker before the channel closes. */
  beforeStop: (() => void) | undefined
  private readonly onAbort = (): void => this.messages.end()

  private constructor(
    readonly channel: Channel,
    private readonly deps: ReadDeps,
    private readonly signal: AbortSignal | undefined,
  ) {
    channel.on('error', (error: unknown) => this.messages.fail(toMailroomError(error, deps.errorContext)))
    channel.on('close', () =>
      this.messages.fail(
        new MailroomError(
          'CONNECTION',
          `The channel reading ${deps.target} closed (connection to ${deps.errorContext.address ?? 'the broker'})`,
        ),
      ),
    )
    signal?.addEventListener('abort', this.onAbort, {once: true})
  }

  static async open(deps: ReadDeps, signal: AbortSignal | undefined): Promise<ConsumerSession> {
    try {
      return new ConsumerSession(await deps.model.createChannel(), deps, signal)
    } catch (error) {
      throw toMailroomError(error, deps.errorContext)
    }
  }

  async start(queue: string, options: Options.Consume): Promise<void> {
    const cancelled = new MailroomError(
      'NOT_FOUND',
      `${this.deps.target} was deleted or its consumer cancelled by the broker`,
    )
    const reply = await this.channel.consume(
      queue,
      (msg) => (msg ? this.messages.push(msg) : this.messages.fail(cancelled)),
      options,
    )
    this.consumerTag = reply.consumerTag
  }

  /** The deliveries buffered so far (at least one), or undefined at the end or once aborted. */
  async nextBatch(): Promise<ConsumeMessage[] | undefined> {
    if (this.signal?.aborted) return undefined
    const msgs = await this.messages.nextBatch()
    return this.signal?.aborted ? undefined : msgs
  }

  async cancelConsumer(): Promise<void> {
    const tag = this.consumerTag
    this.consumerTag = undefined
    if (tag !== undefined) await this.channel.cancel(tag)
  }

  /** Cancels the consumer, deletes the temporary queue and closes the channel (requeueing anything unsettled). */
  async stop(): Promise<void> {
    this.signal?.removeEventListener('abort', this.onAbort)
    this.messages.end()
    await ignoreClosed(async () => this.beforeStop?.())
    await ignoreClosed(() => this.cancelConsumer())
    if (this.temporaryQueue !== undefined)
      await ignoreClosed(() => this.channel.deleteQueue(this.temporaryQueue as string))
    await ignoreClosed(() => this.channel.close())
  }
}

async function ignoreClosed(step: () => Promise<unknown>): Promise<void> {
  try {
    await step()
  } catch {
    // The channel is already gone: the broker dropped its consumer (and exclusive queue) with it.
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Streams

export async function* readStream(deps: ReadDeps, o: ReadOptions): AsyncGenerator<Delivery[]> {
  const end = o.untilEnd ? await lastStreamOffset(deps) : undefined
  if (end === -1) return
  /** The offset of the last message handed out: a failover resumes after it. */
  let last: number | undefined
  /** Since when the read is on another node: until it consumes again, the stream may still be recovering there. */
  let movedAt: number | undefined
  for (let first = true; ; first = false) {
    const session = await ConsumerSession.open(deps, o.signal)
    try {
      const from: StartPosition | undefined = last === undefined ? o.from : {kind: 'offset', value: BigInt(last + 1)}
      await session.channel.prefetch(o.prefetch ?? DEFAULT_PREFETCH)
      try {
        await session.start(deps.target, {
          noAck: false,
          arguments: {'x-stream-offset': streamOffsetSpec(from, o.untilEnd)},
        })
      } catch (error) {
        if (!(await recovering(movedAt, error, deps))) throw error
        continue
      }
      movedAt = undefined
      if (first) o.onPositioned?.()
      // The broker sends what it already holds from the start position before answering a later request on the
      // same channel, so nothing buffered after one round trip means nothing to read up to the captured end.
      if (first && end !== undefined && !(await hasBufferedAfterRoundTrip(session, deps.target))) return
      for (let msgs = await session.nextBatch(); msgs; msgs = await session.nextBatch()) {
        const upToEnd = end === undefined ? msgs : msgs.filter((msg) => streamOffsetOf(msg) <= end)
        if (upToEnd.length > 0) {
          last = streamOffsetOf(upToEnd[upToEnd.length - 1]!)
          yield upToEnd.map((msg) => ({
            envelope: envelopeFromMessage(msg, {target: deps.target, queueType: 'stream'}),
            settle: noSettlement,
          }))
          ackThrough(session.channel, upToEnd)
        }
        if (end !== undefined && upToEnd.length < msgs.length) return
        if (end !== undefined && last !== undefined && last >= end) return
      }
      return
    } catch (error) {
      const resume =
        last === undefined ? 'from the start position again' : `from offset ${last + 1}, after the last one read`
      deps = await failedOver(deps, error, o, `resuming ${resume}`)
      movedAt = Date.now()
    } finally {
      await session.stop()
    }
  }
}

/** How long a stream read that moved node waits for the stream to take consumers there again, and how often it asks. */
const STREAM_RECOVERY_MS = 30_000
const STREAM_RECOVERY_PAUSE_MS = 1000

/**
 * A consume refused just after a move (RabbitMQ 3.10, a stream whose leader died: "does not have a replica on the
 * local node" while its members recover): true, after a pause, while there is time to ask again.
 */
async function recovering(movedAt: number | undefined, error: unknown, deps: ReadDeps): Promise<boolean> {
  if (movedAt === undefined || Date.now() - movedAt > STREAM_RECOVERY_MS) return false
  if (toMailroomError(error, deps.errorContext).code !== 'PROTOCOL') return false
  await new Promise((resolve) => setTimeout(resolve, STREAM_RECOVERY_PAUSE_MS))
  return true
}

function streamOffsetOf(msg: ConsumeMessage): number {
  return Number(msg.properties.headers?.['x-stream-offset'])
}

/** Acks every delivery of a batch taken in order from one channel: one multiple-ack of the last covers them. */
function ackThrough(channel: Channel, msgs: ConsumeMessage[]): void {
  channel.ack(msgs[msgs.length - 1]!, true)
}

async function hasBufferedAfterRoundTrip(session: ConsumerSession, queue: string): Promise<boolean> {
  await session.channel.checkQueue(queue)
  return session.messages.size > 0
}

/**
 * The offset of the last message in a stream, or -1 when it is empty: a consumer at `last` receives the whole
 * last chunk before the answer to a later request on its channel (verified on 3.10; even with prefetch 1).
 */
export async function lastStreamOffset(deps: ReadDeps): Promise<number> {
  const session = await ConsumerSession.open(deps, undefined)
  let last = -1
  try {
    await session.channel.prefetch(DEFAULT_PREFETCH)
    await session.start(deps.target, {noAck: false, arguments: {'x-stream-offset': 'last'}})
    await session.channel.checkQueue(deps.target)
    const lastChunk = session.messages.size > 0 ? ((await session.nextBatch()) ?? []) : []
    for (const msg of lastChunk) last = Math.max(last, streamOffsetOf(msg))
    return last
  } catch (error) {
    throw toMailroomError(error, deps.errorContext)
  } finally {
    await session.stop()
  }
}

function streamOffsetSpec(from: StartPosition | undefined, untilEnd: boolean | undefined): unknown {
  switch (from?.kind ?? (untilEnd ? 'earliest' : 'latest')) {
    case 'earliest':
      return 'first'
    case 'latest':
      return 'next'
    case 'offset':
      return {'!': 'long', value: (from as {value: bigint}).value}
    default:
      return {'!': 'timestamp', value: Math.floor((from as {value: Date}).value.getTime() / 1000)}
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Classic and quorum queues, non-destructive: a temporary queue with the target's bindings

export async function* readTail(deps: ReadDeps, o: ReadOptions): AsyncGenerator<Delivery[]> {
  refuseTailOptions(deps.target, o)
  const bindings = await copyableBindings(deps)
  if (bindings.length === 0) throw defaultExchangeOnly(deps.target)
  for (let first = true; ; first = false) {
    const session = await ConsumerSession.open(deps, o.signal)
    try {
      await bindCopy(session, bindings, o)
      if (first) o.onPositioned?.()
      for (let msgs = await session.nextBatch(); msgs; msgs = await session.nextBatch()) {
        yield msgs.map((msg) => ({
          envelope: envelopeFromMessage(msg, {target: deps.target, queueType: 'classic'}),
          settle: noSettlement,
        }))
        ackThrough(session.channel, msgs)
      }
      return
    } catch (error) {
      deps = await failedOver(deps, error, o, LOST_COPIES)
    } finally {
      await session.stop()
    }
  }
}

const LOST_COPIES =
  'with a new temporary queue: messages routed while the tail had none, and those its lost one still held, are not shown (the queue itself keeps them: use peek)'

/** A temporary queue bound like the target, consumed by the session. */
async function bindCopy(session: ConsumerSession, bindings: ManagementBinding[], o: ReadOptions): Promise<void> {
  const copy = await session.channel.assertQueue('', {exclusive: true, autoDelete: true, durable: false})
  session.temporaryQueue = copy.queue
  for (const b of bindings) await session.channel.bindQueue(copy.queue, b.source, b.routing_key, b.arguments)
  await session.channel.prefetch(o.prefetch ?? DEFAULT_PREFETCH)
  await session.start(copy.queue, {noAck: false, exclusive: true})
}

async function copyableBindings(deps: ReadDeps): Promise<ManagementBinding[]> {
  try {
    // The default exchange's implicit binding cannot be copied: its routing key is the queue's own name.
    return (await deps.management.queueBindings(deps.target)).filter((b) => b.source !== '')
  } catch (error) {
    throw toMailroomError(error, deps.errorContext)
  }
}

function refuseTailOptions(target: string, o: ReadOptions): void {
  if (o.untilEnd) {
    throw new MailroomError(
      'UNSUPPORTED',
      `A non-destructive read of queue ${target} cannot stop at an end: it only sees new messages`,
      {
        suggestions: [
          'Use peek to look at what the queue holds',
          'Or consume it (--consume) to drain it up to its current depth',
        ],
      },
    )
  }
  if (o.from && o.from.kind !== 'latest') {
    throw new MailroomError(
      'UNSUPPORTED',
      `Queue ${target} has no offsets: a non-destructive read starts with new messages`,
      {
        suggestions: [
          'Use peek to see the messages it holds now',
          'Stream queues (x-queue-type: stream) support start positions',
        ],
      },
    )
  }
}

function defaultExchangeOnly(target: string): MailroomError {
  return new MailroomError(
    'UNSUPPORTED',
    `Queue ${target} is reachable only through the default exchange, so a live non-destructive tail of it is impossible (there is no binding to copy)`,
    {
      suggestions: [
        'Use peek to see the messages it holds now',
        'Or consume it (--consume), which removes what is read',
      ],
    },
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Classic and quorum queues, destructive

export async function* readConsume(deps: ReadDeps, o: ReadOptions): AsyncGenerator<Delivery[]> {
  if (o.from && o.from.kind !== 'earliest') {
    throw new MailroomError('UNSUPPORTED', `Queue ${deps.target} has no offsets: consuming always starts at its head`)
  }
  const session = await ConsumerSession.open(deps, o.signal)
  const acks = new AckBatcher(session.channel, (error) => toMailroomError(error, deps.errorContext))
  session.beforeStop = () => acks.flush()
  try {
    const limit = o.untilEnd ? (await session.channel.checkQueue(deps.target)).messageCount : Number.POSITIVE_INFINITY
    if (limit === 0) return
    await session.channel.prefetch(Math.min(o.prefetch ?? DEFAULT_PREFETCH, limit))
    await session.start(deps.target, {noAck: false})
    o.onPositioned?.()
    for (let received = 0; received < limit;) {
      const msgs = await session.nextBatch()
      if (!msgs) return
      const taken = msgs.length > limit - received ? msgs.slice(0, limit - received) : msgs
      received += taken.length
      // Stop the flow before handing out the last one; extras already sent are requeued when the channel closes.
      if (received === limit) await session.cancelConsumer()
      yield taken.map((msg) => {
        acks.handedOut(msg)
        return {
          envelope: envelopeFromMessage(msg, {target: deps.target, queueType: deps.queueType}),
          settle: settler(acks, msg, deps),
        }
      })
    }
  } catch (error) {
    throw toMailroomError(error, deps.errorContext)
  } finally {
    await session.stop()
  }
}

function settler(acks: AckBatcher, msg: ConsumeMessage, deps: ReadDeps): Delivery['settle'] {
  let settled = false
  // Not async: the acks of one batch share the AckBatcher's promise, rather than each wrapping it in another.
  return (how: Settlement) => {
    // A second ack of one delivery tag is a channel error that would kill every other delivery on it.
    if (settled) return Promise.resolve()
    settled = true
    if (how === 'ack') return acks.ack(msg)
    try {
      acks.nack(msg, how === 'requeue')
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(toMailroomError(error, deps.errorContext))
    }
  }
}
