// The RabbitMQ adapter: AMQP 0-9-1 through amqplib for messages, the management HTTP API for listings and stats.
import type {Channel, ChannelModel, ConfirmChannel} from 'amqplib'
import {amqp} from './driver.js'
import type {RabbitMqSettings} from '../../model/settings.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {
  AttachedConsumer,
  BrokerAdapter,
  Capabilities,
  ConnectOptions,
  DeadLetterRoute,
  Delivery,
  LagOptions,
  LagSample,
  PeekOptions,
  PeekResult,
  PositionedReplaySource,
  PublishOptions,
  PublishReceipt,
  QueueHoldings,
  QueueReplaySource,
  ReadOptions,
  ReplicaHealth,
  PurgeCount,
  RequestOptions,
  ServerInfo,
  TargetInfo,
} from '../types.js'
import {queueHealth} from './replica-health.js'
import {MailroomError} from '../../model/errors.js'
import {deadLetterRoutes} from './dead-letter.js'
import {clusterNodes} from './cluster-nodes.js'
import {amqpConnectOptions, amqpSocketOptions, endpointsFromSettings, type RabbitMqEndpoint} from './endpoint.js'
import {queueLag, streamHead} from './lag.js'
import {type ManagementConsumer, type ManagementQueue, ManagementClient} from './management.js'
import type {QueueType} from './map.js'
import {type ErrorContext, timeout, toMailroomError} from './map-error.js'
import {takeCounted} from './held.js'
import {peekQueue} from './peek.js'
import {flatten} from '../batched.js'
import {DEFAULT_PUBLISH_WINDOW, type PublishFailover, type PublishRoute, publishEnvelopes} from './publisher.js'
import {type ReadDeps, type ReadFailover, readConsume, readStream, readTail} from './readers.js'
import {requestReply} from './request.js'
import {targetInfoFromQueue} from './stats.js'

export class RabbitMqAdapter implements BrokerAdapter {
  readonly kind = 'rabbitmq' as const
  readonly capabilities: Capabilities = {settle: true}

  /** One per node of the cluster (a single broker has one); `current` is the one connected to, or tried first. */
  private readonly endpoints: RabbitMqEndpoint[]
  private current = 0
  private readonly management: ManagementClient
  private model: ChannelModel | undefined
  private closing: Promise<void> | undefined
  private connecting?: Promise<void>
  private blocked: Promise<void> | undefined
  /** Publishers opened ahead of their first message (preparePublish), by queue; closing the connection closes them. */
  private readonly preparedPublishers = new Map<string, Promise<Publisher>>()
  private unblock: (() => void) | undefined
  /** The node each connection went to, and the connections that closed (lost, or closed by close()). */
  private readonly nodeOf = new WeakMap<ChannelModel, number>()
  private readonly closed = new WeakSet<ChannelModel>()
  private readonly closedByClient = new WeakSet<ChannelModel>()

  constructor(
    private readonly settings: RabbitMqSettings,
    private readonly connectTimeoutMs = 5000,
  ) {
    this.endpoints = endpointsFromSettings(settings)
    this.management = new ManagementClient(this.endpoints[0], connectTimeoutMs)
  }

  private get endpoint(): RabbitMqEndpoint {
    return this.endpoints[this.current]
  }

  // ---------------------------------------------------------------------------------------------------------
  // Connection

  /** Idempotent, also when called concurrently: callers share one connection attempt. */
  connect(o: ConnectOptions = {}): Promise<void> {
    if (this.model) return Promise.resolve()
    this.connecting ??= this.open(o).finally(() => (this.connecting = undefined))
    return this.connecting
  }

