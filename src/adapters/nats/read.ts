// Reading a stream: an ordered consumer (non-destructive, nothing durable) or, with `consume`, a pull consumer
// with explicit acks. Both stop at the last sequence captured at start when `untilEnd` is set.
import {
  AckPolicy,
  type Consumer,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  Events,
  type JsMsg,
  type NatsConnection,
  nanos,
  nuid,
  type OrderedConsumerOptions,
  RetentionPolicy,
  type StreamInfo,
} from 'nats'
import {type Delivery, type ReadOptions, type Settlement, type StartPosition, noSettlement} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {settledWithin} from '../../model/deadline.js'
import {envelopeFromJsMsg} from './map.js'
import {mapNatsError} from './map-error.js'
import type {NatsSession} from './publish.js'

/**
 * Reads whose consumer is still on the broker (open, or waiting for handed-out deliveries to be settled). close()
 * of the adapter runs each entry, which removes the consumer at once.
 */
export type OpenReads = Set<() => Promise<void>>

/** Most messages per fetch of a non-destructive read (fetches are sequential: each costs a round trip). */
const ORDERED_BATCH = 4096
/**
 * Fewest messages per fetch. A fetch larger than the reader takes in one go leaves messages waiting, and held messages
 * survive garbage collections: on the local broker a 20k-message tail took 1.5x as long with fetches of 2048 as with
 * 256 (bench/messaging.mjs). Only a longer round trip needs more per fetch (fetchSize).
 */
const MIN_FETCH = 256
/** About how many messages a reader takes per millisecond: a fetch should last at least one round trip. */
const MESSAGES_PER_MS = 64
/** About this many bytes per fetch, judged by the stream's average message size. */
const FETCH_BYTES = 8 * 1024 * 1024
/** A fetch that finds nothing ends after this; the next one starts at once (a live tail stays live). */
const FETCH_EXPIRES_MS = 5000
const DEFAULT_CONSUME_PREFETCH = 256
// Backstop only: an ephemeral consumer left by a killed process disappears after this much inactivity.
const EPHEMERAL_INACTIVE_MS = 60_000
const SETTLE_TIMEOUT_MS = 10_000
/** A read gives up after this long without a message while its stream holds more, or without an answer. */
const STALL_LIMIT_MS = 60_000
/** How long the stream has to say where it ends after an empty fetch. */
const STREAM_CHECK_MS = 10_000
/** How long nats.js may take to start a fetch (it recreates a lost consumer inside, for ever if it must). */
const FETCH_START_LIMIT_MS = 15_000
const REOPEN_PAUSE_MS = 1000

/** Where an ordered consumer starts again when the one read from is lost, and how to tell that it is. */
interface Reopen {
  stream: string
  /** Where the read started (used while nothing was read yet). */
  start: Partial<OrderedConsumerOptions>
  /** The stream sequence the read stands after while nothing was read yet (undefined: not known). */
  startsAfter?: number
  open(start: Partial<OrderedConsumerOptions>): Promise<Consumer>
  /** The stream's last sequence and message count, as its leader says. */
  streamEnd(): Promise<{lastSeq: number; messages: number}>
  /**
   * The read stops at the end captured at its start: once the stream holds nothing past what was read (the rest was
   * deleted after the last message came, so none said "nothing pending"), the feed ends instead of waiting.
   */
  untilEnd?: boolean
}

/** nats.js did not start a fetch in time: its consumer is gone and it is still trying to make one. */
class ConsumerLost extends Error {}

/** The promise's value, or undefined once `ms` passed. */
/** What a read iterates: the messages the client holds, a batch at a time. */
interface Feed {
  batches(): AsyncIterable<JsMsg[]>
  /** Stops asking the server for more. */
  stop(): void
}

