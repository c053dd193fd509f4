// The unified broker layer: every command and the dashboard talk to brokers only through these types.
import type {Envelope} from '../model/envelope/types.js'
import type {MailroomErrorInfo} from '../model/errors.js'
import type {BrokerKind} from '../model/broker.js'

export type {Envelope} from '../model/envelope/types.js'

/**
 * What a broker can do beyond the methods its adapter has, so commands and the UI branch on abilities, never on
 * broker names. (Whether it can peek, purge, request, replay... is the presence of the method itself.)
 */
export interface Capabilities {
  /** Each delivery of a consuming read can be acked / requeued / rejected individually (a filtered purge needs it). */
  settle: boolean
}

export type TargetKind = 'classic-queue' | 'quorum-queue' | 'stream-queue' | 'exchange' | 'topic' | 'stream'

export interface TargetInfo {
  broker: BrokerKind
  name: string
  kind: TargetKind
  /** Messages held (queue depth, sum of partition sizes, stream messages); undefined when unknown. */
  depth?: number
  partitions?: number
  /** Kafka: partitions without a leader (every replica down); the depth is then unknown. */
  offlinePartitions?: number[]
  consumers?: number
  /** Broker-specific extra facts shown by `targets describe` (arguments, retention, subjects...). */
  details?: Record<string, unknown>
}

/** One partition of a Kafka group's lag on a topic. */
export interface PartitionLag {
  partition: number
  /** Next offset the group will read; undefined when it never committed. */
  committed?: number
  /** End offset (kafkajs: the last stable offset, equal to the high watermark without transactions). */
  end: number
  /** Log start offset: anything below it was deleted by retention. */
  start: number
  /**
   * end - committed; undefined (unknown) when the group never committed on a partition holding records, as where it
   * starts depends on its reset policy (0 when the partition holds nothing, end - start for a group known to start
   * from the earliest offset).
   */
  lag?: number
  /** Seconds since the first unconsumed record was written; undefined when unknown. */
  lagSeconds?: number
  /**
   * Kafka share groups: the share-partition start offset Kafka reports (kafka-share-groups' START-OFFSET). Not a
   * committed offset: records are acknowledged one by one, and Kafka 4.1 may leave it behind records already
   * acknowledged, so no lag is derived from it.
   */
  shareStartOffset?: number
}

/**
 * What one consumer (Kafka group on one topic, RabbitMQ queue, JetStream consumer) has left to process, as the
 * broker reports it now. The lag model in src/core/lag turns samples into rows with rates and statuses.
 */
export interface LagSample {
  broker: BrokerKind
  /** Topic, queue or stream. */
  target: string
  /** Kafka group, RabbitMQ queue (its consumers are anonymous), JetStream durable/consumer name. */
  consumer: string
  /**
   * Messages not yet processed: end - committed, ready + unacked, num_pending + num_ack_pending. Undefined when it
   * cannot be known: a Kafka group that never committed on a partition holding records (see `uncommitted`).
   */
  lag?: number
  /** Kafka: partitions holding records the group never committed on, and what it would read from the earliest offset. */
  uncommitted?: UncommittedLag
  /** Why this consumer has no lag at all (a Kafka share group: no committed offsets); the status then rests on its members. */
  lagNotApplicable?: string
  /** Seconds since the oldest unprocessed message was written; undefined when it cannot be known cheaply. */
  lagSeconds?: number
  /** Consumers attached now: group members, queue consumers, bound push / waiting pull requests. */
  consumers: number
  /** Cumulative position of the consumer (committed offsets, acks, ack floor): its change is progress. */
  consumed?: number
  /** Cumulative position of the producers (end offsets, publishes, last sequence). */
  produced?: number
  /** Rates the broker itself measured, messages per second. */
  rates?: {in?: number; out?: number; ack?: number}
  /** When the consumer last acknowledged / was delivered something, where the broker records it. */
  lastAckAt?: Date
  lastDeliveryAt?: Date
  /** Delivered but not yet acknowledged (RabbitMQ unacked, JetStream num_ack_pending). */
  unacked?: number
  /** Broker-specific facts: group state, ready, redelivered, partitions... */
  details?: Record<string, unknown>
  partitions?: PartitionLag[]
  /** Kafka: the consumer group as its coordinator describes it (members consuming this target only). */
  group?: ConsumerGroupFacts
  /** Things the user should know about this consumer (e.g. messages lost to retention). */
  warnings?: string[]
  /** Kafka: partitions of the target without a leader (every replica down); the lag is then unknown. */
  offlinePartitions?: number[]
}

