// JetStream stream / consumer info -> TargetInfo and the consumer rows the lag model needs.
import type {ConsumerInfo, StreamInfo} from 'nats'
import type {TargetInfo} from '../types.js'

/** One JetStream consumer as the lag model needs it; field names mirror the server's consumer info. */
export interface NatsConsumerState {
  stream: string
  name: string
  durable: boolean
  created: string
  ack_policy: string
  deliver_policy: string
  /** -1 = unlimited. */
  max_deliver: number
  filter_subject?: string
  /** Not yet delivered and matching the filter. */
  num_pending: number
  /** Delivered, not yet acknowledged. */
  num_ack_pending: number
  num_redelivered: number
  /** Outstanding pull requests. */
  num_waiting: number
  /** Last delivered message. */
  delivered: {consumer_seq: number; stream_seq: number; last_active?: unknown}
  /** Highest contiguously acknowledged message. */
  ack_floor: {consumer_seq: number; stream_seq: number; last_active?: unknown}
}

export function targetInfoFromStream(si: StreamInfo): TargetInfo {
  return {
    broker: 'nats',
    name: si.config.name,
    kind: 'stream',
    depth: si.state.messages,
    consumers: si.state.consumer_count,
    details: streamDetails(si),
  }
}

function streamDetails(si: StreamInfo): Record<string, unknown> {
  const {config: c, state: s} = si
  return {
    subjects: c.subjects ?? [],
    retention: c.retention,
    storage: c.storage,
    replicas: c.num_replicas,
    discard: c.discard,
    maxMsgs: c.max_msgs,
    maxBytes: c.max_bytes,
    maxAgeNanos: c.max_age,
    maxMsgSize: c.max_msg_size,
    maxMsgsPerSubject: c.max_msgs_per_subject,
    duplicateWindowNanos: c.duplicate_window,
    allowDirect: c.allow_direct,
    sealed: c.sealed,
    denyDelete: c.deny_delete,
    denyPurge: c.deny_purge,
    ...(c.mirror ? {mirror: c.mirror.name} : {}),
    ...(c.sources?.length ? {sources: c.sources.map((x) => x.name)} : {}),
    bytes: s.bytes,
    firstSeq: s.first_seq,
    lastSeq: s.last_seq,
    firstTime: s.first_ts,
    lastTime: s.last_ts,
    numDeleted: s.num_deleted,
    numSubjects: s.num_subjects,
    created: si.created,
  }
}

export function consumerState(ci: ConsumerInfo): NatsConsumerState {
  const c = ci.config
  return {
    stream: ci.stream_name,
    name: ci.name,
    durable: Boolean(c.durable_name),
    created: ci.created,
    ack_policy: c.ack_policy,
    deliver_policy: c.deliver_policy,
    max_deliver: c.max_deliver ?? -1,
    ...(c.filter_subject ? {filter_subject: c.filter_subject} : {}),
    num_pending: ci.num_pending,
    num_ack_pending: ci.num_ack_pending,
    num_redelivered: ci.num_redelivered,
    num_waiting: ci.num_waiting,
    delivered: {...ci.delivered},
    ack_floor: {...ci.ack_floor},
  }
}

/** A short consumer summary for `targets describe` (max_deliver matters for DLQ work). */
export function consumerSummary(c: NatsConsumerState): Record<string, unknown> {
  return {
    name: c.name,
    durable: c.durable,
    ackPolicy: c.ack_policy,
    maxDeliver: c.max_deliver,
    ...(c.filter_subject ? {filterSubject: c.filter_subject} : {}),
    pending: c.num_pending,
    ackPending: c.num_ack_pending,
    redelivered: c.num_redelivered,
  }
}

/** The entries of a JetStream listing that exist: the server answers null for a stream or consumer deleted while it was collecting the list. */
export async function* present<T>(list: AsyncIterable<T | null>): AsyncGenerator<T> {
  for await (const entry of list) if (entry) yield entry
}