  /**
   * Connects to the node last used, else to the cluster's next nodes in turn: a node that refuses or does not answer
   * in time is skipped; any other failure (authentication, TLS) is the same on every node and is reported at once.
   */
  private async open(o: ConnectOptions): Promise<void> {
    let firstFailure: MailroomError | undefined
    for (let tried = 0; tried < this.endpoints.length; tried++) {
      const index = (this.current + tried) % this.endpoints.length
      try {
        return this.adopt(await this.openEndpoint(index, o), index)
      } catch (error) {
        const failure = toMailroomError(error, this.errorContext())
        if ((failure.code !== 'CONNECTION' && failure.code !== 'TIMEOUT') || o.signal?.aborted)
          throw firstFailure ?? failure
        firstFailure ??= failure
      }
    }
    throw firstFailure
  }

  private openEndpoint(index: number, o: ConnectOptions): Promise<ChannelModel> {
    const timeoutMs = o.timeoutMs ?? this.connectTimeoutMs
    const endpoint = this.endpoints[index]
    const ctx = {...this.errorContext(), address: endpoint.address, timeoutMs, connecting: true}
    const attempt = amqp.connect(amqpConnectOptions(endpoint), amqpSocketOptions(this.settings, timeoutMs))
    return withDeadline(attempt, timeoutMs, o.signal, ctx)
  }

  private adopt(model: ChannelModel, index: number): void {
    this.current = index
    this.model = model
    this.nodeOf.set(model, index)
    this.closing = undefined
    model.on('error', () => {}) // a broken connection surfaces through the operation that uses it
    model.on('close', () => {
      this.closed.add(model)
      this.forget(model)
    })
    model.on('blocked', () => this.onBlocked())
    model.on('unblocked', () => this.onUnblocked())
  }

