// The Kafka adapter (kafkajs 2.2.4, kept behind this folder so the client can be swapped).
import type {Admin, Kafka as KafkaClient, Producer} from 'kafkajs'
import {Kafka} from './driver.js'
import type {KafkaSettings} from '../../model/settings.js'
import {isoFromMillis} from '../../model/envelope/time.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {
  BrokerAdapter,
  Capabilities,
  ConnectOptions,
  Delivery,
  GroupCursorReplaySource,
  LagOptions,
  LagSample,
  MessageTimes,
  PublishOptions,
  PublishReceipt,
  ReadOptions,
  ReplicaHealth,
  PurgeCount,
  RequestOptions,
  ServerInfo,
  TargetInfo,
} from '../types.js'
import {partitionHealth} from './replica-health.js'
import {namedTopicMetadata, topicMetadataInOneRequest} from './list-offsets.js'
import {driverErrorOf, MailroomError} from '../../model/errors.js'
import {flatten} from '../batched.js'
import {AdminHandle} from './admin-handle.js'
import {kafkaConfig, PRODUCER_CONFIG} from './client.js'
import {FirstRecordProbe, topicMessageTimes} from './first-record.js'
import {clusterNodes} from './cluster-nodes.js'
import {describeAllGroups, type KafkaGroup} from './groups.js'
import {consumerGroupLag} from './lag.js'
import {type ErrorContext, leaderlessPartitionsError, rootCause, toMailroomError} from './map-error.js'
import {closeCommitConnection} from './group-positions.js'
import {publishToTopic, TopicFactsCache} from './publish.js'
import {deleteRecordsToEnd} from './purge.js'
import {readTopic} from './read.js'
import {requestOverTopics} from './request.js'
import {topicReplaySource} from './replay-source.js'
import {
  describeTopic,
  type GroupsReader,
  partitionOffsets,
  readTopicFacts,
  summarizeTopics,
  targetInfo,
} from './topics.js'

/** How long an error waits for the metadata that tells which partitions have no leader (then it is told as it was). */
const LEADERLESS_LOOKUP_MS = 3000

export class KafkaAdapter implements BrokerAdapter {
  readonly kind = 'kafka' as const
  // Kafka commits a position per partition, not a verdict per message.
  readonly capabilities: Capabilities = {settle: false}

  private kafka?: KafkaClient
  private adminHandle?: AdminHandle
  private producer?: Promise<Producer>
  private lagProbe?: FirstRecordProbe
  private groupsInFlight?: Promise<KafkaGroup[]>
  private readonly topicFacts = new TopicFactsCache()
  private closing?: Promise<void>
  private connecting?: Promise<void>

  constructor(
    private readonly settings: KafkaSettings,
    private readonly connectTimeoutMs: number,
  ) {}

  /** Idempotent, also when called concurrently: callers share one connection attempt. */
  connect(o: ConnectOptions = {}): Promise<void> {
    if (this.adminHandle) return Promise.resolve()
    this.connecting ??= this.open(o).finally(() => (this.connecting = undefined))
    return this.connecting
  }

  private async open(o: ConnectOptions): Promise<void> {
    const timeoutMs = o.timeoutMs ?? this.connectTimeoutMs
    const kafka = new Kafka(kafkaConfig(this.settings, timeoutMs))
    const handle = new AdminHandle(kafka)
    try {
      await withDeadline(handle.connect(), timeoutMs, o.signal, this.brokers())
    } catch (e) {
      void handle.disconnect().catch(() => undefined)
      throw toMailroomError(e, {...this.errorContext(), tlsConnecting: this.settings.tls !== undefined})
    }
    this.kafka = kafka
    this.adminHandle = handle
    this.closing = undefined
  }

