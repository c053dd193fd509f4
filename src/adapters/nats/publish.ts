// Windowed JetStream publishing: many PubAck promises in flight, receipts yielded in input order.
import type {JetStreamClient, JetStreamManager, JetStreamPublishOptions, NatsConnection} from 'nats'
import {isPromise} from '../batched.js'
import {bodyToBytes} from '../../model/envelope/body.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {PublishOptions, PublishReceipt} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {toNatsHeaders} from './map.js'
import {mapNatsError, type NatsErrorContext} from './map-error.js'

export interface NatsSession {
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
}

/** Where messages go: into a named stream (subject per message) or to one subject. */
type Route = {stream: string; defaultSubject?: string; streamSubjects: string[]} | {subject: string}

export const DEFAULT_PUBLISH_WINDOW = 512
const MAX_PUBLISH_WINDOW = 10_000

export async function* publishToNats(
  s: NatsSession,
  target: string,
  msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
  o: PublishOptions,
): AsyncIterable<PublishReceipt> {
  const route = await resolveRoute(s, target, Boolean(o.unconfirmed))
  const window = Math.min(Math.max(1, o.window ?? DEFAULT_PUBLISH_WINDOW), MAX_PUBLISH_WINDOW)
  const inFlight: Promise<PublishReceipt>[] = []
  let index = 0
  for await (const envelope of reportingWhileWaiting(msgs, inFlight)) {
    if (envelope === ACKED) {
      yield failFastOnConnectionLoss(await inFlight.shift()!)
      continue
    }
    if (o.signal?.aborted) break
    inFlight.push(o.unconfirmed ? publishCore(s, route, index++, envelope) : publishConfirmed(s, route, index++, envelope))
    // Core publishes only buffer locally; a flush per window is the backpressure.
    if (o.unconfirmed && index % window === 0) await flush(s)
    if (inFlight.length >= window) yield failFastOnConnectionLoss(await inFlight.shift()!)
  }
  if (o.unconfirmed && inFlight.length > 0) await flush(s)
  while (inFlight.length > 0) yield failFastOnConnectionLoss(await inFlight.shift()!)
}

const ACKED = Symbol('acked')

/**
 * The input, interleaved with ACKED whenever the oldest publish in flight completes while the input is slow, so
 * its receipt is reported then: a caller may wait for receipts before it sends more (a replay's window).
 */