  close(): Promise<void> {
    const model = this.model
    if (!model) return this.closing ?? Promise.resolve()
    this.closedByClient.add(model)
    this.forget(model)
    this.closing = model.close().catch(() => {})
    return this.closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async serverInfo(): Promise<ServerInfo> {
    const model = this.connected()
    const started = performance.now()
    await this.withChannel((ch) => ch.checkExchange('amq.direct'))
    const latencyMs = Math.round((performance.now() - started) * 100) / 100
    const props = model.connection.serverProperties
    // Without the management API the nodes are unknown, which is no reason to call the broker down.
    const nodes = await clusterNodes(this.management, this.endpoint).catch(() => undefined)
    return {
      product: String(props.product ?? 'RabbitMQ'),
      version: props.version,
      latencyMs,
      address: this.endpoint.address,
      nodes,
    }
  }

  /**
   * After `lost` closed under a read or publish that goes on: a connection to the next node that answers (the lost
   * one last: it may be back), tried again every RECONNECT_PAUSE_MS for RECONNECT_DEADLINE_MS. Every user of the
   * lost connection shares the new one. Undefined when there is nowhere else to go or nothing was lost: one node, a
   * connection still open (a channel closed for its own reason), or one this client closed.
   */
  private async failover(lost: ChannelModel, signal: AbortSignal | undefined): Promise<Failover | undefined> {
    if (this.endpoints.length < 2 || signal?.aborted) return undefined
    // A connection closes its channels before it emits its own close, in the same tick.
    await new Promise((resolve) => setImmediate(resolve))
    if (!this.closed.has(lost) || this.closedByClient.has(lost)) return undefined
    const lostIndex = this.nodeOf.get(lost) ?? this.current
    if (!this.model && this.current === lostIndex) this.current = (lostIndex + 1) % this.endpoints.length
    const deadline = Date.now() + RECONNECT_DEADLINE_MS
    for (;;) {
      try {
        await this.connect({signal})
        const model = this.connected()
        return {model, from: this.endpoints[lostIndex].address, to: this.endpoint.address}
      } catch (error) {
        const failure = toMailroomError(error, this.errorContext())
        const retry = (failure.code === 'CONNECTION' || failure.code === 'TIMEOUT') && !signal?.aborted
        if (!retry || Date.now() >= deadline) throw this.noNodeLeft(lostIndex, failure)
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_PAUSE_MS))
      }
    }
  }

  private noNodeLeft(lostIndex: number, failure: MailroomError): MailroomError {
    if (failure.code !== 'CONNECTION' && failure.code !== 'TIMEOUT') return failure
    const nodes = this.endpoints.map((e) => e.address).join(', ')
    return new MailroomError(
      'CONNECTION',
      `lost the connection to RabbitMQ node ${this.endpoints[lostIndex].address} and no node answered within ${RECONNECT_DEADLINE_MS / 1000} s (tried ${nodes})`,
      {cause: failure, suggestions: failure.suggestions},
    )
  }

  // ---------------------------------------------------------------------------------------------------------
  // Targets and stats

  async listTargets(): Promise<TargetInfo[]> {
    const queues = await this.mgmt(() => this.management.listQueues())
    return queues.map(targetInfoFromQueue)
  }

  async describeTarget(name: string): Promise<TargetInfo> {
    await this.checkQueue(name)
    try {
      return targetInfoFromQueue(await this.management.getQueue(name))
    } catch (error) {
      const mapped = toMailroomError(error, this.errorContext(`queue ${name}`))
      if (mapped.code !== 'CONNECTION') throw mapped
      return targetInfoFromCheck(name, await this.checkQueue(name), mapped)
    }
  }

  async replicaHealth(): Promise<ReplicaHealth> {
    return this.mgmt(() => queueHealth(this.management))
  }

  /** Every queue of the vhost from one management listing; stream queues also get their head's age. */
  async consumerLag(o: LagOptions = {}): Promise<LagSample[]> {
    return this.mgmt(() =>
      queueLag(this.management, (queue, signal) => streamHead(this.readDeps(queue, 'stream'), signal), o),
    )
  }

  // ---------------------------------------------------------------------------------------------------------
  // Messages

  publish(
    target: string,
    msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
    o: PublishOptions = {},
  ): AsyncIterable<PublishReceipt> {
    return flatten(this.publishBatches(target, msgs, o))
  }

  /**
   * Checks the queue and opens the confirm channel for publishing to it while other work goes on (a replay reading its
   * first messages): the next publishBatches to that queue starts at once. Errors surface on publish.
   */
  async preparePublish(target: string): Promise<void> {
    if (!this.preparedPublishers.has(target)) {
      const publisher = this.openPublisher(target, undefined)
      publisher.catch(() => {})
      this.preparedPublishers.set(target, publisher)
    }
    await this.preparedPublishers.get(target)
  }

  private async openPublisher(target: string, exchange: string | undefined): Promise<Publisher> {
    const route = await this.routeFor(target, exchange)
    const model = this.connected()
    const channel = await this.call(() => model.createConfirmChannel())
    return {route, channel, model}
  }

  /** With onFailover: confirm channels on another node each time the publisher's connection is lost. */
  private publishFailover(model: ChannelModel, o: PublishOptions): PublishFailover | undefined {
    if (!o.onFailover || this.endpoints.length < 2) return undefined
    let current = model
    const fresh = () => this.call(() => current.createConfirmChannel())
    const lost = async () => {
      const next = await this.failover(current, o.signal)
      if (!next) return undefined
      current = next.model
      return {channel: await fresh(), from: next.from, to: next.to}
    }
    return {lost, fresh}
  }

  /** A publisher prepared for the queue (taken: each serves one publish), or a new one. */
  private takePublisher(target: string, exchange: string | undefined): Promise<Publisher> {
    const prepared = exchange === undefined ? this.preparedPublishers.get(target) : undefined
    if (!prepared) return this.openPublisher(target, exchange)
    this.preparedPublishers.delete(target)
    return prepared
  }

  async *publishBatches(
    target: string,
    msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
    o: PublishOptions = {},
  ): AsyncGenerator<PublishReceipt[]> {
    const {route, channel, model} = await this.takePublisher(target, o.exchange)
    try {
      // Closes any channel it moves to after a failover; the one given is closed below.
      yield* publishEnvelopes(msgs, {
        channel,
        route,
        username: this.endpoint.username,
        window: Math.max(1, o.window ?? DEFAULT_PUBLISH_WINDOW),
        signal: o.signal,
        blocked: () => this.blocked,
        failover: this.publishFailover(model, o),
        onFailover: o.onFailover,
      })
    } catch (error) {
      throw toMailroomError(
        error,
        this.errorContext(o.exchange === undefined ? `queue ${target}` : `exchange ${o.exchange}`),
      )
    } finally {
      await channel.close().catch(() => {})
    }
  }

  read(target: string, o: ReadOptions = {}): AsyncIterable<Delivery> {
    return flatten(this.readBatches(target, o), o.signal)
  }

  /** What the channel has buffered is handed over at once: a batch per wake-up, not an async step per message. */
  async *readBatches(target: string, o: ReadOptions = {}): AsyncGenerator<Delivery[]> {
    const queue = await this.queueTypeOf(target, Boolean(o.consume))
    const deps = this.readDeps(target, queue, o.consume ? undefined : o.signal, o.onFailover)
    if (queue === 'stream') {
      if (o.consume) throw streamNotConsumable(target)
      yield* readStream(deps, o)
    } else if (o.consume) {
      yield* readConsume(deps, o)
    } else {
      yield* readTail(deps, o)
    }
  }

  /**
   * The first `count` messages of a queue, left in place. Classic queues: basic.get + requeue (they come back
   * marked redelivered). Quorum queues with a delivery limit are refused unless `force`. Streams: from offset 0.
   */
  async peek(target: string, o: PeekOptions): Promise<PeekResult> {
    await this.checkQueue(target)
    const queue = await this.mgmt(() => this.management.getQueue(target), `queue ${target}`)
    return peekQueue(this.readDeps(target, queueTypeOf(queue)), queue, o)
  }

  /** Publishes a request with direct reply-to and waits for the reply carrying its correlation id. */
  async request(target: string, envelope: Envelope, o: RequestOptions): Promise<Envelope> {
    const label = o.exchange === undefined ? `queue ${target}` : `exchange ${o.exchange}`
    const route = await this.routeFor(target, o.exchange)
    const ctx = {
      model: this.connected(),
      route,
      username: this.endpoint.username,
      label,
      errorContext: this.errorContext(label),
      blocked: () => this.blocked,
    }
    return requestReply(ctx, envelope, o)
  }

  /** The queue's consumers by tag, channel and client, from the management API (AMQP counts them only). */
  async attachedConsumers(target: string): Promise<AttachedConsumer[]> {
    const consumers = await this.mgmt(() => this.management.queueConsumers(target), `queue ${target}`)
    return consumers.map(attachedConsumer)
  }

  /** Queues that name a dead-letter exchange, and the queues bound behind it (management API). */
  async deadLetterTopology(): Promise<DeadLetterRoute[]> {
    return this.mgmt(() => deadLetterRoutes(this.management))
  }

  /** Ready messages in a queue now, from AMQP (the management API's figures lag by its statistics interval). */
  async exactDepth(target: string): Promise<number> {
    return (await this.checkQueue(target)).messageCount
  }

  /**
   * Ready messages from AMQP (exact, now) and unacknowledged ones from the management API, whose figures are a
   * statistics interval old: the larger of ready-now plus unacked and the sampled total, so that neither messages
   * still held by a closing peek nor a sample taken before they were requeued hides any. Without the management
   * API only ready messages are known.
   */
  async queueHoldings(target: string): Promise<QueueHoldings> {
    const ready = await this.exactDepth(target)
    const sampled = await this.management.getQueue(target).catch(() => undefined)
    const total = Math.max(ready + (sampled?.messages_unacknowledged ?? 0), sampled?.messages ?? 0)
    return {ready, total}
  }

  /**
   * A stream queue is read by offset and keeps what is read; a classic or quorum queue is consumed, its bound what
   * it holds counting messages unacknowledged now (a peek still returning them: they come back).
   */
  async replaySource(target: string): Promise<QueueReplaySource | PositionedReplaySource> {
    const info = await this.describeTarget(target)
    const depth = info.depth === undefined ? {} : {depth: info.depth}
    if (info.kind === 'stream-queue')
      return {
        kind: 'positioned',
        targetKind: info.kind,
        ...depth,
        keeps: 'a stream queue never removes messages on read',
      }
    const holdings = () => this.queueHoldings(target)
    return {kind: 'queue', targetKind: info.kind, depth: (await holdings()).total, holdings}
  }

  /** Removes every ready message from a queue; returns how many were removed. */
  /**
   * Purges what is ready, then what other readers held unacknowledged (a peek requeueing them) as it comes back, until
   * the management API's count from before is reached or HELD_WAIT_MS is over (a consumer may keep its deliveries).
   */
  async purge(target: string): Promise<PurgeCount> {
    const {messages: total} = await this.mgmt(() => this.management.getQueue(target), `queue ${target}`)
    let purged = 0
    const take = async () => {
      purged += (await this.withChannel((ch) => ch.purgeQueue(target), `queue ${target}`)).messageCount
      return purged
    }
    const heldElsewhere = await takeCounted({management: this.management, target, total, take})
    return heldElsewhere > 0 ? {purged, heldElsewhere} : {purged}
  }

  // ---------------------------------------------------------------------------------------------------------
  // Helpers

  private connected(): ChannelModel {
    if (!this.model) throw new MailroomError('INTERNAL', 'RabbitMqAdapter used before connect() or after close()')
    return this.model
  }

  private forget(model: ChannelModel): void {
    if (this.model === model) this.model = undefined
    this.onUnblocked()
  }

  private onBlocked(): void {
    this.blocked ??= new Promise((resolve) => (this.unblock = resolve))
  }

  private onUnblocked(): void {
    this.unblock?.()
    this.blocked = this.unblock = undefined
  }

  /** `label` names what an operation was about ("queue x", "exchange y"), for NOT_FOUND messages. */
  private errorContext(label?: string): ErrorContext {
    const {address, username, vhost} = this.endpoint
    const clientCertificate = this.settings.tls?.cert !== undefined
    const tls = this.endpoint.protocol === 'amqps'
    return {address, user: username, vhost, clientCertificate, tls, ...(label === undefined ? {} : {target: label})}
  }

  /** With onFailover (non-destructive reads), the same deps on another node after the connection is lost. */
  private readDeps(
    target: string,
    queueType: QueueType,
    signal?: AbortSignal,
    onFailover?: (notice: string) => void,
  ): ReadDeps {
    const model = this.connected()
    const errorContext = this.errorContext(`queue ${target}`)
    const deps: ReadDeps = {model, management: this.management, target, queueType, errorContext}
    if (!onFailover || this.endpoints.length < 2) return deps
    const failover = async (): Promise<ReadFailover | undefined> => {
      const next = await this.failover(model, signal)
      return next && {from: next.from, to: next.to, deps: this.readDeps(target, queueType, signal, onFailover)}
    }
    return {...deps, failover}
  }

  /** Runs fn on a fresh channel: a failed AMQP operation closes its channel, so none is shared. */
  private async withChannel<T>(fn: (ch: Channel) => Promise<T>, target?: string): Promise<T> {
    return this.call(async () => {
      const ch = await this.connected().createChannel()
      ch.on('error', () => {}) // reported through fn's rejection
      try {
        return await fn(ch)
      } finally {
        await ch.close().catch(() => {})
      }
    }, target)
  }

  private async call<T>(fn: () => Promise<T>, target?: string): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw toMailroomError(error, this.errorContext(target))
    }
  }

  private mgmt<T>(fn: () => Promise<T>, target?: string): Promise<T> {
    return this.call(fn, target)
  }

  private checkQueue(name: string): Promise<{messageCount: number; consumerCount: number}> {
    return this.withChannel((ch) => ch.checkQueue(name), `queue ${name}`)
  }

  private async routeFor(target: string, exchange: string | undefined): Promise<PublishRoute> {
    if (exchange === undefined) {
      await this.checkQueue(target)
      return {exchange: '', routingKey: () => target}
    }
    if (exchange !== '') await this.withChannel((ch) => ch.checkExchange(exchange), `exchange ${exchange}`)
    return {exchange, routingKey: routingKeyOf}
  }

  /** The queue type, from the management API; without it, a consumer still works on any type (not a tail). */
  private async queueTypeOf(target: string, consume: boolean): Promise<QueueType> {
    await this.checkQueue(target)
    try {
      return queueTypeOf(await this.management.getQueue(target))
    } catch (error) {
      const mapped = toMailroomError(error, this.errorContext(`queue ${target}`))
      if (mapped.code === 'CONNECTION' && consume) return 'classic'
      throw mapped
    }
  }
}

