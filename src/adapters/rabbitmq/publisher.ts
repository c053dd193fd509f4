// Windowed, confirmed publishing on one ConfirmChannel with mandatory routing.
//
// A publish is good only when the broker acks it AND did not return it: an unroutable mandatory message is
// returned (basic.return) and then acked. RabbitMQ sends the return before the ack of the same message and
// returns messages in publish order, so a return belongs to the oldest unconfirmed, not yet returned publish with
// the same exchange, routing key and body (identical messages sent the same way share their fate anyway).
//
// With a failover (a cluster's other nodes), the loss of the connection does not end the publish: the messages whose
// confirmation was outstanding are sent again on a channel to another node, before anything new, and their receipts
// say possibleDuplicate (the lost node may have stored and replicated them before it died).
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
  /** A channel on another node once the connection is lost; undefined when there is none to go to. */
  failover?: PublishFailover
  onFailover?: (notice: string) => void
}

export interface PublishFailover {
  /** After the connection is lost: a channel on another node; undefined when there is none to go to. */
  lost(): Promise<{channel: ConfirmChannel; from: string; to: string} | undefined>
  /** Another channel on the connection in use. */
  fresh(): Promise<ConfirmChannel>
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
  envelope: Envelope
  returned?: {replyCode: number; replyText: string}
  done: boolean
  /** Sent again after a connection loss. */
  resent?: boolean
}

const CHANNEL_CLOSED = 'The RabbitMQ channel closed while publishing'

/**
 * A channel a failover opened, in its first moments on the new node: RabbitMQ 3.10 nacks every publish to a quorum
 * queue on a channel opened before the node took in the loss of its peer (measured: opened 50 ms after the kill,
 * it nacked all for 15 s; opened 500 ms after, none). Its nacks are taken for that until its first ack, for at most
 * this long: the messages go again on a fresh channel, after a pause.
 */
const FRESH_CHANNEL_MS = 30_000
const FRESH_CHANNEL_PAUSE_MS = 500

class ConfirmTracker {
  private readonly inFlight: InFlight[] = []
  private readonly completed: PublishReceipt[] = []
  private readonly bodies = new RepeatedBodyBytes()
  private wake: (() => void) | undefined
  private pending = 0
  private channel: ConfirmChannel
  /** Channels lost or being replaced: what they fail is an orphan, not a receipt. */
  private readonly replaced = new WeakSet<ConfirmChannel>()
  /** Awaiting confirmation when their channel was lost or replaced: sent again on the next channel. */
  private readonly orphans: InFlight[] = []
  /** The channel a failover opened, until its first ack (or FRESH_CHANNEL_MS). */
  private fresh: {channel: ConfirmChannel; until: number} | undefined
  private closedByClient = false
  channelError: MailroomError | undefined
  /** While a failover looks for another node or a channel is replaced: nothing can be sent. */
  recovering: Promise<void> | undefined

  constructor(private readonly ctx: PublishContext) {
    this.channel = ctx.channel
    this.listen(ctx.channel)
  }

  private listen(channel: ConfirmChannel): void {
    channel.on('return', (msg: Message) => this.onReturn(msg))
    channel.on('error', (error: unknown) => (this.channelError ??= toMailroomError(error)))
    // Before amqplib's own close handler, which fails the unconfirmed publishes: their receipts need this reason, or
    // they become orphans to send again.
    channel.prependListener('close', () => this.onClose(channel))
  }

  private onClose(channel: ConfirmChannel): void {
    if (this.replaced.has(channel)) return
    const failover = this.ctx.failover
    if (this.closedByClient || this.channelError || !failover) {
      this.channelError ??= new MailroomError('CONNECTION', CHANNEL_CLOSED)
      this.notify()
      return
    }
    this.replaced.add(channel)
    this.recovering = this.recover(() => this.moveNode(failover))
  }

  /** A channel on another node; the orphans, outstanding at the loss, go again on it as possible duplicates. */
  private async moveNode(failover: PublishFailover): Promise<void> {
    const next = await failover.lost()
    if (!next) throw new MailroomError('CONNECTION', CHANNEL_CLOSED)
    this.use(next.channel)
    const again = this.orphans.length
    for (const entry of this.orphans) entry.resent = true
    this.ctx.onFailover?.(
      `lost the connection to RabbitMQ node ${next.from}; publishing through ${next.to}` +
        (again > 0
          ? `, sending again the ${again} message(s) whose confirmation was outstanding (possible duplicates)`
          : ''),
    )
  }

