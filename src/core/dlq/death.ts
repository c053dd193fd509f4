// Dead-letter detection: one normalised DeathRecord from whichever convention a message carries.
// Conventions, most specific first: RabbitMQ x-death / x-first-death-*, Spring kafka_dlt-*, Kafka Connect
// __connect.errors.*, header names configured in the context, JetStream advisories (the body is the advisory JSON).
import type {DeathError, DeathRecord, Envelope, Header, HeaderValue} from '../../model/envelope/types.js'
import {headerValueToBytes, headerValueToText} from '../../model/envelope/header-values.js'

/** Header names another framework uses for the death fields (context setting `dlq.headers`). */
export interface CustomDeathHeaders {
  reason?: string
  count?: string
  time?: string
  originTarget?: string
  originPartition?: string
  originOffset?: string
  originSequence?: string
  originExchange?: string
  originConsumer?: string
  errorClass?: string
  errorMessage?: string
}

export interface DetectDeathOptions {
  customHeaders?: CustomDeathHeaders
}

export function detectDeath(e: Envelope, o: DetectDeathOptions = {}): DeathRecord | undefined {
  const headers = headerLookup(e.headers)
  return (
    fromXDeath(headers) ??
    fromSpring(headers, e) ??
    fromKafkaConnect(headers, e) ??
    (o.customHeaders ? fromCustom(headers, o.customHeaders, e) : undefined) ??
    fromJetStreamAdvisory(e)
  )
}

/** An envelope with its death record filled in (a copy; the input is not changed). Keeps an existing record. */
export function withDeath(e: Envelope, o: DetectDeathOptions = {}): Envelope {
  if (e.death) return e
  const death = detectDeath(e, o)
  return death ? {...e, death} : e
}

// ---------------------------------------------------------------------------------------------------------------
// RabbitMQ

function fromXDeath(h: HeaderLookup): DeathRecord | undefined {
  const xDeath = h.get('x-death')
  const entries = xDeath && typeof xDeath === 'object' && 'array' in xDeath ? xDeath.array.flatMap(tableOf) : []
  if (entries.length === 0) return fromFirstDeath(h)
  // Most recent first: entry 0 is where the message died last, which is where a replay should send it back.
  const latest = headerLookup(entries[0])
  const times = entries
    .map((t) => timeOf(headerLookup(t).get('time')))
    .filter((t): t is string => t !== undefined)
    .sort()
  const routingKeys = latest.get('routing-keys')
  return compact({
    source: 'x-death',
    reason: textOf(latest.get('reason')),
    count: numberOf(latest.get('count')),
    // x-death keeps the time of the FIRST death per {queue, reason}; the latest of those is the best "last" known.
    firstTime: times[0],
    lastTime: times.at(-1),
    origin: compact({
      broker: 'rabbitmq' as const,
      target: textOf(latest.get('queue')),
      exchange: textOf(latest.get('exchange')),
      routingKeys:
        routingKeys && typeof routingKeys === 'object' && 'array' in routingKeys
          ? routingKeys.array.map((k) => headerValueToText(k))
          : undefined,
    }),
  })
}

function fromFirstDeath(h: HeaderLookup): DeathRecord | undefined {
  const queue = textOf(h.get('x-first-death-queue'))
  const reason = textOf(h.get('x-first-death-reason'))
  if (queue === undefined && reason === undefined) return undefined
  return compact({
    source: 'x-death',
    reason,
    origin: compact({broker: 'rabbitmq' as const, target: queue, exchange: textOf(h.get('x-first-death-exchange'))}),
  })
}

function tableOf(v: HeaderValue): Header[][] {
  return typeof v === 'object' && 'table' in v ? [v.table] : []
}

// ---------------------------------------------------------------------------------------------------------------
// Kafka: Spring DeadLetterPublishingRecoverer and Kafka Connect

const SPRING = 'kafka_dlt-'

function fromSpring(h: HeaderLookup, e: Envelope): DeathRecord | undefined {
  const topic = textOf(h.get(`${SPRING}original-topic`))
  const keyFailed = !h.has(`${SPRING}exception-fqcn`) && h.has(`${SPRING}key-exception-fqcn`)
  const exception = keyFailed ? `${SPRING}key-exception-` : `${SPRING}exception-`
  if (topic === undefined && !h.has(`${exception}fqcn`)) return undefined
  const originalTime = bigEndianOf(h.get(`${SPRING}original-timestamp`), 8)
  return compact({
    source: 'spring',
    reason: keyFailed ? 'key-exception' : 'exception',
    firstTime: originalTime === undefined ? undefined : isoFromMillis(Number(originalTime)),
    lastTime: e.timestamp,
    origin: compact({
      broker: 'kafka' as const,
      target: topic,
      partition: optionalNumber(bigEndianOf(h.get(`${SPRING}original-partition`), 4)),
      offset: bigEndianOf(h.get(`${SPRING}original-offset`), 8)?.toString(),
      consumer: textOf(h.get(`${SPRING}original-consumer-group`)),
    }),
    error: springError(h, exception),
  })
}