export interface UncommittedLag {
  partitions: number
  /** Records the group would read on them if it starts from the earliest offset (0 if from the latest). */
  ifEarliest: number
}

/**
 * Kafka group types: consumer groups of the classic protocol or of the new consumer protocol (KIP-848,
 * group.protocol=consumer), share groups (KIP-932, KafkaShareConsumer) and streams groups (KIP-1071, Kafka Streams
 * with group.protocol=streams).
 */
export type KafkaGroupType = 'classic' | 'consumer' | 'share' | 'streams'

/** A Kafka group as its coordinator describes it: a consumer group of either protocol, a share or a streams group. */
export interface ConsumerGroupFacts {
  type: KafkaGroupType
  /** Consumer groups only: the consumer protocol, the same as the type. */
  protocol?: 'classic' | 'consumer'
  /** As the broker says: Stable, Empty, PreparingRebalance, Reconciling, Assigning... */
  state: string
  /** classic: the chosen assignment protocol (range, roundrobin...); consumer and share: the server-side assignor (uniform, simple). */
  assignor?: string
  /** The group epoch (not for classic groups). */
  epoch?: number
  members: ConsumerGroupMember[]
}

export interface ConsumerGroupMember {
  memberId: string
  clientId: string
  host: string
  instanceId?: string
  /** Partitions of the row's topic assigned to the member now (streams groups: of its active tasks). */
  partitions: number[]
}

export interface LagOptions {
  /** Only this consumer (group / queue / consumer name) or target; every consumer when absent. */
  filter?: string
  /** Also mailroom's own consumers (Kafka replay cursors mailroom-replay.<dlq>, tail readers); hidden otherwise. */
  includeMailroom?: boolean
}

export interface ServerInfo {
  product: string
  version?: string
  /** Round trip of one cheap request after connecting, in milliseconds. */
  latencyMs: number
  /** host:port of the node this connection talks to (a cluster's nodes are tried in turn). */
  address?: string
  /** Every node of the cluster as the broker reports it (one for a single broker); undefined when it cannot say. */
  nodes?: ClusterNode[]
}

/** One node of a broker's cluster, as the broker itself reports it. */
export interface ClusterNode {
  /** The node's own name: RabbitMQ node, NATS server name, Kafka node id. */
  name: string
  address?: string
  /** What the node does: `broker`, `controller (leader)`, `disc`, `meta leader` ... */
  role: string
  version?: string
  /** `unknown` when the cluster lists the node but cannot tell whether it runs (a Kafka controller only). */
  status: 'up' | 'down' | 'unknown'
  /** Resource alarms raised on the node (RabbitMQ memory, disk). */
  alarms?: string[]
  /** The node this connection talks to. */
  connected?: boolean
}

export interface ConnectOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

export interface PublishOptions {
  /** Max messages awaiting confirmation at once. */
  window?: number
  signal?: AbortSignal
  /** RabbitMQ: publish to this exchange with the envelope key as routing key instead of the default exchange. */
  exchange?: string
  /** Don't wait for broker confirmation (core NATS, fire-and-forget). */
  unconfirmed?: boolean
  /**
   * Go on through the loss of the node the connection is on, where the adapter can move to another node itself
   * (RabbitMQ, several URLs): messages whose confirmation was outstanding are sent again, their receipts marked
   * possibleDuplicate. Called once per move with a line for the user (which node was lost, which one is used now).
   */
  onFailover?: (notice: string) => void
}

export interface PublishReceipt {
  /** Position of the message in the input, 0-based. */
  index: number
  ok: boolean
  /** Where it landed: partition/offset, stream sequence... */
  meta?: Record<string, unknown>
  duplicate?: boolean
  /** Sent again after a connection loss while its first copy awaited confirmation: that copy may be stored too. */
  possibleDuplicate?: boolean
  error?: MailroomErrorInfo
}

export type StartPosition =
  {kind: 'earliest'} | {kind: 'latest'} | {kind: 'offset'; value: bigint} | {kind: 'time'; value: Date}

