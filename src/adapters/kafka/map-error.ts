// The one place kafkajs errors become MailroomErrors. Classified by kafkajs error class name, Kafka protocol error
// `type` and Node socket / TLS error codes; never by message text.
import {redact} from '../../model/redact.js'
import {DNS_CODES, TLS_CODE, UNREACHABLE_CODES, isNetworkCode} from '../network-codes.js'
import {tlsError} from '../tls-error.js'
import {type ErrorCode, MailroomError, isMailroomError} from '../../model/errors.js'

export interface ErrorContext {
  /** Brokers of the connection, for messages that cannot name the broker themselves. */
  brokers?: string[]
  user?: string
  topic?: string
  group?: string
  /** Size of the record (batch) and the topic's max.message.bytes, for MESSAGE_TOO_LARGE. */
  messageBytes?: number
  maxMessageBytes?: number
  /** Whether a TLS client certificate is configured (to tell "none sent" from "rejected"). */
  clientCertificate?: boolean
  /** The connection uses TLS and is being opened (connect). */
  tlsConnecting?: boolean
}

interface DriverError {
  name?: string
  message?: string
  code?: string | number
  type?: string
  broker?: string
  /** kafkajs: the request may succeed if asked again (leader moved, coordinator loading, broker gone). */
  retriable?: boolean
  cause?: unknown
  errors?: unknown[]
  groups?: {error?: unknown}[]
}

const AUTH_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'DELEGATION_TOKEN_AUTHORIZATION_FAILED',
])
const TIMEOUT_TYPES = new Set(['REQUEST_TIMED_OUT'])
const UNSUPPORTED_TYPES = new Set([
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'UNSUPPORTED_COMPRESSION_TYPE',
])

/** Maps anything kafkajs (or the socket under it) throws to a MailroomError; MailroomErrors pass through. */
export function toMailroomError(e: unknown, ctx: ErrorContext = {}): MailroomError {
  if (isMailroomError(e)) return e
  const err = rootCause(e)
  const tls =
    typeof err.code === 'string'
      ? tlsError(
          err.code,
          {
            where: err.broker ?? brokerList(ctx),
            clientCertificate: ctx.clientCertificate === true,
            tlsConnecting: ctx.tlsConnecting,
          },
          e,
        )
      : undefined
  if (tls) return tls
  const [code, message, suggestions] = classify(err, ctx)
  return new MailroomError(code, redact(message), {cause: e, suggestions})
}

/** kafkajs wraps the real failure: NumberOfRetriesExceeded -> cause, AggregateError -> errors[0], DeleteGroups -> groups. */
/**
 * A failure a new consumer may not meet: a broker lost or not answering, a leader or coordinator moving (kafkajs
 * marks those retriable, and gives up on them after its retries).
 */
export function isBrokerLoss(e: unknown): boolean {
  const err = rootCause(e)
  if (err.retriable === true) return true
  const code = toMailroomError(e).code
  return code === 'CONNECTION' || code === 'TIMEOUT'
}

export function rootCause(e: unknown): DriverError {
  let err = (e ?? {}) as DriverError
  for (let depth = 0; depth < 10; depth++) {
    const inner = innerError(err)
    if (!inner) break
    err = inner as DriverError
  }
  return err
}

function innerError(err: DriverError): unknown {
  if (err.name === 'KafkaJSNumberOfRetriesExceeded' || err.name === 'KafkaJSNonRetriableError') return err.cause
  if (err.name === 'KafkaJSAggregateError') return err.errors?.[0]
  if (err.name === 'KafkaJSDeleteGroupsError') return err.groups?.find((g) => g.error)?.error
  return undefined
}

const PER_MESSAGE_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
])

/** True when the broker rejected the records themselves (not the connection, topic or authorization). */
export function isRecordRejection(e: unknown): boolean {
  const type = rootCause(isMailroomError(e) ? e.cause : e).type
  return type !== undefined && PER_MESSAGE_TYPES.has(type)
}

/** The broker does not know the topic (or partition). */
export function isUnknownTopic(e: unknown): boolean {
  return rootCause(e).type === 'UNKNOWN_TOPIC_OR_PARTITION'
}

/** The Kafka error type of a failed consumer group deletion (kafkajs reports it per group). */
export function deleteGroupErrorType(e: unknown): string | undefined {
  return rootCause(e).type
}

type Classified = [ErrorCode, string, string[]?]

function classify(err: DriverError, ctx: ErrorContext): Classified {
  if (err.name === 'KafkaJSSASLAuthenticationError') {
    return [
      'AUTH',
      `SASL authentication failed for user ${ctx.user ?? '(none)'}`,
      ['Check the SASL mechanism, user name and password'],
    ]
  }
  if (err.type) return classifyProtocol(err, ctx)
  if (typeof err.code === 'string' && isNetworkCode(err.code))
    return classifySocket(err.code, err.broker ?? brokerList(ctx))
  switch (err.name) {
    case 'KafkaJSConnectionError':
    case 'KafkaJSConnectionClosedError':
      return ['CONNECTION', `could not connect to Kafka at ${err.broker ?? brokerList(ctx)}: ${err.message}`]
    case 'KafkaJSBrokerNotFound':
    case 'KafkaJSNoBrokerAvailableError':
    case 'KafkaJSGroupCoordinatorNotFound':
      return ['CONNECTION', `no Kafka broker available at ${brokerList(ctx)}: ${err.message}`]
    case 'KafkaJSRequestTimeoutError':
    case 'KafkaJSTimeout':
    case 'KafkaJSLockTimeout':
      return ['TIMEOUT', `Kafka request timed out: ${err.message}`]
    case 'KafkaJSTopicMetadataNotLoaded':
      return topicNotFound(ctx)
    case 'KafkaJSServerDoesNotSupportApiKey':
      return ['UNSUPPORTED', `the Kafka broker does not support this request: ${err.message}`]
  }
  return [err.name?.startsWith('KafkaJS') ? 'PROTOCOL' : 'INTERNAL', err.message ?? String(err)]
}