interface Source {
  feed: Feed
  /** Messages the consumer had to deliver when it was created. */
  initialPending: number
  delivery(m: JsMsg): Delivery
  /** Hands back a message read past the end so it is not held until ack_wait. */
  skip(m: JsMsg): void
  /** The read is over: stop pulling and remove the consumer as soon as nothing handed out needs it. */
  finish(): Promise<void>
}

/**
 * With `consume`, `group` names a durable pull consumer that stays on the broker; without it the pull consumer is
 * ephemeral and removed once its deliveries are settled (or on close()). A non-destructive read yields what has
 * arrived as one batch, so the caller pays its per-item costs once per batch; a consuming read one message at a time.
 */
export async function* readFromNats(
  s: NatsSession,
  stream: string,
  o: ReadOptions,
  reads: OpenReads,
): AsyncGenerator<Delivery[]> {
  const si = await streamInfo(s, stream)
  if (!o.consume && si.config.retention === RetentionPolicy.Workqueue) {
    throw new MailroomError(
      'UNSUPPORTED',
      `stream "${stream}" is a work queue: JetStream cannot read it without consuming`,
      {
        suggestions: ['Read single messages by sequence (peek), or consume'],
      },
    )
  }
  const end = o.untilEnd ? si.state.last_seq : undefined
  if (o.untilEnd && nothingToRead(si, o.from)) return
  const source = o.consume
    ? await openPullSource(s, stream, o, reads)
    : await openOrderedSource(s, stream, o, reads, si)
  o.onPositioned?.()
  const stop = () => source.feed.stop()
  o.signal?.addEventListener('abort', stop, {once: true})
  try {
    if (o.signal?.aborted || (end !== undefined && source.initialPending === 0)) return
    for await (const messages of source.feed.batches()) {
      const batch: Delivery[] = []
      let ended = false
      for (const m of messages) {
        if (end !== undefined && m.seq > end) {
          source.skip(m)
          ended = true
          break
        }
        batch.push(source.delivery(m))
        ended = end !== undefined && (m.seq >= end || m.info.pending === 0)
        if (ended) break
      }
      if (batch.length > 0) yield batch
      if (ended) break
    }
  } catch (e) {
    throw mapNatsError(e, {op: 'read', stream})
  } finally {
    o.signal?.removeEventListener('abort', stop)
    await source.finish()
  }
}

async function streamInfo(s: NatsSession, stream: string): Promise<StreamInfo> {
  try {
    return await s.jsm.streams.info(stream)
  } catch (e) {
    throw mapNatsError(e, {op: 'read', stream})
  }
}

function nothingToRead(si: StreamInfo, from: StartPosition | undefined): boolean {
  if (si.state.messages === 0 || from?.kind === 'latest') return true
  return from?.kind === 'offset' && from.value > BigInt(si.state.last_seq)
}

function deliverFrom(from: StartPosition | undefined): Partial<ConsumerConfig> {
  switch (from?.kind) {
    case undefined:
    case 'earliest':
      return {deliver_policy: DeliverPolicy.All}
    case 'latest':
      return {deliver_policy: DeliverPolicy.New}
    case 'offset':
      // Stream sequences start at 1.
      return {deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, Number(from.value))}
    case 'time':
      return {deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.value.toISOString()}
  }
}

/** The ordered consumer derives its own deliver policy (it rejects "all" combined with its start sequence). */
function orderedStart(from: StartPosition | undefined): Partial<OrderedConsumerOptions> {
  switch (from?.kind) {
    case undefined:
    case 'earliest':
      return {}
    case 'latest':
      return {deliver_policy: DeliverPolicy.New}
    case 'offset':
      return {opt_start_seq: Math.max(1, Number(from.value))}
    case 'time':
      return {opt_start_time: from.value.toISOString()}
  }
}