  /** The fresh channel nacked: another one on the same connection after a pause; what it held goes again. */
  private async replaceFresh(failover: PublishFailover): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, FRESH_CHANNEL_PAUSE_MS))
    const old = this.channel
    this.replaced.add(old)
    this.use(await failover.fresh())
    await old.close().catch(() => {})
  }

  private use(channel: ConfirmChannel): void {
    this.channel = channel
    this.listen(channel)
    this.fresh = {channel, until: Date.now() + FRESH_CHANNEL_MS}
  }

  /** Runs a channel change, then sends the orphans again on the channel in use; without one, the orphans fail. */
  private async recover(change: () => Promise<void>): Promise<void> {
    try {
      await change()
      for (const entry of this.orphans.splice(0).sort((a, b) => a.index - b.index)) {
        entry.returned = undefined
        this.publish(entry)
      }
    } catch (error) {
      this.channelError ??= toMailroomError(error)
      for (const entry of this.orphans.splice(0)) this.complete(entry, new Error(CHANNEL_CLOSED))
    } finally {
      this.recovering = undefined
      this.notify()
    }
  }

  /**
   * Closes a channel this publish moved to; its close is then no loss. The one it was given stays with the caller
   * (a request waits for its reply on it).
   */
  async close(): Promise<void> {
    this.closedByClient = true
    if (this.channel !== this.ctx.channel) await this.channel.close().catch(() => {})
  }

  /** Resolves once the channel in use can take more (or has closed). */
  drained(): Promise<void> {
    return drained(this.channel)
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
    const content = this.bodies.of(envelope.body)
    const entry: InFlight = {index, exchange, routingKey, content, envelope, done: false}
    this.inFlight.push(entry)
    this.pending++
    return this.publish(entry)
  }

  private publish(entry: InFlight): boolean {
    const channel = this.channel
    const options = publishOptionsFromEnvelope(entry.envelope)
    return channel.publish(entry.exchange, entry.routingKey, entry.content, options, (err) =>
      this.onConfirm(entry, err, channel),
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

  private onConfirm(entry: InFlight, err: unknown, channel: ConfirmChannel): void {
    // Failed by the close of a channel lost or replaced: an orphan, not a receipt (yet).
    if (err && this.replaced.has(channel) && !this.channelError) return void this.orphans.push(entry)
    if (this.fresh?.channel === channel) {
      if (!err || Date.now() > this.fresh.until) this.fresh = undefined
      else if (this.ctx.failover && !this.closedByClient) {
        this.orphans.push(entry)
        this.recovering ??= this.recover(() => this.replaceFresh(this.ctx.failover!))
        return
      }
    }
    this.complete(entry, err)
  }

  private complete(entry: InFlight, err: unknown): void {
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
  if (!err && !entry.returned && entry.resent) return {index: entry.index, ok: true, meta, possibleDuplicate: true}
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

/** Publishes through the window; closes the channel in use (the context's, or one a failover opened) at the end. */
export async function* publishEnvelopes(
  msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
  ctx: PublishContext,
): AsyncGenerator<PublishReceipt[]> {
  const tracker = new ConfirmTracker(ctx)
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
  try {
    yield* publishThroughWindow(msgs, receipts, ctx.window, ctx.signal)
  } finally {
    await tracker.close()
  }
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
  const wait = tracker.recovering ?? ctx.blocked()
  if (wait) return wait.then(() => publishOne(tracker, index, envelope, ctx))
  if (tracker.channelError) {
    tracker.reject(index, notSent(tracker.channelError))
    return undefined
  }
  return sendOrDrain(tracker, index, key as string, envelope, ctx)
}

/** A message taken from the input while a failover looked for a node, when it found none. */
function notSent(why: MailroomError): MailroomError {
  return new MailroomError(why.code, `not sent: ${why.message}`)
}

function sendOrDrain(
  tracker: ConfirmTracker,
  index: number,
  key: string,
  envelope: Envelope,
  ctx: PublishContext,
): Promise<void> | undefined {
  return tracker.send(index, ctx.route.exchange, key, envelope) ? undefined : tracker.drained()
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
