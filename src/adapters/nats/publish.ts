// Windowed JetStream publishing: many PubAck promises in flight, receipts handed over in batches in input order.
import {ErrorCode, type JetStreamClient, type JetStreamManager, type NatsConnection, type NatsError} from 'nats'
import {RepeatedBodyBytes} from '../../model/envelope/body.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {PublishOptions, PublishReceipt} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {publishConventions} from './conventions.js'
import {toNatsHeaders} from './map.js'
import {mapNatsError, type NatsErrorContext} from './map-error.js'
import {type ReceiptWindow, publishThroughWindow} from '../windowed-publish.js'
import {isTransientFailure, untilSettled} from './jetstream-retry.js'

export interface NatsSession {
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
}

/** Where messages go: into a named stream (subject per message) or to one subject. */
type Route =
  {stream: string; defaultSubject?: string; streamSubjects: string[]; lastCapturedKey?: string} | {subject: string}

export const DEFAULT_PUBLISH_WINDOW = 512
const MAX_PUBLISH_WINDOW = 10_000

/** Receipts in batches, in input order: what the PubAcks of one wake-up settled. */
export async function* publishBatchesToNats(
  s: NatsSession,
  target: string,
  msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
  o: PublishOptions,
): AsyncGenerator<PublishReceipt[]> {
  const route = await resolveRoute(s, target, Boolean(o.unconfirmed))
  const window = Math.min(Math.max(1, o.window ?? DEFAULT_PUBLISH_WINDOW), MAX_PUBLISH_WINDOW)
  for await (const receipts of publishThroughWindow(
    msgs,
    new PubAckWindow(s, route, window, Boolean(o.unconfirmed)),
    window,
    o.signal,
  )) {
    const lost = receipts.findIndex((r) => r.error?.code === 'CONNECTION')
    if (lost === -1) {
      yield receipts
      continue
    }
    if (lost > 0) yield receipts.slice(0, lost)
    throw new MailroomError('CONNECTION', receipts[lost]!.error!.message)
  }
  if (o.unconfirmed) await flush(s)
}

/**
 * The publishes in flight, each settled by its PubAck (or, unconfirmed, once handed to the client): no await per
 * message, the window slides as the acks come and the receipts are taken from the head in input order.
 */
class PubAckWindow implements ReceiptWindow {
  private readonly entries: {receipt?: PublishReceipt}[] = []
  private readonly bodies = new RepeatedBodyBytes()
  private wake: (() => void) | undefined
  readonly failure = undefined

  constructor(
    private readonly s: NatsSession,
    private readonly route: Route,
    private readonly window: number,
    private readonly unconfirmed: boolean,
  ) {}

  get held(): number {
    return this.entries.length
  }

  get ready(): boolean {
    return this.entries[0]?.receipt !== undefined
  }

  send(index: number, envelope: Envelope): Promise<void> | undefined {
    const entry: {receipt?: PublishReceipt} = {}
    this.entries.push(entry)
    const publish = this.unconfirmed ? publishCore : publishConfirmed
    void publish(this.s, this.route, index, envelope, this.bodies).then((receipt) => {
      entry.receipt = receipt
      if (entry === this.entries[0]) this.notify()
    })
    // Core publishes only buffer locally; a flush per window is the backpressure.
    return this.unconfirmed && (index + 1) % this.window === 0 ? flush(this.s) : undefined
  }

  nextCompletion(): Promise<void> {
    if (this.ready || this.entries.length === 0) return Promise.resolve()
    return new Promise<void>((resolve) => (this.wake = resolve))
  }

  take(): PublishReceipt[] {
    let settled = 0
    while (this.entries[settled]?.receipt) settled++
    return this.entries.splice(0, settled).map((entry) => entry.receipt!)
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
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

async function publishConfirmed(
  s: NatsSession,
  route: Route,
  index: number,
  env: Envelope,
  bodies: RepeatedBodyBytes,
): Promise<PublishReceipt> {
  let subject: string | undefined
  try {
    const to = subjectFor(route, env)
    subject = to
    const headers = toNatsHeaders(env.headers)
    const data = bodies.of(env.body)
    const ack = await untilSettled(s.nc, () => s.js.publish(to, data, {headers}), {
      failureIsTransient: (e) => publishMayBeRepeated(s, headers?.has(publishConventions.dedupeHeader!) === true, e),
    })
    return {index, ok: true, duplicate: ack.duplicate, meta: {stream: ack.stream, sequence: ack.seq, subject}}
  } catch (e) {
    const ctx: NatsErrorContext = {
      op: 'publish',
      stream: 'stream' in route ? route.stream : undefined,
      subject,
      maxPayload: s.nc.info?.max_payload,
    }
    return {index, ok: false, error: mapNatsError(e, ctx).toInfo()}
  }
}

/**
 * A publish that found no stream leader is sent again. One whose PubAck did not come in time may have been stored:
 * it is sent again only when it carries a Nats-Msg-Id, so the stream drops the second copy (its PubAck then says
 * duplicate); without one it fails as TIMEOUT, reported as a possible duplicate of a later attempt.
 */
function publishMayBeRepeated(s: NatsSession, deduplicated: boolean, error: unknown): boolean {
  if (!isTransientFailure(s.nc, error)) return false
  return deduplicated || (error as NatsError).code !== ErrorCode.Timeout
}

async function publishCore(
  s: NatsSession,
  route: Route,
  index: number,
  env: Envelope,
  bodies: RepeatedBodyBytes,
): Promise<PublishReceipt> {
  let subject: string | undefined
  try {
    subject = subjectFor(route, env)
    s.nc.publish(subject, bodies.of(env.body), {headers: toNatsHeaders(env.headers)})
    return {index, ok: true, meta: {subject}}
  } catch (e) {
    return {
      index,
      ok: false,
      error: mapNatsError(e, {op: 'publish', subject, maxPayload: s.nc.info?.max_payload}).toInfo(),
    }
  }
}

export function subjectFor(route: Route, env: Envelope): string {
  if ('subject' in route) return route.subject
  if (typeof env.key === 'string' && env.key !== '') return capturedKey(route, env.key)
  if (env.key != null && typeof env.key === 'object') {
    throw new MailroomError('USAGE', 'the message key is not UTF-8 text, so it cannot be a NATS subject')
  }
  if (route.defaultSubject) return route.defaultSubject
  throw new MailroomError(
    'USAGE',
    `stream "${route.stream}" has subjects ${JSON.stringify(route.streamSubjects)}; give each message a key (its subject)`,
    {
      suggestions: ['Set the envelope key, or publish to a subject instead of the stream name'],
    },
  )
}

/**
 * Streams never overlap in subjects, so a key matching one of the target stream's subjects lands there and nowhere
 * else. Checked here rather than with a Nats-Expected-Stream header, which the server would store in the message.
 */
function capturedKey(route: {stream: string; streamSubjects: string[]; lastCapturedKey?: string}, key: string): string {
  if (key === route.lastCapturedKey) return key
  if (route.streamSubjects.some((pattern) => subjectMatches(pattern, key))) {
    route.lastCapturedKey = key
    return key
  }
  throw new MailroomError(
    'USAGE',
    `subject "${key}" is not captured by stream "${route.stream}" (subjects ${JSON.stringify(route.streamSubjects)})`,
  )
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