async function openOrderedSource(
  s: NatsSession,
  stream: string,
  o: ReadOptions,
  reads: OpenReads,
  si: StreamInfo,
): Promise<Source> {
  let feed: FetchFeed
  let initialPending: number
  try {
    const start = orderedStart(o.from)
    const open = (from: Partial<OrderedConsumerOptions>) => orderedConsumer(s, stream, from)
    const streamEnd = async () => {
      const {state} = await s.jsm.streams.info(stream)
      return {lastSeq: state.last_seq, messages: state.messages}
    }
    const [roundTripMs, consumer] = await Promise.all([s.nc.rtt(), open(start)])
    const batch = fetchSize(si, o.prefetch ?? ORDERED_BATCH, roundTripMs)
    feed = await FetchFeed.start(consumer, batch, {
      stream,
      start,
      startsAfter: startsAfter(o.from, si),
      open,
      streamEnd,
      untilEnd: o.untilEnd,
    })
    initialPending = (await consumer.info(true)).num_pending
  } catch (e) {
    throw mapNatsError(e, {op: 'read', stream})
  }
  const removeConsumer = registerOpenRead(reads, feed, () => feed.deleteConsumer())
  const reconnects = onReconnect(s.nc, () => feed.connectionMoved())
  return {
    feed,
    initialPending,
    delivery: (m) => ({envelope: envelopeFromJsMsg(m), settle: noSettlement}),
    skip: () => {},
    finish: () => (reconnects.stop(), removeConsumer()),
  }
}

/** Calls `moved` each time the connection comes back on a server (after losing one); stop() ends the watch. */
function onReconnect(nc: NatsConnection, moved: () => void): {stop(): void} {
  const statuses = nc.status() as AsyncIterable<{type: string}> & {stop(): void}
  void (async () => {
    for await (const status of statuses) if (status.type === Events.Reconnect) moved()
  })()
  return {stop: () => statuses.stop()}
}

/** The last stream sequence a read from `from` does not deliver (for a start time: the end at the start). */
function startsAfter(from: StartPosition | undefined, si: StreamInfo): number {
  switch (from?.kind) {
    case undefined:
    case 'earliest':
      return 0
    case 'offset':
      return Math.max(0, Number(from.value) - 1)
    case 'latest':
    case 'time':
      return si.state.last_seq
  }
}

async function orderedConsumer(s: NatsSession, stream: string, start: Partial<OrderedConsumerOptions>) {
  const consumer = await s.js.consumers.get(stream, start)
  failFirstCreateAtOnce(consumer)
  return consumer
}

/**
 * Messages per fetch: enough to last a round trip to the server, at least MIN_FETCH, at most the batch asked for
 * and fewer where the stream's messages are large on average, so a fetch holds about FETCH_BYTES (nats.js takes a
 * message count or a byte limit, not both).
 */
function fetchSize(si: StreamInfo, batch: number, roundTripMs: number): number {
  const averageBytes = si.state.messages > 0 ? si.state.bytes / si.state.messages : 0
  const forRoundTrip = Math.max(MIN_FETCH, Math.ceil(roundTripMs * MESSAGES_PER_MS))
  return Math.max(1, Math.min(forRoundTrip, batch, Math.floor(FETCH_BYTES / Math.max(1, averageBytes))))
}

/**
 * An ordered consumer read by successive fetches, its messages taken by callback. consume() asks for more as
 * messages arrive, not as they are taken, so a reader slower than the server piles up the whole stream in memory (and
 * the garbage collector's work grows with it). Here the next fetch starts when one ends and at most one fetch's worth
 * waits; otherwise once the reader has taken what waits. By callback, because a fetch's iterator ends as soon as
 * the fetch does and drops what the reader had not taken yet (nats.js 2.29, ordered consumers).
 */
