// Windowed, confirmed publishing on one ConfirmChannel with mandatory routing.
//
// A publish is good only when the broker acks it AND did not return it: an unroutable mandatory message is
// returned (basic.return) and then acked. RabbitMQ sends the return before the ack of the same message and
// returns messages in publish order, so a return belongs to the oldest unconfirmed, not yet returned publish with
// the same exchange, routing key and body (identical messages sent the same way share their fate anyway).
import type {ConfirmChannel, Message} from 'amqplib'
import type {Envelope} from '../../model/envelope/types.js'
import {type ReceiptWindow, publishThroughWindow} from '../windowed-publish.js'
import type {PublishReceipt} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {publishOptionsFromEnvelope} from './map.js'
import {RepeatedBodyBytes} from '../../model/envelope/body.js'
import {toMailroomError} from './map-error.js'

export const DEFAULT_PUBLISH_WINDOW = 500

export interface PublishRoute {
  exchange: string
  /** The routing key for one envelope, or a MailroomError explaining why it has none. */
  routingKey(envelope: Envelope): string | MailroomError
}

export interface PublishContext {
  channel: ConfirmChannel
  route: PublishRoute
  /** The user the connection authenticated as (RabbitMQ rejects a different user-id property). */
  username: string
  window: number
  signal?: AbortSignal
  /** While the connection is blocked by a resource alarm: a promise that resolves when it is unblocked. */
  blocked(): Promise<void> | undefined
}

/** basic.return fields (amqplib types a returned message with delivery fields). */
interface ReturnFields {
  exchange: string
  routingKey: string
  replyCode: number
  replyText: string
}

interface InFlight {
  index: number
  exchange: string
  routingKey: string
  content: Buffer
  returned?: {replyCode: number; replyText: string}
  done: boolean
}

class ConfirmTracker {
  private readonly inFlight: InFlight[] = []
  private readonly completed: PublishReceipt[] = []
  private readonly bodies = new RepeatedBodyBytes()
  private wake: (() => void) | undefined
  private pending = 0
  channelError: MailroomError | undefined

  constructor(private readonly channel: ConfirmChannel) {
    channel.on('return', (msg: Message) => this.onReturn(msg))
    channel.on('error', (error: unknown) => (this.channelError ??= toMailroomError(error)))
    // Before amqplib's own close handler, which fails the unconfirmed publishes: their receipts need this reason.
    channel.prependListener('close', () => {
      this.channelError ??= new MailroomError('CONNECTION', 'The RabbitMQ channel closed while publishing')
      this.notify()
    })
  }

  /** Published, not yet confirmed. */
  get count(): number {
    return this.pending
  }

  /** Completed, not yet taken. */
  get unreported(): number {
    return this.completed.length
  }

  /** Publishes one message; false when the channel's write buffer is full (wait for 'drain'). */
  send(index: number, exchange: string, routingKey: string, envelope: Envelope): boolean {
    const entry: InFlight = {index, exchange, routingKey, content: this.bodies.of(envelope.body), done: false}
    this.inFlight.push(entry)
    this.pending++
    return this.channel.publish(exchange, routingKey, entry.content, publishOptionsFromEnvelope(envelope), (err) =>
      this.onConfirm(entry, err),
    )
  }

  reject(index: number, error: MailroomError): void {
    this.completed.push({index, ok: false, error: error.toInfo()})
  }

  takeCompleted(): PublishReceipt[] {
    return this.completed.splice(0)
  }

  async nextCompletion(): Promise<void> {
    if (this.completed.length > 0 || this.pending === 0) return
    await new Promise<void>((resolve) => (this.wake = resolve))
  }

  private onReturn(msg: Message): void {
    const {exchange, routingKey, replyCode, replyText} = msg.fields as unknown as ReturnFields
    const entry = this.inFlight.find(
      (e) =>
        !e.done &&
        !e.returned &&
        e.exchange === exchange &&
        e.routingKey === routingKey &&
        e.content.equals(msg.content),
    )
    if (entry) entry.returned = {replyCode, replyText}
  }