function classifyProtocol(err: DriverError, ctx: ErrorContext): Classified {
  const type = err.type as string
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION') return topicNotFound(ctx)
  if (type === 'GROUP_ID_NOT_FOUND')
    return ['NOT_FOUND', ctx.group ? `consumer group ${ctx.group} not found` : 'consumer group not found']
  if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return ['PROTOCOL', tooLargeMessage(ctx)]
  if (type === 'SASL_AUTHENTICATION_FAILED')
    return [
      'AUTH',
      `SASL authentication failed for user ${ctx.user ?? '(none)'}`,
      ['Check the SASL mechanism, user name and password'],
    ]
  if (type === 'UNSUPPORTED_SASL_MECHANISM')
    return [
      'AUTH',
      'the broker does not offer this SASL mechanism on this listener',
      ["Check kafka.sasl.mechanism against the listener's sasl.enabled.mechanisms"],
    ]
  if (type === 'LEADER_NOT_AVAILABLE') return leaderNotAvailable(ctx)
  if (AUTH_TYPES.has(type)) return ['AUTH', `not authorized (${type}) for user ${ctx.user ?? '(none)'}`]
  if (TIMEOUT_TYPES.has(type)) return ['TIMEOUT', `Kafka request timed out (${type})`]
  if (UNSUPPORTED_TYPES.has(type)) return ['UNSUPPORTED', `the Kafka broker refused: ${type}`]
  return ['PROTOCOL', `Kafka error ${type}: ${err.message}`]
}

/**
 * Kafka's text speaks of an election; with every replica of a partition down, none comes until one returns. Still
 * so after kafkajs's retries, the broker holding the data is unreachable: a connection failure (exit 3), not the
 * "unexpected error, please report it" of exit 1.
 */
function leaderNotAvailable(ctx: ErrorContext): Classified {
  const of = ctx.topic ? ` of topic ${ctx.topic}` : ''
  return [
    'CONNECTION',
    `a partition${of} has no leader (LEADER_NOT_AVAILABLE): a leader is being elected, or every replica of it is down`,
    ["`mailroom check --require-replicas` names the partitions without a leader, as Kafka's tool does"],
  ]
}

/** A partition of a topic, as Kafka's metadata describes it. */
export interface PartitionPlacement {
  partitionId: number
  leader: number
  replicas: number[]
  offlineReplicas: number[]
}

/**
 * LEADER_NOT_AVAILABLE told precisely, once the topic's metadata is known: which partitions have no leader and on
 * which nodes their replicas are, and that the partitions which do have one are not read or written either. Undefined
 * when every partition has a leader again (an election that has ended): the first answer stands.
 */
export function leaderlessPartitionsError(
  topic: string,
  partitions: PartitionPlacement[],
  cause?: unknown,
): MailroomError | undefined {
  const leaderless = partitions.filter((p) => p.leader < 0).sort((a, b) => a.partitionId - b.partitionId)
  if (leaderless.length === 0) return undefined
  const nodes = [...new Set(leaderless.flatMap((p) => p.replicas))].sort((a, b) => a - b).join(',')
  const allDown = leaderless.every((p) => p.replicas.every((r) => p.offlineReplicas.includes(r)))
  const why = allDown
    ? `every replica of them is down (node(s) ${nodes})`
    : `none of their replicas (node(s) ${nodes}) can lead yet: an election is under way, or no in-sync replica is left`
  const which =
    leaderless.length === partitions.length
      ? `no partition of topic ${topic} has a leader`
      : `partition(s) ${leaderless.map((p) => p.partitionId).join(',')} of topic ${topic} have no leader (the other ${partitions.length - leaderless.length} have one, but mailroom reads and writes a Kafka topic only while every partition of it has a leader)`
  return new MailroomError('CONNECTION', `${which}: ${why}`, {
    cause,
    suggestions: [
      `\`mailroom targets describe kafka:${topic}\` shows each partition's leader and offsets; the partitions come back with a node that holds a replica`,
    ],
  })
}

function topicNotFound(ctx: ErrorContext): Classified {
  return ['NOT_FOUND', ctx.topic ? `topic ${ctx.topic} not found` : 'topic not found']
}

function tooLargeMessage(ctx: ErrorContext): string {
  const size = ctx.messageBytes === undefined ? 'message' : `message of ${ctx.messageBytes} bytes`
  const limit = ctx.maxMessageBytes === undefined ? '' : ` (${ctx.maxMessageBytes})`
  return `${size} exceeds the broker's max.message.bytes${limit}`
}

function classifySocket(code: string, broker: string): Classified {
  if (code === 'ECONNREFUSED')
    return ['CONNECTION', `connection refused at ${broker}`, ['Is the Kafka broker running and listening there?']]
  if (DNS_CODES.has(code)) return ['CONNECTION', `host not found: ${broker}`]
  if (UNREACHABLE_CODES.has(code)) return ['CONNECTION', `Kafka broker unreachable at ${broker} (${code})`]
  if (TLS_CODE.test(code))
    return [
      'CONNECTION',
      `TLS handshake with ${broker} failed (${code})`,
      ['Check the CA, client certificate and server name'],
    ]
  return ['CONNECTION', `connection to ${broker} failed (${code})`]
}

function brokerList(ctx: ErrorContext): string {
  return ctx.brokers?.join(',') ?? 'the configured brokers'
}