export interface ReadOptions {
  from?: StartPosition
  /** Stop once the end captured when the read started has been reached. */
  untilEnd?: boolean
  /** Remove what is read (consume) instead of reading non-destructively. */
  consume?: boolean
  /** Kafka: the consumer group a consuming read commits for (required with consume; never joined otherwise). */
  group?: string
  /** Max un-settled deliveries held at once. */
  prefetch?: number
  signal?: AbortSignal
  /**
   * Called once, when the read receives what arrives from its start position on: its consumer attached, and on
   * Kafka the group joined with its partitions assigned, which takes seconds on brokers with Kafka's default
   * group.initial.rebalance.delay.ms (3 s). Every adapter's read calls it before its first batch; an --idle-timeout
   * counts from here, not from the request.
   */
  onPositioned?: () => void
  /**
   * Told, with a line for the user, when the read lost the node it was on and goes on through another one: RabbitMQ
   * (several URLs) moves to another node only when this is given; a Kafka read that does not consume starts a new
   * consumer where it stopped. The line says which node was lost, where the read goes on, and what it may have missed.
   */
  onFailover?: (notice: string) => void
}

export type Settlement = 'ack' | 'requeue' | 'reject'

export interface Delivery {
  envelope: Envelope
  /** Settle the message at the source; a no-op for non-destructive reads. */
  settle(how: Settlement): Promise<void>
}

/** settle() of a non-destructive read's deliveries: nothing to tell the broker. */
export const noSettlement: Delivery['settle'] = async () => {}

export interface PeekOptions {
  count: number
  /** Peek even where it has side effects the broker cannot avoid (e.g. burning quorum-queue delivery attempts). */
  force?: boolean
  /**
   * Every message the target holds, up to count (an export): where other readers can hold messages out of reach
   * (RabbitMQ unacknowledged deliveries), wait a bounded time for them to come back, and warn about any that do not.
   */
  complete?: boolean
}

export interface PeekResult {
  messages: Envelope[]
  /** Side effects the user must be told about. */
  warnings: string[]
}

export interface RequestOptions {
  /** How long to wait for the correlated reply; TIMEOUT after that. */
  timeoutMs: number
  /** Where the reply comes back, where the broker has no built-in reply channel (Kafka: the reply topic). */
  replyTo?: string
  /** RabbitMQ: publish the request to this exchange with the envelope key as routing key. */
  exchange?: string
  signal?: AbortSignal
}

/** A route by which the broker itself moves one target's dead letters into another (a DLQ). */
export interface DeadLetterRoute {
  /** The queue / stream whose dead letters are routed. */
  origin: string
  /** The queue / stream they land in. */
  dlq: string
  /** Where the route is configured: 'queue-argument', 'policy' (RabbitMQ), 'advisory-capture' (JetStream). */
  via: string
  /** RabbitMQ: the dead-letter exchange and routing key ('' = the default exchange). */
  exchange?: string
  routingKey?: string
}

export interface DeadLetterCapture {
  /** The stream (or queue) now holding the source's dead letters. */
  name: string
  created: boolean
  /** What it captures (subjects). */
  captures: string[]
}

/** ISO times of a target's oldest and newest message; absent where there is none or it cannot be read. */
export interface MessageTimes {
  first?: string
  last?: string
}

/** One consumer attached to a queue, as the broker names it (RabbitMQ: the management API's consumer_details). */
export interface AttachedConsumer {
  tag: string
  /** The channel as the broker names it: "<client host>:<port> -> <server>:<port> (<channel number>)". */
  channel?: string
  /** The connection as the broker names it (client and server addresses). */
  connection?: string
  /** Where the client connects from. */
  host?: string
  port?: number
  ackRequired?: boolean
  /** Unacknowledged deliveries the consumer may hold (0: no limit). */
  prefetch?: number
  /** False while a single-active-consumer queue gives the messages to another consumer. */
  active?: boolean
}

export interface PurgeCount {
  purged: number
  /** Held unacknowledged by other readers until HELD_WAIT_MS was over: not purged, still in the queue (RabbitMQ). */
  heldElsewhere?: number
}

export interface QueueHoldings {
  /** Ready for delivery, counted by the broker now. */
  ready: number
  /** Ready and unacknowledged; from statistics that lag by their interval (at least `ready`; `ready` without them). */
  total: number
}

/**
 * How long a read that must see everything (an export, a purge) waits for messages another reader holds
 * unacknowledged to come back. RabbitMQ's management API refreshes a queue's figures every collect_statistics_interval
 * (5 s by default): waiting a little longer means the figure waited for has been refreshed at least once meanwhile.
 */
export const HELD_WAIT_MS = 6000

