// NATS JetStream adapter: streams are the targets; reads use ordered (non-destructive) or pull (consume) consumers.
import {connect as natsConnect, type NatsConnection, type StreamInfo} from 'nats'
import type {NatsSettings} from '../../model/settings.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {
  BrokerAdapter,
  Capabilities,
  ConnectOptions,
  DeadLetterCapture,
  DeadLetterRoute,
  Delivery,
  LagOptions,
  LagSample,
  PositionedReplaySource,
  PublishOptions,
  PublishReceipt,
  ReadOptions,
  ReplicaHealth,
  PurgeCount,
  RequestOptions,
  ServerInfo,
  TargetInfo,
} from '../types.js'
import {streamHealth} from './replica-health.js'
import {driverErrorOf, MailroomError} from '../../model/errors.js'
import {consumerState, consumerSummary, type NatsConsumerState, present, targetInfoFromStream} from './admin.js'
import {clusterNodes} from './cluster-nodes.js'
import {connectPlan, enableReconnects} from './connect-options.js'
import {advisoryCaptureRoutes, captureAdvisories} from './dead-letter.js'
import {retryJetStreamRequests} from './jetstream-retry.js'
import {jetStreamLag, newHeadCache} from './lag.js'
import {envelopeFromStoredMsg} from './map.js'
import {mapNatsError, type NatsErrorContext, resetCode} from './map-error.js'
import {serversRequireClientCertificate} from './server-info.js'
import {type NatsSession, publishBatchesToNats, resolveRoute} from './publish.js'
import {flatten} from '../batched.js'
import {type OpenReads, readFromNats} from './read.js'
import {requestOverNats} from './request.js'

export type {NatsConsumerState} from './admin.js'

/** How long a server may take to send its INFO when asked whether it requires a client certificate. */
const TLS_VERIFY_PROBE_MS = 2000

export class NatsAdapter implements BrokerAdapter {
  readonly kind = 'nats' as const
  readonly capabilities: Capabilities = {settle: true}

  private session?: NatsSession
  private connecting?: Promise<void>
  private display = ''
  private readonly openReads: OpenReads = new Set()
  /** Stored messages read for lag in seconds (lag.ts). */
  private readonly heads = newHeadCache()
  private streamsInFlight?: Promise<StreamInfo[]>

  constructor(
    private readonly settings: NatsSettings,
    private readonly connectTimeoutMs = 5000,
  ) {}