async function* reportingWhileWaiting(
  msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
  inFlight: Promise<PublishReceipt>[],
): AsyncGenerator<Envelope | typeof ACKED> {
  if (Symbol.iterator in msgs) {
    yield* msgs
    return
  }
  const it = msgs[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<Envelope>> | undefined
  try {
    for (;;) {
      const step: IteratorResult<Envelope> | Promise<IteratorResult<Envelope>> = pending ?? it.next()
      const head = inFlight[0]
      if (isPromise(step)) pending = step
      const next = !isPromise(step) ? step : head ? await Promise.race([step, head.then((): typeof ACKED => ACKED)]) : await step
      if (next === ACKED) {
        yield ACKED
        continue
      }
      pending = undefined
      if (next.done) return
      yield next.value
    }
  } finally {
    if (pending === undefined) await it.return?.()
  }
}

export async function resolveRoute(s: NatsSession, target: string, unconfirmed: boolean): Promise<Route> {
  if (couldBeStreamName(target)) {
    try {
      const si = await s.jsm.streams.info(target)
      const subjects = si.config.subjects ?? []
      const literal = subjects.length === 1 && !hasWildcard(subjects[0]!) ? subjects[0] : undefined
      return {stream: target, defaultSubject: literal, streamSubjects: subjects}
    } catch (e) {
      const err = mapNatsError(e, {op: 'admin', stream: target})
      if (err.code !== 'NOT_FOUND') throw err
    }
  }
  if (hasWildcard(target)) throw new MailroomError('USAGE', `cannot publish to the wildcard subject "${target}"`)
  if (!unconfirmed) await requireCapturingStream(s, target)
  return {subject: target}
}

async function requireCapturingStream(s: NatsSession, subject: string): Promise<void> {
  let names: string[]
  try {
    names = await s.jsm.streams.names(subject).next()
  } catch (e) {
    throw mapNatsError(e, {op: 'admin', subject})
  }
  if (names.length === 0) {
    throw new MailroomError('NOT_FOUND', `no stream named "${subject}" and no stream captures subject "${subject}"`, {
      suggestions: ['List streams with: mailroom targets list nats'],
    })
  }
}

async function publishConfirmed(s: NatsSession, route: Route, index: number, env: Envelope): Promise<PublishReceipt> {
  let ctx: NatsErrorContext = {op: 'publish', stream: 'stream' in route ? route.stream : undefined, maxPayload: s.nc.info?.max_payload}
  try {
    const subject = subjectFor(route, env)
    ctx = {...ctx, subject}
    const opts: Partial<JetStreamPublishOptions> = {headers: toNatsHeaders(env.headers)}
    const ack = await s.js.publish(subject, bodyToBytes(env.body), opts)
    return {index, ok: true, duplicate: ack.duplicate, meta: {stream: ack.stream, sequence: ack.seq, subject}}
  } catch (e) {
    return {index, ok: false, error: mapNatsError(e, ctx).toInfo()}
  }
}

async function publishCore(s: NatsSession, route: Route, index: number, env: Envelope): Promise<PublishReceipt> {
  let subject: string | undefined
  try {
    subject = subjectFor(route, env)
    s.nc.publish(subject, bodyToBytes(env.body), {headers: toNatsHeaders(env.headers)})
    return {index, ok: true, meta: {subject}}
  } catch (e) {
    return {index, ok: false, error: mapNatsError(e, {op: 'publish', subject, maxPayload: s.nc.info?.max_payload}).toInfo()}
  }
}

export function subjectFor(route: Route, env: Envelope): string {
  if ('subject' in route) return route.subject
  if (typeof env.key === 'string' && env.key !== '') return capturedKey(route, env.key)
  if (env.key != null && typeof env.key === 'object') {
    throw new MailroomError('USAGE', 'the message key is not UTF-8 text, so it cannot be a NATS subject')
  }
  if (route.defaultSubject) return route.defaultSubject
  throw new MailroomError('USAGE', `stream "${route.stream}" has subjects ${JSON.stringify(route.streamSubjects)}; give each message a key (its subject)`, {
    suggestions: ['Set the envelope key, or publish to a subject instead of the stream name'],
  })
}

/**
 * Streams never overlap in subjects, so a key matching one of the target stream's subjects lands there and nowhere
 * else. Checked here rather than with a Nats-Expected-Stream header, which the server would store in the message.
 */
function capturedKey(route: {stream: string; streamSubjects: string[]}, key: string): string {
  if (route.streamSubjects.some((pattern) => subjectMatches(pattern, key))) return key
  throw new MailroomError('USAGE', `subject "${key}" is not captured by stream "${route.stream}" (subjects ${JSON.stringify(route.streamSubjects)})`)
}

function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.')
  const t = subject.split('.')
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i
    if (i >= t.length || (p[i] !== '*' && p[i] !== t[i])) return false
  }
  return p.length === t.length
}

function failFastOnConnectionLoss(r: PublishReceipt): PublishReceipt {
  if (r.error?.code === 'CONNECTION') throw new MailroomError('CONNECTION', r.error.message)
  return r
}

async function flush(s: NatsSession): Promise<void> {
  try {
    await s.nc.flush()
  } catch (e) {
    throw mapNatsError(e, {op: 'publish'})
  }
}

function couldBeStreamName(name: string): boolean {
  return name.length > 0 && !/[.*>\s/\\]/.test(name)
}

function hasWildcard(subject: string): boolean {
  return subject.split('.').some((t) => t === '*' || t === '>')
}