export interface BrokerAdapter extends AsyncDisposable {
  readonly kind: BrokerKind
  readonly capabilities: Capabilities
  connect(o?: ConnectOptions): Promise<void>
  /** Idempotent; flushes pending work, then closes. */
  close(): Promise<void>
  serverInfo(): Promise<ServerInfo>
  listTargets(): Promise<TargetInfo[]>
  describeTarget(name: string): Promise<TargetInfo>
  publish?(
    target: string,
    msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
    o?: PublishOptions,
  ): AsyncIterable<PublishReceipt>
  /**
   * Opens what publishing to a target will need (a producer) ahead of the first message; NOT_FOUND when the target
   * does not exist, so a caller can refuse before anything moves.
   */
  preparePublish?(target: string): Promise<void>
  /** The same publish, its receipts handed over in batches (what one confirmation round settled). */
  publishBatches?(
    target: string,
    msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
    o?: PublishOptions,
  ): AsyncIterable<PublishReceipt[]>
  read?(target: string, o?: ReadOptions): AsyncIterable<Delivery>
  /**
   * The same read, handed over in batches: each array holds what the client had received when the caller asked
   * (a fetch, a socket read), so a fast consumer pays the per-item cost of an async iterator once per batch.
   * Where absent, readBatchesOf() wraps read() (src/adapters/batched.ts).
   */
  readBatches?(target: string, o?: ReadOptions): AsyncIterable<Delivery[]>
  /** Only where a plain non-destructive read cannot peek (RabbitMQ classic/quorum queues). */
  peek?(target: string, o: PeekOptions): Promise<PeekResult>
  /** Removes every message; returns how many, and how many other readers held out of reach (left in place). */
  purge?(target: string): Promise<PurgeCount>
  /** One stored message by sequence, left in place (JetStream). */
  getMessage?(target: string, sequence: number): Promise<Envelope>
  /** Messages a queue holds right now, counted by the broker itself (not from periodic statistics). */
  exactDepth?(target: string): Promise<number>
  /** Ready messages of a queue and all it holds, delivered to readers but unacknowledged too (RabbitMQ). */
  queueHoldings?(target: string): Promise<QueueHoldings>
  /** When the oldest and newest stored message were written, read without side effects (Kafka record timestamps). */
  messageTimes?(target: string): Promise<MessageTimes>
  /**
   * How a replay reads and settles a target, from one look at it now (NOT_FOUND when absent): the snapshot that
   * bounds the run and what settles a replayed message. Absent where the adapter cannot replay from its targets.
   */
  replaySource?(target: string): Promise<ReplaySourceCapability>
  /** Removes one stored message by sequence (JetStream); NOT_FOUND when absent. */
  deleteMessage?(target: string, sequence: number): Promise<void>
  /** The consumers attached to a queue, by name, where the broker lists them (RabbitMQ; others name theirs in lag). */
  attachedConsumers?(target: string): Promise<AttachedConsumer[]>
  /** The dead-letter routes the broker is configured with (RabbitMQ DLX arguments and policies, JetStream captures). */
  deadLetterTopology?(): Promise<DeadLetterRoute[]>
  /** Makes a DLQ where the broker only announces dead letters (JetStream advisories); idempotent. */
  captureDeadLetters?(source: string, o?: {name?: string}): Promise<DeadLetterCapture>
  /**
   * Publishes one request (confirmed) carrying a reply address and `envelope.properties.correlationId`, and
   * resolves with the first reply that carries the same correlation id (TIMEOUT after o.timeoutMs).
   */
  request?(target: string, envelope: Envelope, o: RequestOptions): Promise<Envelope>
  /** Consumer lag: one sample per consumer (per group and topic on Kafka), in as few broker round trips as it can. */
  consumerLag?(o?: LagOptions): Promise<LagSample[]>
  /** Where the broker's replication falls short right now, as the broker itself reports it (one or two requests). */
  replicaHealth?(): Promise<ReplicaHealth>
}

/**
 * A replication shortfall: a Kafka partition under-replicated (ISR smaller than its replicas) or offline (no
 * leader); a RabbitMQ quorum queue with fewer members than its target, members offline or no leader, a node down or
 * in alarm; a JetStream stream with replicas missing, not current, or no leader.
 */
export interface ReplicaProblem {
  broker: BrokerKind
  kind: 'under-replicated' | 'offline' | 'below-target' | 'no-leader' | 'node-down' | 'node-alarm'
  /** The topic, queue or stream; absent for a node's problem. */
  target?: string
  partition?: number
  node?: string
  /** Replicas (members) it should have, and those in sync (online, current). */
  replicas?: number
  inSync?: number
  message: string
}

