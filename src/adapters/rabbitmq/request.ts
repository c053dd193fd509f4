// Request/reply through RabbitMQ direct reply-to: the channel that publishes the request first consumes the
// pseudo-queue amq.rabbitmq.reply-to (no-ack, as the broker requires), so the reply comes straight back to this
// channel without any queue being declared - nothing is left behind, whatever happens.
import type {ChannelModel, ConfirmChannel, ConsumeMessage} from 'amqplib'
import {beforeDeadline} from '../../model/deadline.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {PublishReceipt, RequestOptions} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {AsyncQueue} from './async-queue.js'
import {envelopeFromMessage} from './map.js'
import {type ErrorContext, toMailroomError} from './map-error.js'
import {type PublishRoute, publishEnvelopes} from './publisher.js'

export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to'

export interface RequestContext {
  model: ChannelModel
  route: PublishRoute
  /** The user the connection authenticated as. */
  username: string
  /** What the request was sent to, for messages ("queue orders", "exchange x"). */
  label: string
  errorContext: ErrorContext
  blocked(): Promise<void> | undefined
}

export async function requestReply(ctx: RequestContext, envelope: Envelope, o: RequestOptions): Promise<Envelope> {
  const deadline = performance.now() + o.timeoutMs
  const correlationId = requiredCorrelationId(envelope, o)
  const channel = await ctx.model.createConfirmChannel()
  const replies = new AsyncQueue<ConsumeMessage>()
  channel.on('error', (error: unknown) => replies.fail(toMailroomError(error, ctx.errorContext)))
  try {
    await channel.consume(
      DIRECT_REPLY_TO,
      (msg) => {
        if (msg && msg.properties.correlationId === correlationId) replies.push(msg)
      },
      {noAck: true},
    )
    const request: Envelope = {...envelope, properties: {...envelope.properties, replyTo: DIRECT_REPLY_TO}}
    throwUnlessConfirmed(await publishOne(channel, ctx, request, o.signal))
    const reply = await beforeDeadline(replies.next(), {
      deadline,
      signal: o.signal,
      onTimeout: () => noReply(ctx.label, o.timeoutMs, correlationId),
    })
    if (!reply) throw new MailroomError('CONNECTION', `The channel waiting for the reply from ${ctx.label} closed`)
    return envelopeFromMessage(reply, {target: DIRECT_REPLY_TO, queueType: 'classic'})
  } catch (error) {
    throw toMailroomError(error, ctx.errorContext)
  } finally {
    await channel.close().catch(() => {})
  }
}

function requiredCorrelationId(envelope: Envelope, o: RequestOptions): string {
  if (o.replyTo !== undefined) {
    throw new MailroomError(
      'USAGE',
      'RabbitMQ replies come back through direct reply-to; a reply topic is only for Kafka',
    )
  }
  const id = envelope.properties?.correlationId
  if (!id) throw new MailroomError('INTERNAL', 'a request needs properties.correlationId')
  return id
}

async function publishOne(
  channel: ConfirmChannel,
  ctx: RequestContext,
  request: Envelope,
  signal?: AbortSignal,
): Promise<PublishReceipt> {
  const receipts = publishEnvelopes([request], {
    channel,
    route: ctx.route,
    username: ctx.username,
    window: 1,
    signal,
    blocked: ctx.blocked,
  })
  for await (const [receipt] of receipts) if (receipt) return receipt
  throw new MailroomError('INTERRUPTED', `the request to ${ctx.label} was not sent`)
}

function throwUnlessConfirmed(receipt: PublishReceipt): void {
  if (receipt.ok) return
  const error = receipt.error ?? {code: 'PROTOCOL' as const, message: 'RabbitMQ did not confirm the request'}
  throw new MailroomError(error.code, `the request was not delivered: ${error.message}`, {
    suggestions: error.suggestions,
  })
}

function noReply(label: string, timeoutMs: number, correlationId: string): MailroomError {
  return new MailroomError(
    'TIMEOUT',
    `no reply from ${label} within ${timeoutMs} ms (correlation id ${correlationId})`,
    {
      suggestions: [
        'Check that a consumer serves the queue and answers to reply_to with the same correlation_id',
        'Or wait longer with --timeout',
      ],
    },
  )
}