/**
 * Spring (3.0.7+) writes the exception it was handed as `exception-fqcn` (for a listener failure that is its own
 * ListenerExecutionFailedException) and the root cause beneath it as `exception-cause-fqcn`; its message header joins
 * both messages as "<wrapper message>; <cause message>". The cause is what failed, so it is the record's class.
 */
function springError(h: HeaderLookup, exception: string): DeathError | undefined {
  const thrownClass = textOf(h.get(`${exception}fqcn`))
  const causeClass = textOf(h.get(`${SPRING}exception-cause-fqcn`))
  const message = textOf(h.get(`${exception}message`))
  if (causeClass === undefined || causeClass === thrownClass) {
    const cause = firstCauseIn(textOf(h.get(`${exception}stacktrace`)))
    if (!cause) return compact({class: thrownClass, message})
    return compact({...cause, wrapper: compact({class: thrownClass, message})})
  }
  const joined = splitSpringMessage(message)
  return compact({
    class: causeClass,
    message: textOf(h.get(`${SPRING}exception-cause-message`)) ?? joined.cause,
    wrapper: compact({class: thrownClass, message: joined.wrapper}),
  })
}

/**
 * A deserialization failure (ErrorHandlingDeserializer) reaches Spring's recoverer as a DeserializationException
 * named as its own cause; what the deserializer threw is only in the stack trace, as the first "Caused by:" line.
 */
function firstCauseIn(stacktrace: string | undefined): DeathError | undefined {
  const line = stacktrace?.match(/^Caused by: ([\w.$]+)(?:: (.*))?$/m)
  if (!line) return undefined
  return compact({class: line[1], message: line[2] || undefined})
}

/** Spring's "<wrapper message>; <cause message>" (just the cause's message when the wrapper had none). */
function splitSpringMessage(message: string | undefined): {wrapper?: string; cause?: string} {
  if (message === undefined) return {}
  const at = message.indexOf('; ')
  if (at < 0) return {cause: message}
  return {wrapper: message.slice(0, at), cause: message.slice(at + 2) || undefined}
}

const CONNECT = '__connect.errors.'