export interface ReplicaHealth {
  /** What was looked at: partitions, quorum queues, replicated streams, nodes. */
  checked: {partitions?: number; queues?: number; streams?: number; nodes?: number}
  problems: ReplicaProblem[]
}

/**
 * What a replay needs from its source, as the broker offers it for one target: a queue is consumed, a stream read
 * by position, a Kafka topic read by offset against a cursor of what earlier replays moved.
 */
export type ReplaySourceCapability = QueueReplaySource | PositionedReplaySource | GroupCursorReplaySource

interface ReplaySourceFacts {
  targetKind: TargetKind
  /** Messages held now (a queue's counting those delivered and unacknowledged), when known. */
  depth?: number
}

/** Classic / quorum queues: read by consuming (nothing is read without taking it); a message leaves when acked. */
export interface QueueReplaySource extends ReplaySourceFacts {
  kind: 'queue'
  /** What the queue holds now, delivered or not, where the broker can tell (asked while a read waits). */
  holdings?(): Promise<QueueHoldings>
}

/** Streams and stream queues: read by position without removing anything. */
export interface PositionedReplaySource extends ReplaySourceFacts {
  kind: 'positioned'
  /** The last stream sequence now, the bound of a replay (where absent, the bound is the depth). */
  lastSequence?: number
  /** Removes one entry by sequence (NOT_FOUND when already gone); absent where entries stay (`keeps` says why). */
  deleteEntry?(sequence: number): Promise<void>
  /** Why single entries cannot be removed here. */
  keeps?: string
}

/** Kafka topics: read by offset; a move marks each replayed record in the replay group's cursor. */
export interface GroupCursorReplaySource extends ReplaySourceFacts {
  kind: 'group-cursor'
  /** The end offset of each partition now (partition -> offset), the bound of a replay. */
  ends: Record<string, string>
  /** The replay group's cursor as committed, read on the first call and kept (only a move and its dry run need it). */
  cursor(): Promise<ReplayCursor>
}

/**
 * What earlier replays moved out of a topic, and the commits recording what this run moves: records below the
 * committed offset and those its metadata marks above it count as replayed.
 */
export interface ReplayCursor {
  /** The consumer group the cursor is committed for. */
  readonly group: string
  /** True when an earlier replay committed to it. */
  readonly committedBefore: boolean
  /** Records within the ends captured with it that it does not mark as replayed. */
  readonly unreplayed: number
  /** Where a run starts reading: the lowest committed offset (0 while a partition never committed). */
  readonly from: bigint
  /** Gets ready to commit (finds the group's coordinator) while other work goes on. */
  prepare(): void
  /**
   * Each record read, in order: 'beyond' the span the cursor can remember (left unread, counted for shortfall()),
   * 'replayed' before (passed over), or 'new' (for the run to decide on).
   */
  admit(d: Delivery): 'beyond' | 'replayed' | 'new'
  /** Marks a record replayed without committing (a dry run), moving the floor past it where it can. */
  mark(d: Delivery): void
  /** Marks a record replayed and commits; records settled together share one commit. */
  settle(d: Delivery): Promise<void>
  /** Commits what is marked and not yet committed. */
  flush(): Promise<void>
  /** Why records of the bound were left unread (beyond the span), if any were. */
  shortfall(): string | undefined
}

export interface HeaderNames {
  exact: string[]
  prefixes: string[]
  /** Names compare case-insensitively (give them in lower case). */
  ignoreCase?: boolean
}

export interface PublishConventions {
  /** Headers the broker acts on when a message is published (not just carries): a replayed message drops them. */
  interpretedHeaders: HeaderNames
  /** Header values are text only: typed values travel as their text form. */
  textHeadersOnly: boolean
  /** AMQP properties travel as properties; elsewhere they are carried as amqp-<property> headers. */
  amqpProperties: boolean
  /**
   * What a message's key is here: `record` part of the message (a Kafka key, kept); `address` where it is
   * published (a NATS subject: the destination's own); `routing` how it was routed (an AMQP routing key: a key from
   * another broker is kept in a header).
   */
  key: 'record' | 'address' | 'routing'
  /** The broker stamps its own time on publish: the original timestamp is kept in a header. */
  restampsTime: boolean
  /** The header the broker drops duplicate publishes by: a replay sets it to its deterministic message id. */
  dedupeHeader?: string
}

export function isHeaderIn(name: string, names: HeaderNames): boolean {
  const n = names.ignoreCase ? name.toLowerCase() : name
  return names.exact.includes(n) || names.prefixes.some((p) => n.startsWith(p))
}