  close(): Promise<void> {
    this.closing ??= this.disconnect()
    return this.closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async serverInfo(): Promise<ServerInfo> {
    const admin = this.connectedAdmin()
    const started = performance.now()
    await this.call(() => admin.describeCluster())
    const latencyMs = Math.round((performance.now() - started) * 10) / 10
    const nodes = await this.call(() => clusterNodes(this.connectedKafka(), admin))
    // Kafka does not tell clients its version.
    return {product: 'Apache Kafka', latencyMs, nodes}
  }

  /** Topics with partitions, depth and consuming groups; internal `__` topics only when asked. */
  async listTargets(o: {includeInternal?: boolean} = {}): Promise<TargetInfo[]> {
    const admin = this.connectedAdmin()
    const kafka = this.connectedKafka()
    return (await this.call(() => summarizeTopics(admin, this.groupsReader(), {...o, kafka}))).map(targetInfo)
  }

  async describeTarget(name: string): Promise<TargetInfo> {
    const admin = this.connectedAdmin()
    const facts = {readGroups: this.groupsReader(), kafka: this.connectedKafka()}
    return this.call(async () => describeTopic(await readTopicFacts(admin, name, facts)), {topic: name})
  }

  /** Deletes every record below each partition's current end offset; returns how many were removed. */
  async purge(target: string): Promise<PurgeCount> {
    const admin = this.connectedAdmin()
    return {purged: await this.call(() => deleteRecordsToEnd(admin, target), {topic: target})}
  }

  async consumerLag(o: LagOptions = {}): Promise<LagSample[]> {
    const admin = this.connectedAdmin()
    const probe = this.recordProbe()
    const readGroups = this.groupsReader()
    const kafka = this.connectedKafka()
    return this.call(async () => consumerGroupLag(kafka, admin, await readGroups(), probe, o), {group: o.filter})
  }

  async replicaHealth(): Promise<ReplicaHealth> {
    const kafka = this.connectedKafka()
    return this.call(() => partitionHealth({fetchTopicMetadata: () => topicMetadataInOneRequest(kafka)}))
  }

  async messageTimes(target: string): Promise<MessageTimes> {
    const admin = this.connectedAdmin()
    const probe = this.recordProbe()
    const {first, last} = await this.call(
      async () => topicMessageTimes(probe, target, await partitionOffsets(admin, target)),
      {topic: target},
    )
    return {
      ...(first === undefined ? {} : {first: isoFromMillis(first)}),
      ...(last === undefined ? {} : {last: isoFromMillis(last)}),
    }
  }

  /**
   * Every group of the cluster, both protocols, listed and described per coordinator (groups.ts). Reads in flight
   * are shared: a `check` (lag and DLQ discovery) and a dashboard refresh (lag and the target listing) ask for the
   * groups at the same moment, and describing 200 groups twice cost a `check` a tenth of its time.
   */
  private groupsReader(): GroupsReader {
    const kafka = this.connectedKafka()
    return () => {
      this.groupsInFlight ??= describeAllGroups(kafka).finally(() => (this.groupsInFlight = undefined))
      return this.groupsInFlight
    }
  }

  /** Reads single records by offset (record timestamps for lag and ages) without a consumer group. */
  private recordProbe(): FirstRecordProbe {
    this.lagProbe ??= new FirstRecordProbe(this.connectedKafka())
    return this.lagProbe
  }

  publish(
    target: string,
    msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
    o?: PublishOptions,
  ): AsyncIterable<PublishReceipt> {
    return flatten(this.publishBatches(target, msgs, o))
  }

  publishBatches(
    target: string,
    msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
    o?: PublishOptions,
  ): AsyncIterable<PublishReceipt[]> {
    const producers = {
      get: () => this.connectedProducer(),
      renew: () => this.renewProducer(),
      discard: () => this.discardProducer(),
    }
    const admin = this.connectedAdmin()
    const facts = {get: () => this.topicFacts.get(admin, target), forget: () => this.topicFacts.forget(target)}
    return this.guarded(publishToTopic(admin, producers, facts, target, msgs, o), {topic: target})
  }

  /** Publishes a request with kafka_replyTopic / kafka_correlationId and waits for the correlated reply. */
  request(target: string, envelope: Envelope, o: RequestOptions): Promise<Envelope> {
    const ctx = {kafka: this.connectedKafka(), admin: this.connectedAdmin(), publish: this.publish.bind(this)}
    return this.call(() => requestOverTopics(ctx, target, envelope, o), {topic: target})
  }

  /** The topic's end offsets bound a replay; the replay group's cursor (replay-source.ts) records what it moved. */
  async replaySource(target: string): Promise<GroupCursorReplaySource> {
    const admin = this.connectedAdmin()
    const facts = await this.call(() => readTopicFacts(admin, target), {topic: target})
    return topicReplaySource(facts, {admin: () => this.connectedAdmin(), kafka: () => this.connectedKafka()})
  }

  read(target: string, o?: ReadOptions): AsyncIterable<Delivery> {
    return flatten(this.readBatches(target, o), o?.signal)
  }

  readBatches(target: string, o?: ReadOptions): AsyncIterable<Delivery[]> {
    return this.guarded(readTopic(this.connectedKafka(), this.connectedAdmin(), target, o), {topic: target})
  }

  /**
   * Connects the producer and reads the topic's publish facts ahead of the first message. A send of no records makes
   * the producer load the topic's metadata too (kafkajs does that before the first send to a topic, and a send
   * without records makes no produce request); only once the topic is known to exist, as kafkajs would retry a
   * missing one for seconds.
   */
  async preparePublish(target: string): Promise<void> {
    const [producer] = await Promise.all([this.connectedProducer(), this.topicFacts.get(this.connectedAdmin(), target)])
    await producer.send({topic: target, acks: -1, messages: []})
  }

  /** Connected once and shared; a failed connect is tried again by the next caller. */
  private connectedProducer(): Promise<Producer> {
    if (this.producer) return this.producer
    const connecting = (async () => {
      const producer = this.connectedKafka().producer(PRODUCER_CONFIG)
      await producer.connect()
      return producer
    })()
    this.producer = connecting
    connecting.catch(() => this.producer === connecting && (this.producer = undefined))
    return connecting
  }

  /** Drops the producer (the next send connects a new one, with a new producer id). */
  private discardProducer(): void {
    const stale = this.producer
    this.producer = undefined
    void stale?.then((p) => p.disconnect()).catch(() => undefined)
  }

  private async renewProducer(): Promise<Producer> {
    this.discardProducer()
    return this.connectedProducer()
  }

  private async disconnect(): Promise<void> {
    const [admin, producer] = [this.adminHandle, this.producer]
    await closeCommitConnection(this.kafka)
    this.adminHandle = undefined
    this.kafka = undefined
    this.producer = undefined
    await this.lagProbe?.close()
    this.lagProbe = undefined
    await producer?.then((p) => p.disconnect()).catch(() => undefined)
    await admin?.disconnect().catch(() => undefined)
  }

  private connectedKafka(): KafkaClient {
    this.connectedAdmin()
    return this.kafka!
  }

  private connectedAdmin(): Admin {
    if (!this.adminHandle)
      throw new MailroomError('INTERNAL', 'the Kafka adapter is not connected (call connect() first)')
    return this.adminHandle.admin
  }

  private async call<T>(fn: () => Promise<T>, ctx: ErrorContext = {}): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      throw await this.explained(e, ctx)
    }
  }

  /** Makes sure nothing but a MailroomError leaves a generator. */
  private async *guarded<T>(gen: AsyncGenerator<T>, ctx: ErrorContext): AsyncGenerator<T> {
    try {
      yield* gen
    } catch (e) {
      throw await this.explained(e, ctx)
    }
  }

  /**
   * The error as a MailroomError. A topic's LEADER_NOT_AVAILABLE is told precisely from mailroom's own Metadata
   * request (which partitions, on which nodes), asked briefly: kafkajs's answer only says that some partition has none.
   */
  private async explained(e: unknown, ctx: ErrorContext): Promise<MailroomError> {
    const mapped = toMailroomError(e, {...this.errorContext(), ...ctx})
    const topic = ctx.topic
    if (!topic || rootCause(driverErrorOf(e)).type !== 'LEADER_NOT_AVAILABLE' || !this.kafka) return mapped
    const asked = namedTopicMetadata(this.kafka, [topic])
    const metadata = await withDeadline(asked, LEADERLESS_LOOKUP_MS, undefined, this.brokers()).catch(() => undefined)
    const partitions = metadata?.find((t) => t.topic === topic)?.partitionMetadata
    return (partitions && leaderlessPartitionsError(topic, partitions, e)) ?? mapped
  }

  private errorContext(): ErrorContext {
    return {
      brokers: this.brokers(),
      user: this.settings.sasl?.username,
      clientCertificate: this.settings.tls?.cert !== undefined,
    }
  }

  private brokers(): string[] {
    return this.settings.brokers
  }
}

/** kafkajs' own timeouts are per attempt; this bounds the whole connect and honours the abort signal. */
async function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  brokers: string[],
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new MailroomError('CONNECTION', `could not connect to Kafka at ${brokers.join(',')} within ${timeoutMs} ms`),
        ),
      timeoutMs,
    )
    onAbort = () => reject(new MailroomError('INTERRUPTED', 'connect interrupted'))
    if (signal?.aborted) onAbort()
    signal?.addEventListener('abort', onAbort, {once: true})
  })
  try {
    return await Promise.race([work, stop])
  } finally {
    clearTimeout(timer)
    if (onAbort) signal?.removeEventListener('abort', onAbort)
  }
}