class FetchFeed implements Feed {
  private waiting: JsMsg[] = []
  private arrivals = 0
  private lastSeq?: number
  /** When the read last made progress: a message, or its stream saying there is nothing new. */
  private progressAt = performance.now()
  /** Bumped when the consumer is replaced: what the lost one still delivers is dropped. */
  private generation = 0
  /** The stream's end for which the consumer was last replaced, until a message arrives. */
  private replacedForEnd?: number
  /** The connection moved since the fetch began: the consumer may have been on the server lost. */
  private moved = false
  private roundLimit?: NodeJS.Timeout
  private wake?: () => void
  private round?: ConsumerMessages
  private fetching = false
  private failure?: unknown
  private stopped = false
  /** An until-end read found nothing left to read: the batches end. */
  private drained = false

  private constructor(
    private consumer: Consumer,
    private readonly batch: number,
    private readonly reopen: Reopen,
  ) {}

  /** Starts the first fetch, which creates the consumer (and reports its errors) before reading begins. */
  static async start(consumer: Consumer, batch: number, reopen: Reopen): Promise<FetchFeed> {
    const feed = new FetchFeed(consumer, batch, reopen)
    await feed
      .fetch()
      .catch((error: unknown) => (error instanceof ConsumerLost ? feed.replaceConsumer() : Promise.reject(error)))
    return feed
  }

  deleteConsumer(): Promise<unknown> {
    return this.consumer.delete()
  }

  async *batches(): AsyncGenerator<JsMsg[]> {
    for (;;) {
      if (this.waiting.length > 0) {
        const batch = this.waiting
        this.waiting = []
        yield batch
        continue
      }
      if (this.failure !== undefined) throw this.failure
      if (this.stopped || this.drained) return
      if (!this.fetching) this.inBackground(() => this.fetch())
      await new Promise<void>((resolve) => (this.wake = resolve))
    }
  }

  stop(): void {
    this.stopped = true
    this.round?.stop()
    this.notify()
  }

  /** The connection moved to another server: the stream is asked now, not when the fetch expires. */
  connectionMoved(): void {
    this.moved = true
    this.round?.stop()
  }

  private async fetch(): Promise<void> {
    this.fetching = true
    this.arrivals = 0
    const generation = this.generation
    const callback = (m: JsMsg) => {
      if (generation === this.generation) this.arrive(m)
    }
    // `callback` is nats.js's own (undeclared) option: see the class comment.
    const options = {max_messages: this.batch, expires: FETCH_EXPIRES_MS, callback}
    const asked = this.consumer.fetch(options)
    const round = await settledWithin(asked, FETCH_START_LIMIT_MS)
    if (round === undefined) throw new ConsumerLost()
    this.round = round
    // nats.js ends a fetch the server stopped answering after its expiry; this is the backstop if it does not.
    this.roundLimit = setTimeout(() => round.stop(), 2 * FETCH_EXPIRES_MS).unref()
    void round.closed().then((error) => this.roundEnded(error))
    // Stopped while the fetch was being asked for: end it now rather than when it expires.
    if (this.stopped) round.stop()
  }

  /** Runs a step that ends in a fetch; a consumer lost on the way is replaced, any other error ends the read. */
  private inBackground(step: () => Promise<void>): void {
    this.fetching = true
    step()
      .catch((error: unknown) => (error instanceof ConsumerLost ? this.replaceConsumer() : Promise.reject(error)))
      .catch((error: unknown) => {
        this.fetching = false
        this.failure ??= error
        this.notify()
      })
  }

  private roundEnded(error: void | Error): void {
    clearTimeout(this.roundLimit)
    this.fetching = false
    if (error) this.failure ??= error
    else if (!this.stopped && this.waiting.length < this.batch) {
      if (this.arrivals > 0 && !this.moved) this.inBackground(() => this.fetch())
      else this.inBackground(() => this.checkThenFetch())
    }
    this.moved = false
    this.notify()
  }

