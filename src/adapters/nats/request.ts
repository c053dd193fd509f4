// Request/reply over NATS: the request is published to the subject with a private inbox as its reply subject; the
// inbox is the correlation (the envelope's correlationId is an AMQP property and does not travel).
//
// A subject that a JetStream stream captures gets TWO answers on that inbox: the stream stores the request and
// answers with its PubAck ({"stream": ..., "seq": ...}), and the service subscribed to the subject answers with
// the reply. A PubAck is not a reply (nc.request would return it and stop), so mailroom subscribes to the inbox
// itself and skips the capturing stream's PubAck. A service that consumes the stream through a JetStream consumer
// cannot answer: the stored message does not keep the reply subject.
import {createInbox, type Msg} from 'nats'
import {beforeDeadline} from '../../model/deadline.js'
import {bodyFromBytes, bodyToBytes} from '../../model/envelope/body.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {RequestOptions} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {fromNatsHeaders, toNatsHeaders} from './map.js'
import {mapNatsError} from './map-error.js'
import {type NatsSession, resolveRoute, subjectFor} from './publish.js'

const NO_RESPONDERS = 503

export async function requestOverNats(
  s: NatsSession,
  target: string,
  envelope: Envelope,
  o: RequestOptions,
): Promise<Envelope> {
  refuseReplyOptions(o)
  const deadline = performance.now() + o.timeoutMs
  const route = await resolveRoute(s, target, true)
  const subject = subjectFor(route, envelope)
  const capturedBy = 'stream' in route ? route.stream : await capturingStream(s, subject)
  const inbox = createInbox()
  const sub = s.nc.subscribe(inbox)
  try {
    s.nc.publish(subject, bodyToBytes(envelope.body), {reply: inbox, headers: toNatsHeaders(envelope.headers)})
    const answers = sub[Symbol.asyncIterator]()
    const wait = {deadline, signal: o.signal, onTimeout: () => noReply(subject, o.timeoutMs, capturedBy)}
    for (;;) {
      const next = await beforeDeadline(answers.next(), wait)
      if (next.done)
        throw new MailroomError('CONNECTION', `the connection closed while waiting for the reply on ${subject}`)
      const msg = next.value
      if (msg.headers?.code === NO_RESPONDERS && msg.data.length === 0) throw noResponders(subject)
      if (capturedBy !== undefined && isPubAckOf(msg, capturedBy)) continue
      return envelopeFromReply(msg)
    }
  } catch (e) {
    throw mapNatsError(e, {op: 'publish', subject})
  } finally {
    sub.unsubscribe()
  }
}

function refuseReplyOptions(o: RequestOptions): void {
  if (o.replyTo !== undefined)
    throw new MailroomError('USAGE', 'NATS replies come back on a private inbox; a reply topic is only for Kafka')
  if (o.exchange !== undefined)
    throw new MailroomError('USAGE', '--exchange is for RabbitMQ; a NATS request goes to a subject')
}

async function capturingStream(s: NatsSession, subject: string): Promise<string | undefined> {
  try {
    return (await s.jsm.streams.names(subject).next())[0]
  } catch (e) {
    throw mapNatsError(e, {op: 'admin', subject})
  }
}

/** The stream's PubAck (or its error answer): a JSON object naming the stream, with no headers. */
function isPubAckOf(msg: Msg, stream: string): boolean {
  if (msg.headers) return false
  try {
    const ack = JSON.parse(Buffer.from(msg.data).toString('utf8')) as {stream?: unknown; seq?: unknown; error?: unknown}
    return ack.stream === stream && (typeof ack.seq === 'number' || typeof ack.error === 'object')
  } catch {
    return false
  }
}

function envelopeFromReply(msg: Msg): Envelope {
  const headers = fromNatsHeaders(msg.headers)
  return {
    v: 1,
    broker: 'nats',
    target: msg.subject,
    key: msg.subject,
    headers,
    body: bodyFromBytes(msg.data),
    meta: {subject: msg.subject},
  }
}

function noResponders(subject: string): MailroomError {
  return new MailroomError('NOT_FOUND', `no responders: nothing subscribes to subject "${subject}"`, {
    suggestions: ['Start the service that answers on this subject, or check the subject name'],
  })
}

function noReply(subject: string, timeoutMs: number, capturedBy: string | undefined): MailroomError {
  const stored = capturedBy ? ` (stream ${capturedBy} stored the request; its PubAck is not a reply)` : ''
  return new MailroomError('TIMEOUT', `no reply on subject "${subject}" within ${timeoutMs} ms${stored}`, {
    suggestions: [
      'Check that a service subscribes to the subject and responds to the reply subject',
      'Or wait longer with --timeout',
    ],
  })
}