interface Publisher {
  route: PublishRoute
  channel: ConfirmChannel
  model: ChannelModel
}

/** How long a read or publish that goes on through a node's loss looks for another node, and how often. */
const RECONNECT_DEADLINE_MS = 30_000
const RECONNECT_PAUSE_MS = 500

interface Failover {
  model: ChannelModel
  /** host:port of the node lost and of the node connected to now. */
  from: string
  to: string
}

function routingKeyOf(envelope: Envelope): string | MailroomError {
  const key = envelope.key
  if (key == null) return ''
  if (typeof key === 'string') return key
  return new MailroomError('UNSUPPORTED', 'AMQP routing keys are text; this envelope has a binary key', {
    suggestions: ['Set "key" to a string, or publish to the queue directly (no --exchange)'],
  })
}

function queueTypeOf(queue: ManagementQueue): QueueType {
  return queue.type === 'quorum' || queue.type === 'stream' ? queue.type : 'classic'
}

function streamNotConsumable(target: string): MailroomError {
  return new MailroomError('UNSUPPORTED', `${target} is a stream queue: reading never removes messages from it`, {
    suggestions: ['Read it without --consume; retention (x-max-age / x-max-length-bytes) removes old messages'],
  })
}

function targetInfoFromCheck(
  name: string,
  check: {messageCount: number; consumerCount: number},
  why: MailroomError,
): TargetInfo {
  return {
    broker: 'rabbitmq',
    name,
    kind: 'classic-queue',
    depth: check.messageCount,
    consumers: check.consumerCount,
    details: {
      note: `queue type unknown and depth counts ready messages only: ${why.message}`,
      suggestions: why.suggestions,
    },
  }
}