  /**
   * An empty fetch: nothing new, or the consumer is lost. An ordered consumer has one replica, in memory, on one
   * server; when that server dies nats.js may fetch from the lost consumer for ever (it is never reported "not
   * found"), or keep trying to recreate it inside its fetch (its own info() then answers for a consumer that
   * delivers nothing). So the stream is asked where it ends: one that ends past what was read means the consumer is
   * lost, and a new one is made from the next sequence, on a server that is up.
   */
  private async checkThenFetch(): Promise<void> {
    const end = await settledWithin(this.reopen.streamEnd(), STREAM_CHECK_MS).catch(() => undefined)
    const lost = end === undefined || this.holdsUnread(end)
    if (lost) return this.replaceConsumer()
    this.progressAt = performance.now()
    if (this.reopen.untilEnd) {
      // Nothing past what was read (or only deleted sequences before the stream's end): an until-end read is done.
      this.drained = true
      this.fetching = false
      this.notify()
      return
    }
    return this.fetch()
  }

  /**
   * Whether the stream holds messages past what was read. Unless a new consumer, made for the same end, found
   * nothing either: the messages in between were deleted, and only a new end is worth another look.
   */
  private holdsUnread(end: {lastSeq: number; messages: number}): boolean {
    const position = this.lastSeq ?? this.reopen.startsAfter
    if (position === undefined || end.messages === 0 || end.lastSeq <= position) return false
    if (this.replacedForEnd === end.lastSeq) return false
    this.replacedForEnd = end.lastSeq
    return true
  }