function fromKafkaConnect(h: HeaderLookup, e: Envelope): DeathRecord | undefined {
  const topic = textOf(h.get(`${CONNECT}topic`))
  const exceptionClass = textOf(h.get(`${CONNECT}exception.class.name`))
  if (topic === undefined && exceptionClass === undefined) return undefined
  return compact({
    source: 'kafka-connect',
    reason: textOf(h.get(`${CONNECT}stage`)),
    lastTime: e.timestamp,
    origin: compact({
      broker: 'kafka' as const,
      target: topic,
      partition: numberOf(h.get(`${CONNECT}partition`)),
      offset: integerTextOf(h.get(`${CONNECT}offset`)),
      consumer: textOf(h.get(`${CONNECT}connector.name`)),
    }),
    error: compact({
      class: exceptionClass,
      message: textOf(h.get(`${CONNECT}exception.message`)),
      component: textOf(h.get(`${CONNECT}class.name`)),
    }),
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Header names from the context

function fromCustom(h: HeaderLookup, names: CustomDeathHeaders, e: Envelope): DeathRecord | undefined {
  const field = (name: string | undefined): HeaderValue | undefined => (name === undefined ? undefined : h.get(name))
  const present = Object.values(names).some((name) => typeof name === 'string' && h.has(name))
  if (!present) return undefined
  return compact({
    source: 'custom',
    reason: textOf(field(names.reason)),
    count: numberOf(field(names.count)),
    lastTime: timeOf(field(names.time)) ?? e.timestamp,
    origin: compact({
      broker: e.broker,
      target: textOf(field(names.originTarget)),
      exchange: textOf(field(names.originExchange)),
      partition: numberOf(field(names.originPartition)),
      offset: integerTextOf(field(names.originOffset)),
      sequence: numberOf(field(names.originSequence)),
      consumer: textOf(field(names.originConsumer)),
    }),
    error: compact({class: textOf(field(names.errorClass)), message: textOf(field(names.errorMessage))}),
  })
}

// ---------------------------------------------------------------------------------------------------------------
// JetStream advisories stored in a DLQ stream (see `dlq capture`)

const ADVISORY_REASONS: Record<string, string> = {
  'io.nats.jetstream.advisory.v1.max_deliver': 'max_deliveries',
  'io.nats.jetstream.advisory.v1.terminated': 'terminated',
}

export interface JetStreamAdvisory {
  type: string
  stream: string
  consumer?: string
  stream_seq: number
  deliveries?: number
  timestamp?: string
  reason?: string
}

/** The advisory JSON a JetStream DLQ entry carries, or undefined when the body is not one. */
export function parseAdvisory(e: Envelope): JetStreamAdvisory | undefined {
  if (!('utf8' in e.body) || !e.body.utf8.trimStart().startsWith('{')) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(e.body.utf8)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const a = parsed as Partial<JetStreamAdvisory>
  if (typeof a.type !== 'string' || !(a.type in ADVISORY_REASONS)) return undefined
  if (typeof a.stream !== 'string' || typeof a.stream_seq !== 'number') return undefined
  return a as JetStreamAdvisory
}

function fromJetStreamAdvisory(e: Envelope): DeathRecord | undefined {
  const a = parseAdvisory(e)
  if (!a) return undefined
  return compact({
    source: 'jetstream-advisory',
    reason: ADVISORY_REASONS[a.type],
    count: a.deliveries,
    lastTime: a.timestamp ?? e.timestamp,
    origin: compact({broker: 'nats' as const, target: a.stream, sequence: a.stream_seq, consumer: a.consumer}),
    error: a.reason ? {message: a.reason} : undefined,
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Header value helpers

interface HeaderLookup {
  get(name: string): HeaderValue | undefined
  has(name: string): boolean
}

/** Last value wins for duplicated names (Kafka/NATS allow duplicates; frameworks append). */
function headerLookup(headers: readonly Header[]): HeaderLookup {
  const map = new Map<string, HeaderValue>()
  for (const [name, value] of headers) map.set(name, value)
  return {get: (name) => map.get(name), has: (name) => map.has(name)}
}

function textOf(v: HeaderValue | undefined): string | undefined {
  if (v === undefined || (typeof v === 'object' && 'null' in v)) return undefined
  if (typeof v === 'object' && 'bytes' in v) return Buffer.from(v.bytes, 'base64').toString('utf8')
  return headerValueToText(v)
}

function numberOf(v: HeaderValue | undefined): number | undefined {
  const text = integerTextOf(v)
  return text === undefined ? undefined : Number(text)
}

/** An integer from a typed AMQP value or from decimal text. */
function integerTextOf(v: HeaderValue | undefined): string | undefined {
  if (v === undefined) return undefined
  if (typeof v === 'object' && 'int' in v) return v.int
  if (typeof v === 'object' && 'float' in v && typeof v.float === 'number') return String(Math.trunc(v.float))
  const text = textOf(v)?.trim()
  return text !== undefined && /^-?\d+$/.test(text) ? text : undefined
}

/**
 * A fixed-width big-endian integer header (Spring writes partition as 4 bytes, offset and timestamp as 8). The
 * value arrives as a string when those bytes happen to be valid UTF-8, so decode from the raw bytes by width.
 */
function bigEndianOf(v: HeaderValue | undefined, width: 4 | 8): bigint | undefined {
  if (v === undefined) return undefined
  const bytes = headerValueToBytes(v)
  if (bytes === null || bytes.length !== width) return undefined
  return width === 4 ? BigInt(bytes.readInt32BE(0)) : bytes.readBigInt64BE(0)
}

function timeOf(v: HeaderValue | undefined): string | undefined {
  if (v === undefined) return undefined
  if (typeof v === 'object' && 'timestamp' in v) return isoFromMillis(v.timestamp * 1000)
  const n = numberOf(v)
  if (n !== undefined) return isoFromMillis(n)
  const text = textOf(v)
  if (text === undefined) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

function isoFromMillis(ms: number): string | undefined {
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

function optionalNumber(v: bigint | undefined): number | undefined {
  return v === undefined ? undefined : Number(v)
}

/** Drops undefined fields and empty nested objects, so records stay small and comparable. */
function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) continue
    out[k] = v
  }
  return out as T
}
