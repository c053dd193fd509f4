// JetStream consumer lag from consumer info: num_pending (not yet delivered) + num_ack_pending (delivered, not
// acknowledged), delivered / ack-floor activity, and the age of the first unacknowledged message (one stored-message
// read per lagging consumer, capped). Round trips: one stream listing, one consumer listing per stream.
import type {Envelope} from '../../model/envelope/types.js'
import type {LagOptions, LagSample, TargetInfo} from '../types.js'
import {isMailroomError} from '../../model/errors.js'
import {RecentValues} from '../recent-values.js'
import type {NatsConsumerState} from './admin.js'

/** The adapter methods this needs (all public). */
export interface JetStreamLagSource {
  listTargets(): Promise<TargetInfo[]>
  listConsumers(stream: string): Promise<NatsConsumerState[]>
  getMessage(stream: string, seq: number): Promise<Envelope>
}

/** Delivery this recent counts as an attached consumer even between two pull requests. */
const RECENTLY_ACTIVE_MS = 30_000
/** Stored messages read per call at most, for lag in seconds; the others stay "unknown". */
const MAX_HEAD_READS = 64

/** What lag in seconds needs of a stored message: its time and subject (a stored message never changes). */
export interface MessageHead {
  timestamp?: string
  subject: unknown
}

/** Heads remembered by stream and sequence (a few refreshes' worth of lagging consumers). */
export const newHeadCache = () => new RecentValues<MessageHead>(4 * MAX_HEAD_READS)

/**
 * @param heads stored messages already read: a consumer that has not moved since the last call costs no read (a
 * dashboard or `lag --watch` asks for the same head on every refresh).
 */
export async function jetStreamLag(
  source: JetStreamLagSource,
  o: LagOptions = {},
  now = Date.now(),
  heads = newHeadCache(),
): Promise<LagSample[]> {
  const streams = await source.listTargets()
  const wanted =
    o.filter !== undefined && streams.some((s) => s.name === streamOf(o.filter!))
      ? streams.filter((s) => s.name === streamOf(o.filter!))
      : streams
  const perStream = await Promise.all(
    wanted.map(async (s) => ({stream: s, consumers: await consumersUnlessDeleted(source, s.name)})),
  )
  const samples = perStream.flatMap(({stream, consumers}) =>
    consumers
      .filter((c) => matchesFilter(c, o.filter))
      .map((c) => ({sample: sampleOf(c, stream, now), state: c, stream})),
  )
  await addHeadAges(source, samples, now, heads)
  return samples
    .map((s) => s.sample)
    .sort((a, b) => a.target.localeCompare(b.target) || a.consumer.localeCompare(b.consumer))
}

/** A stream deleted since it was listed (streams come and go) has no consumers left: skipped, not an error. */
async function consumersUnlessDeleted(source: JetStreamLagSource, stream: string): Promise<NatsConsumerState[]> {
  try {
    return await source.listConsumers(stream)
  } catch (error) {
    if (isMailroomError(error) && error.code === 'NOT_FOUND') return []
    throw error
  }
}

/** A filter names a consumer, a stream, or STREAM/consumer (neither name may contain '/'). */
function streamOf(filter: string): string {
  return filter.includes('/') ? filter.slice(0, filter.indexOf('/')) : filter
}

function matchesFilter(c: NatsConsumerState, filter: string | undefined): boolean {
  return filter === undefined || filter === c.name || filter === c.stream || filter === `${c.stream}/${c.name}`
}

function sampleOf(c: NatsConsumerState, stream: TargetInfo, now: number): LagSample {
  const lastAckAt = timeOf(c.ack_floor.last_active)
  const lastDeliveryAt = timeOf(c.delivered.last_active)
  const lastSeq = stream.details?.lastSeq
  return {
    broker: 'nats',
    target: c.stream,
    consumer: c.name,
    lag: c.num_pending + c.num_ack_pending,
    consumers: attachedConsumers(c, lastDeliveryAt, now),
    consumed: c.ack_floor.stream_seq,
    ...(typeof lastSeq === 'number' ? {produced: lastSeq} : {}),
    unacked: c.num_ack_pending,
    ...(lastAckAt ? {lastAckAt} : {}),
    ...(lastDeliveryAt ? {lastDeliveryAt} : {}),
    details: {
      pending: c.num_pending,
      ackPending: c.num_ack_pending,
      redelivered: c.num_redelivered,
      waiting: c.num_waiting,
      durable: c.durable,
      ackPolicy: c.ack_policy,
      deliveredSeq: c.delivered.stream_seq,
      ackFloorSeq: c.ack_floor.stream_seq,
      ...(c.filter_subject ? {filterSubject: c.filter_subject} : {}),
    },
  }
}

/**
 * JetStream does not count clients. A consumer is taken as attached when it has pull requests waiting, received
 * a delivery recently, or holds unacknowledged messages; a bound push consumer with pending messages is always
 * receiving them, so it shows up through the last two.
 */
function attachedConsumers(c: NatsConsumerState, lastDeliveryAt: Date | undefined, now: number): number {
  if (c.num_waiting > 0) return c.num_waiting
  const recentlyActive = lastDeliveryAt !== undefined && now - lastDeliveryAt.getTime() < RECENTLY_ACTIVE_MS
  return recentlyActive || c.num_ack_pending > 0 ? 1 : 0
}

/** The first message after the ack floor; when it is not the consumer's (another subject, deleted) the age stays unknown. */
async function addHeadAges(
  source: JetStreamLagSource,
  samples: {sample: LagSample; state: NatsConsumerState; stream: TargetInfo}[],
  now: number,
  heads: RecentValues<MessageHead>,
): Promise<void> {
  const lagging = samples.filter((s) => (s.sample.lag ?? 0) > 0).slice(0, MAX_HEAD_READS)
  await Promise.all(
    lagging.map(async ({sample, state, stream}) => {
      // Messages before the stream's first sequence are gone (limits), so the first unprocessed one is after both.
      const firstSeq = typeof stream.details?.firstSeq === 'number' ? stream.details.firstSeq : 0
      const seq = Math.max(state.ack_floor.stream_seq + 1, firstSeq)
      // A stream deleted and made again under its name numbers its messages from 1 again: its creation time tells.
      const head = await headOf(source, heads, state.stream, seq, String(stream.details?.created ?? ''))
      if (!head?.timestamp || typeof head.subject !== 'string') return
      if (state.filter_subject && !subjectMatches(head.subject, state.filter_subject)) return
      sample.lagSeconds = Math.max(0, (now - Date.parse(head.timestamp)) / 1000)
    }),
  )
}

async function headOf(
  source: JetStreamLagSource,
  heads: RecentValues<MessageHead>,
  stream: string,
  seq: number,
  created: string,
): Promise<MessageHead | undefined> {
  const key = `${stream}\u0000${created}\u0000${seq}`
  const known = heads.get(key)
  if (known) return known
  const message = await source.getMessage(stream, seq).catch(() => undefined)
  if (!message) return undefined
  const head = {timestamp: message.timestamp, subject: message.key}
  heads.set(key, head)
  return head
}

/** NATS subject matching: `*` is one token, `>` the rest. */
export function subjectMatches(subject: string, filter: string): boolean {
  const s = subject.split('.')
  const f = filter.split('.')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false
  }
  return s.length === f.length
}

function timeOf(v: unknown): Date | undefined {
  if (typeof v !== 'string') return undefined
  const ms = Date.parse(v)
  // The server sends the zero time for "never".
  return Number.isNaN(ms) || ms <= 0 ? undefined : new Date(ms)
}
