// Request/reply over Kafka, in the Spring Kafka convention (ReplyingKafkaTemplate / @SendTo): the request carries
// the headers kafka_replyTopic and kafka_correlationId, and the responder copies kafka_correlationId onto its reply.
// The reply topic is read non-destructively from the end captured BEFORE the request is sent, so a fast reply is
// never missed while the throwaway consumer is still joining.
import type {Admin, Kafka} from 'kafkajs'
import {beforeDeadline} from '../../model/deadline.js'
import {headerValueToBytes} from '../../model/envelope/header-values.js'
import type {Envelope, Header} from '../../model/envelope/types.js'
import type {Delivery, PublishOptions, PublishReceipt, RequestOptions} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {flatten} from '../batched.js'
import {ReadSession} from './read.js'
import {partitionOffsets} from './topics.js'

export const REPLY_TOPIC_HEADER = 'kafka_replyTopic'
export const CORRELATION_HEADER = 'kafka_correlationId'

export interface KafkaRequestContext {
  kafka: Kafka
  admin: Admin
  publish(target: string, msgs: Envelope[], o: PublishOptions): AsyncIterable<PublishReceipt>
}

export async function requestOverTopics(
  ctx: KafkaRequestContext,
  topic: string,
  envelope: Envelope,
  o: RequestOptions,
): Promise<Envelope> {
  const deadline = performance.now() + o.timeoutMs
  const replyTopic = requiredReplyTopic(o)
  const correlationId = envelope.properties?.correlationId
  if (!correlationId) throw new MailroomError('INTERNAL', 'a request needs properties.correlationId')
  const ends = new Map((await partitionOffsets(ctx.admin, replyTopic)).map((p) => [p.partition, p.high]))
  const session = new ReadSession(ctx.kafka, ctx.admin, replyTopic, undefined, ends, undefined, {signal: o.signal})
  try {
    await session.start()
    await sendRequest(ctx, topic, withReplyHeaders(envelope, replyTopic, correlationId), o.signal)
    const replies = flatten(session.batches())
    const wait = {deadline, signal: o.signal, onTimeout: () => noReply(topic, replyTopic, o.timeoutMs, correlationId)}
    for (;;) {
      const next = await beforeDeadline(replies.next(), wait)
      if (next.done) throw new MailroomError('INTERRUPTED', `stopped reading ${replyTopic} before the reply came`)
      if (correlates(next.value, correlationId)) return next.value.envelope
    }
  } finally {
    await session.stop()
  }
}

function requiredReplyTopic(o: RequestOptions): string {
  if (o.exchange !== undefined)
    throw new MailroomError('USAGE', '--exchange is for RabbitMQ; a Kafka request goes to a topic')
  if (o.replyTo) return o.replyTo
  throw new MailroomError('USAGE', 'a Kafka request needs the topic the reply will be published to', {
    suggestions: ['Add --reply-topic <topic> (the responder publishes its reply there, copying kafka_correlationId)'],
  })
}

function withReplyHeaders(envelope: Envelope, replyTopic: string, correlationId: string): Envelope {
  const own = envelope.headers.filter(([name]) => name !== REPLY_TOPIC_HEADER && name !== CORRELATION_HEADER)
  const headers: Header[] = [...own, [REPLY_TOPIC_HEADER, replyTopic], [CORRELATION_HEADER, correlationId]]
  return {...envelope, headers}
}

async function sendRequest(
  ctx: KafkaRequestContext,
  topic: string,
  request: Envelope,
  signal?: AbortSignal,
): Promise<void> {
  for await (const receipt of ctx.publish(topic, [request], {window: 1, signal})) {
    if (receipt.ok) return
    const error = receipt.error ?? {code: 'PROTOCOL' as const, message: 'not acknowledged'}
    throw new MailroomError(error.code, `the request was not stored in ${topic}: ${error.message}`, {
      suggestions: error.suggestions,
    })
  }
  throw new MailroomError('INTERRUPTED', `the request to ${topic} was not sent`)
}

/** Compared as bytes: Spring responders copy the header's bytes unchanged. */
function correlates(delivery: Delivery, correlationId: string): boolean {
  const wanted = Buffer.from(correlationId, 'utf8')
  return delivery.envelope.headers.some(
    ([name, value]) => name === CORRELATION_HEADER && headerValueToBytes(value)?.equals(wanted),
  )
}

function noReply(topic: string, replyTopic: string, timeoutMs: number, correlationId: string): MailroomError {
  return new MailroomError(
    'TIMEOUT',
    `no reply on ${replyTopic} to the request sent to ${topic} within ${timeoutMs} ms (correlation id ${correlationId})`,
    {
      suggestions: [
        `Check that a service consumes ${topic} and publishes its reply to kafka_replyTopic with the same kafka_correlationId`,
        'Or wait longer with --timeout',
      ],
    },
  )
}