  /** Until STALL_LIMIT_MS passed without progress: then the read fails instead of waiting for ever. */
  private async replaceConsumer(): Promise<void> {
    for (;;) {
      if (this.stopped) return
      if (performance.now() - this.progressAt > STALL_LIMIT_MS) throw this.stalled()
      this.generation++
      this.consumer.delete().catch(() => {})
      const start = this.lastSeq === undefined ? this.reopen.start : {opt_start_seq: this.lastSeq + 1}
      try {
        this.consumer = await this.reopen.open(start)
        await this.fetch()
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, REOPEN_PAUSE_MS).unref())
      }
    }
  }

  private stalled(): MailroomError {
    const seconds = Math.round(STALL_LIMIT_MS / 1000)
    return new MailroomError(
      'TIMEOUT',
      `stream "${this.reopen.stream}": no message for ${seconds} s while it holds more, or no answer from it (a server of the cluster may be down, or the stream has no leader)`,
      {
        suggestions: [
          'Check the cluster with: mailroom ping nats',
          'A replay stopped here can be resumed with --resume',
        ],
      },
    )
  }

  private arrive(m: JsMsg): void {
    this.arrivals++
    this.replacedForEnd = undefined
    this.lastSeq = m.seq
    this.progressAt = performance.now()
    this.waiting.push(m)
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

/**
 * The pull consumer's own iterator, one message at a time: waiting for more to fill a batch could wait forever,
 * as the server sends no more than max_ack_pending before the ones held are settled.
 */
function consumedFeed(messages: ConsumerMessages): Feed {
  return {
    async *batches() {
      for await (const m of messages) yield [m]
    },
    stop: () => messages.stop(),
  }
}

/**
 * nats.js retries creating an ordered consumer up to 30 times with backoff, hiding errors such as permissions
 * for minutes; on the first attempt we want the server's answer at once.
 */
function failFirstCreateAtOnce(consumer: Consumer): void {
  const ordered = consumer as Consumer & {maxInitialReset?: number}
  if (typeof ordered.maxInitialReset === 'number') ordered.maxInitialReset = 0
}

async function openPullSource(s: NatsSession, stream: string, o: ReadOptions, reads: OpenReads): Promise<Source> {
  const prefetch = o.prefetch ?? DEFAULT_CONSUME_PREFETCH
  const name = o.group ?? `mailroom_${nuid.next()}`
  let consumer: Consumer
  let messages: ConsumerMessages
  let initialPending: number
  try {
    const info = await ensurePullConsumer(s, stream, name, o, prefetch)
    initialPending = info.num_pending
    consumer = await s.js.consumers.get(stream, name)
    messages = await consumer.consume({max_messages: prefetch, abort_on_missing_resource: true})
  } catch (e) {
    throw mapNatsError(e, {op: 'read', stream, consumer: name})
  }
  const feed = consumedFeed(messages)
  const removeConsumer = registerOpenRead(reads, feed, async () => {
    if (!o.group) await s.jsm.consumers.delete(stream, name)
  })
  const unsettled = new UnsettledCount(s)
  return {
    feed,
    initialPending,
    delivery: (m) => ({envelope: envelopeFromJsMsg(m), settle: unsettled.track(m)}),
    skip: (m) => m.nak(),
    async finish() {
      feed.stop()
      // Deleting now would make later settlements of handed-out deliveries meaningless: wait for the last one.
      if (unsettled.idle) await removeConsumer()
      else unsettled.onIdle = removeConsumer
    },
  }
}

async function ensurePullConsumer(s: NatsSession, stream: string, name: string, o: ReadOptions, prefetch: number) {
  if (o.group) {
    try {
      return await s.jsm.consumers.info(stream, name)
    } catch (e) {
      if (mapNatsError(e, {op: 'read', stream, consumer: name}).code !== 'NOT_FOUND') throw e
    }
  }
  return s.jsm.consumers.add(stream, {
    ...(o.group ? {durable_name: name} : {name, inactive_threshold: nanos(EPHEMERAL_INACTIVE_MS)}),
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: prefetch,
    ...deliverFrom(o.from),
  })
}

/**
 * Registers a read in `reads` and returns its idempotent teardown: stop pulling, delete the consumer (best effort:
 * an ephemeral one also expires on its own), unregister.
 */
function registerOpenRead(reads: OpenReads, feed: Feed, deleteConsumer: () => Promise<unknown>): () => Promise<void> {
  let done: Promise<void> | undefined
  const teardown = () => {
    done ??= (async () => {
      // stop(), not close(): close() waits for an iteration that never comes once the loop has exited.
      feed.stop()
      await deleteConsumer().catch(() => {})
      reads.delete(teardown)
    })()
    return done
  }
  reads.add(teardown)
  return teardown
}

/** Counts deliveries handed out but not yet settled, so the consumer is removed only after the last one. */
class UnsettledCount {
  private count = 0
  /** Runs when the last handed-out delivery is settled. */
  onIdle?: () => Promise<void>

  constructor(private readonly session: NatsSession) {}

  get idle(): boolean {
    return this.count === 0
  }

  track(m: JsMsg): (how: Settlement) => Promise<void> {
    this.count++
    let settled = false
    return async (how) => {
      if (settled) return
      settled = true
      try {
        await settleMessage(this.session, m, how)
      } catch (e) {
        throw mapNatsError(e, {op: 'read', stream: m.info.stream})
      } finally {
        this.count--
        if (this.count === 0) await this.onIdle?.()
      }
    }
  }
}

const SETTLE_PAYLOAD = {requeue: new TextEncoder().encode('-NAK'), reject: new TextEncoder().encode('+TERM')}

/**
 * Settles with a reply requested, so the promise resolves once the server has applied it. Without that, deleting
 * the consumer right after the last settle races with the server and loses the settlement. nats.js offers this
 * only for ack (ackAck); nak / term send the same protocol message to the delivery's reply subject.
 */
async function settleMessage(s: NatsSession, m: JsMsg, how: Settlement): Promise<void> {
  if (how === 'ack') {
    await m.ackAck({timeout: SETTLE_TIMEOUT_MS})
    return
  }
  const reply = (m as JsMsg & {reply?: string}).reply
  if (!reply) throw new MailroomError('PROTOCOL', `delivery of sequence ${m.seq} has no reply subject to settle on`)
  await s.nc.request(reply, SETTLE_PAYLOAD[how], {timeout: SETTLE_TIMEOUT_MS})
}