  connect(o: ConnectOptions = {}): Promise<void> {
    if (this.session) return Promise.resolve()
    this.connecting ??= this.open(o).finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  async close(): Promise<void> {
    const s = this.session
    this.session = undefined
    if (!s) return
    // Reads still open (or waiting for settlements) lose their consumer now: nothing stays on the broker.
    await Promise.all([...this.openReads].map((teardown) => teardown()))
    if (s.nc.isClosed()) return
    // flush() first so fire-and-forget acks and core publishes reach the server.
    await s.nc.flush().catch(() => {})
    await s.nc.close().catch(() => {})
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async serverInfo(): Promise<ServerInfo> {
    const {nc} = this.live()
    const latencyMs = await this.call({op: 'admin'}, () => nc.rtt())
    return {
      product: 'nats-server',
      version: nc.info?.version,
      latencyMs,
      address: nc.getServer(),
      nodes: await clusterNodes(nc),
    }
  }

  async listTargets(): Promise<TargetInfo[]> {
    return (await this.listStreams()).map(targetInfoFromStream)
  }

  /**
   * Every stream's info. Listings in flight are shared: lag, replica health and the target listing ask at the same
   * moment on a dashboard refresh or a `check`.
   */
  private listStreams(): Promise<StreamInfo[]> {
    const {jsm} = this.live()
    this.streamsInFlight ??= this.call({op: 'admin'}, async () => {
      const streams: StreamInfo[] = []
      for await (const si of present(jsm.streams.list())) streams.push(si)
      return streams
    }).finally(() => (this.streamsInFlight = undefined))
    return this.streamsInFlight
  }

  async describeTarget(name: string): Promise<TargetInfo> {
    const {jsm} = this.live()
    const si = await this.call({op: 'admin', stream: name}, () => jsm.streams.info(name))
    const info = targetInfoFromStream(si)
    const consumers = await this.listConsumers(name)
    return {...info, details: {...info.details, consumers: consumers.map(consumerSummary)}}
  }

  /** Every consumer on a stream with its lag fields (num_pending, num_ack_pending, delivered, ack_floor...). */
  async listConsumers(stream: string): Promise<NatsConsumerState[]> {
    const {jsm} = this.live()
    return this.call({op: 'admin', stream}, async () => {
      const rows: NatsConsumerState[] = []
      for await (const ci of present(jsm.consumers.list(stream))) rows.push(consumerState(ci))
      return rows
    })
  }

  /** One row per consumer of every stream: consumer info plus the age of its first unacknowledged message. */
  consumerLag(o: LagOptions = {}): Promise<LagSample[]> {
    return jetStreamLag(this, o, Date.now(), this.heads)
  }

  async replicaHealth(): Promise<ReplicaHealth> {
    return streamHealth(await this.listStreams())
  }

  /** One stored message by stream sequence (STREAM.MSG.GET: leader-answered, read-after-write coherent). */
  async getMessage(stream: string, seq: number): Promise<Envelope> {
    const {jsm} = this.live()
    const m = await this.call({op: 'admin', stream, seq}, () => jsm.streams.getMessage(stream, {seq}))
    return envelopeFromStoredMsg(stream, m)
  }

  /** Removes one message by stream sequence; `erase` overwrites its storage too. NOT_FOUND when absent. */
  async deleteMessage(stream: string, seq: number, erase = false): Promise<void> {
    const {jsm} = this.live()
    await this.call({op: 'admin', stream, seq}, () => jsm.streams.deleteMessage(stream, seq, erase))
  }

  /** A stream is read by sequence up to its last one now; a replayed entry is deleted by sequence. */
  async replaySource(stream: string): Promise<PositionedReplaySource> {
    const {jsm} = this.live()
    const si = await this.call({op: 'admin', stream}, () => jsm.streams.info(stream))
    return {
      kind: 'positioned',
      targetKind: 'stream',
      depth: si.state.messages,
      lastSequence: si.state.last_seq,
      deleteEntry: (seq) => this.deleteMessage(stream, seq),
    }
  }

  /** Streams capturing dead-letter advisories, as routes from the stream they watch. */
  async deadLetterTopology(): Promise<DeadLetterRoute[]> {
    const {jsm} = this.live()
    return this.call({op: 'admin'}, () => advisoryCaptureRoutes(jsm))
  }

  /** A stream capturing MAX_DELIVERIES / MSG_TERMINATED advisories of `source` (idempotent). */
  async captureDeadLetters(source: string, o: {name?: string} = {}): Promise<DeadLetterCapture> {
    const {jsm} = this.live()
    return this.call({op: 'admin', stream: source}, () => captureAdvisories(jsm, source, o.name))
  }

  /** Removes every message of a stream; returns how many were purged. */
  async purge(stream: string): Promise<PurgeCount> {
    const {jsm} = this.live()
    const r = await this.call({op: 'admin', stream}, () => jsm.streams.purge(stream))
    return {purged: r.purged}
  }

  publish(
    target: string,
    msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
    o: PublishOptions = {},
  ): AsyncIterable<PublishReceipt> {
    return flatten(this.publishBatches(target, msgs, o))
  }

  publishBatches(
    target: string,
    msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
    o: PublishOptions = {},
  ): AsyncIterable<PublishReceipt[]> {
    return publishBatchesToNats(this.live(), target, msgs, o)
  }

  /** Checks where publishing to `target` goes (a stream, or a subject some stream captures): NOT_FOUND when nowhere. */
  async preparePublish(target: string): Promise<void> {
    await resolveRoute(this.live(), target, false)
  }

  /** Sends a request to a subject (or a stream's subject) and waits for the reply on a private inbox. */
  request(target: string, envelope: Envelope, o: RequestOptions): Promise<Envelope> {
    return requestOverNats(this.live(), target, envelope, o)
  }

  read(target: string, o: ReadOptions = {}): AsyncIterable<Delivery> {
    return flatten(this.readBatches(target, o), o.signal)
  }

  readBatches(target: string, o: ReadOptions = {}): AsyncIterable<Delivery[]> {
    return readFromNats(this.live(), target, o, this.openReads)
  }

  private async open(o: ConnectOptions): Promise<void> {
    const timeoutMs = o.timeoutMs ?? this.connectTimeoutMs
    const plan = connectPlan(this.settings, timeoutMs)
    this.display = plan.display
    const ctx: NatsErrorContext = {
      op: 'connect',
      servers: plan.display,
      identity: plan.identity,
      timeoutMs,
      clientCertificate: plan.clientCertificate,
      tls: plan.tls,
    }
    let nc: NatsConnection
    try {
      nc = await withDeadline(natsConnect(plan.options), timeoutMs, o.signal, ctx)
    } catch (e) {
      throw await explainTlsReset(e, plan.options.servers, ctx)
    }
    enableReconnects(nc)
    retryJetStreamRequests(nc)
    try {
      // checkAPI: false skips a round trip; a server without JetStream fails on first use with UNSUPPORTED.
      const jsm = await nc.jetstreamManager({checkAPI: false})
      this.session = {nc, js: nc.jetstream(), jsm}
    } catch (e) {
      await nc.close().catch(() => {})
      throw mapNatsError(e, ctx)
    }
  }

  private live(): NatsSession {
    if (!this.session) throw new MailroomError('INTERNAL', 'NATS adapter used before connect() or after close()')
    return this.session
  }

  private async call<T>(ctx: NatsErrorContext, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      throw mapNatsError(e, {servers: this.display, ...ctx})
    }
  }
}

/**
 * A connection reset while TLS was being set up: asks the servers (their plain-text INFO) whether they require a
 * client certificate, so the error says so only when one does; otherwise it names the reset.
 */
async function explainTlsReset(
  e: unknown,
  servers: string | string[] | undefined,
  ctx: NatsErrorContext,
): Promise<unknown> {
  const cause = driverErrorOf(e)
  if (!ctx.tls || ctx.clientCertificate || !resetCode(cause)) return e
  const list = Array.isArray(servers) ? servers : servers ? [servers] : []
  const tlsVerify = await serversRequireClientCertificate(list, TLS_VERIFY_PROBE_MS)
  return mapNatsError(cause, {...ctx, tlsVerify})
}

/** Connects, or fails by the deadline / abort; a connection that arrives late is closed. */
async function withDeadline(
  attempt: Promise<NatsConnection>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  ctx: NatsErrorContext,
): Promise<NatsConnection> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const giveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new MailroomError('CONNECTION', `no answer from ${ctx.servers} within ${timeoutMs} ms`)),
      timeoutMs,
    )
    onAbort = () => reject(new MailroomError('INTERRUPTED', 'connect aborted'))
    if (signal?.aborted) onAbort()
    signal?.addEventListener('abort', onAbort, {once: true})
  })
  try {
    return await Promise.race([attempt.catch((e: unknown) => Promise.reject(mapNatsError(e, ctx))), giveUp])
  } catch (e) {
    void attempt.then((nc) => nc.close()).catch(() => {})
    throw e
  } finally {
    clearTimeout(timer)
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
}