async function withDeadline(
  attempt: Promise<ChannelModel>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  ctx: ErrorContext,
): Promise<ChannelModel> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const giveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout(ctx)), timeoutMs)
    onAbort = () => reject(new MailroomError('INTERRUPTED', 'Connecting to RabbitMQ was interrupted'))
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, {once: true})
  })
  try {
    return await Promise.race([attempt, giveUp])
  } catch (error) {
    // A connection that opens after we gave up must not linger.
    attempt.then((late) => late.close()).catch(() => {})
    throw toMailroomError(error, ctx)
  } finally {
    clearTimeout(timer)
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
}

function attachedConsumer(c: ManagementConsumer): AttachedConsumer {
  const channel = c.channel_details ?? {}
  return {
    tag: c.consumer_tag,
    ...(channel.name !== undefined ? {channel: channel.name} : {}),
    ...(channel.connection_name !== undefined ? {connection: channel.connection_name} : {}),
    ...(channel.peer_host !== undefined ? {host: channel.peer_host} : {}),
    ...(channel.peer_port !== undefined ? {port: channel.peer_port} : {}),
    ...(c.ack_required !== undefined ? {ackRequired: c.ack_required} : {}),
    ...(c.prefetch_count !== undefined ? {prefetch: c.prefetch_count} : {}),
    ...(c.active !== undefined ? {active: c.active} : {}),
  }
}