  private onConfirm(entry: InFlight, err: unknown): void {
    entry.done = true
    this.pending--
    while (this.inFlight[0]?.done) this.inFlight.shift()
    this.completed.push(receiptFor(entry, err, this.channelError))
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

function receiptFor(entry: InFlight, err: unknown, channelError: MailroomError | undefined): PublishReceipt {
  const meta = {exchange: entry.exchange, routingKey: entry.routingKey}
  if (err) {
    const error = channelError ?? new MailroomError('PROTOCOL', 'RabbitMQ nacked the message (not stored)')
    return {index: entry.index, ok: false, meta, error: error.toInfo()}
  }
  if (entry.returned) {
    const {replyCode, replyText} = entry.returned
    const where =
      entry.exchange === '' ? `queue ${entry.routingKey}` : `exchange ${entry.exchange} with key "${entry.routingKey}"`
    const error = new MailroomError(
      'NOT_FOUND',
      `returned unroutable (${replyCode} ${replyText}): no queue bound for ${where}`,
    )
    return {index: entry.index, ok: false, meta, error: error.toInfo()}
  }
  return {index: entry.index, ok: true, meta}
}

/** Problems RabbitMQ would answer by closing the whole channel, caught per message instead. */
function unpublishable(envelope: Envelope, username: string): MailroomError | undefined {
  const p = envelope.properties ?? {}
  if (p.userId !== undefined && p.userId !== username) {
    return new MailroomError(
      'REFUSED',
      `user-id property "${p.userId}" differs from the connected user ${username}; RabbitMQ rejects it`,
      {
        suggestions: ['Remove properties.userId or publish as that user'],
      },
    )
  }
  if (p.expiration !== undefined && !/^\d+$/.test(p.expiration)) {
    return new MailroomError('USAGE', `expiration property must be milliseconds as digits, got "${p.expiration}"`)
  }
  return undefined
}

export function publishEnvelopes(
  msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
  ctx: PublishContext,
): AsyncGenerator<PublishReceipt[]> {
  const tracker = new ConfirmTracker(ctx.channel)
  const receipts: ReceiptWindow = {
    get held() {
      return tracker.count + tracker.unreported
    },
    get ready() {
      return tracker.unreported > 0
    },
    get failure() {
      return tracker.channelError
    },
    send: (index, envelope) => publishOne(tracker, index, envelope, ctx),
    nextCompletion: () => tracker.nextCompletion(),
    take: () => tracker.takeCompleted(),
  }
  return publishThroughWindow(msgs, receipts, ctx.window, ctx.signal)
}

/** Publishes one message; a promise only when the caller has to wait (a blocked connection, a full socket). */
function publishOne(
  tracker: ConfirmTracker,
  index: number,
  envelope: Envelope,
  ctx: PublishContext,
): Promise<void> | undefined {
  const key = ctx.route.routingKey(envelope)
  const problem = key instanceof MailroomError ? key : unpublishable(envelope, ctx.username)
  if (problem) {
    tracker.reject(index, problem)
    return undefined
  }
  const blocked = ctx.blocked()
  if (blocked) return blocked.then(() => sendOrDrain(tracker, index, key as string, envelope, ctx))
  return sendOrDrain(tracker, index, key as string, envelope, ctx)
}

function sendOrDrain(
  tracker: ConfirmTracker,
  index: number,
  key: string,
  envelope: Envelope,
  ctx: PublishContext,
): Promise<void> | undefined {
  return tracker.send(index, ctx.route.exchange, key, envelope) ? undefined : drained(ctx.channel)
}

function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      channel.off('drain', done)
      channel.off('close', done)
      resolve()
    }
    channel.on('drain', done)
    channel.on('close', done)
  })
}
