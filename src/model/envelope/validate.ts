// Strict shape checks for envelopes read from NDJSON. Each check returns what is wrong (with a JSON path) or
// undefined; ndjson.ts adds the line number and turns it into a USAGE error.
import type {Envelope} from './types.js'
import {isBase64, isWellFormedText} from './utf8.js'

type Check = (v: unknown, path: string) => string | undefined

export const ENVELOPE_KEYS = [
  'v',
  'broker',
  'target',
  'key',
  'partition',
  'headers',
  'properties',
  'body',
  'timestamp',
  'meta',
  'death',
  'decoded',
] as const
export const PROPERTY_KEYS = [
  'contentType',
  'contentEncoding',
  'messageId',
  'correlationId',
  'replyTo',
  'expiration',
  'priority',
  'deliveryMode',
  'type',
  'appId',
  'userId',
  'timestamp',
] as const
export const META_KEYS = [
  'partition',
  'offset',
  'sequence',
  'stream',
  'subject',
  'exchange',
  'routingKey',
  'redelivered',
  'deliveryCount',
] as const
export const DEATH_KEYS = ['reason', 'count', 'firstTime', 'lastTime', 'origin', 'error', 'source'] as const
export const ORIGIN_KEYS = [
  'broker',
  'target',
  'exchange',
  'routingKeys',
  'partition',
  'offset',
  'sequence',
  'subject',
  'consumer',
] as const
export const HEADER_TAGS = ['bytes', 'int', 'float', 'bool', 'timestamp', 'decimal', 'array', 'table', 'null'] as const

const BROKERS = ['rabbitmq', 'kafka', 'nats']
const INT_TEXT = /^-?(?:0|[1-9]\d*)$/
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

const text: Check = (v, path) => {
  if (typeof v !== 'string') return `${path} must be a string`
  return isWellFormedText(v) ? undefined : `${path} holds a lone UTF-16 surrogate, which UTF-8 cannot represent`
}
const base64: Check = (v, path) =>
  typeof v === 'string' && isBase64(v) ? undefined : `${path} must be standard padded base64`
const bool: Check = (v, path) => (typeof v === 'boolean' ? undefined : `${path} must be true or false`)
const intIn =
  (min: number, max: number): Check =>
  (v, path) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? undefined
      : `${path} must be an integer from ${min} to ${max}`
const count = intIn(0, Number.MAX_SAFE_INTEGER)
const offsetText: Check = (v, path) =>
  typeof v === 'string' && INT_TEXT.test(v) ? undefined : `${path} must be an integer written as a string`
const oneOf =
  (values: readonly string[]): Check =>
  (v, path) =>
    typeof v === 'string' && values.includes(v) ? undefined : `${path} must be one of ${values.join(', ')}`
const isoTime: Check = (v, path) =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? undefined : `${path} must be an ISO 8601 time string`
const listOf =
  (item: Check): Check =>
  (v, path) => {
    if (!Array.isArray(v)) return `${path} must be an array`
    return firstProblem(v.map((x, i) => () => item(x, `${path}[${i}]`)))
  }

/** An object whose known fields pass their checks; unknown fields are refused, or kept when `open`. */
const record =
  (fields: Record<string, Check>, open = false): Check =>
  (v, path) => {
    if (!isObject(v)) return `${path} must be an object`
    const unknown = open ? undefined : Object.keys(v).find((k) => !Object.hasOwn(fields, k))
    if (unknown !== undefined)
      return `${path || 'envelope'} has unknown field "${unknown}" (allowed: ${Object.keys(fields).join(', ')})`
    return firstProblem(
      Object.entries(fields).map(
        ([k, check]) =>
          () =>
            v[k] === undefined ? undefined : check(v[k], join(path, k)),
      ),
    )
  }

const join = (path: string, k: string) => (path ? `${path}.${k}` : k)

function firstProblem(checks: Array<() => string | undefined>): string | undefined {
  for (const check of checks) {
    const problem = check()
    if (problem !== undefined) return problem
  }
  return undefined
}

const int64Text: Check = (v, path) => {
  if (typeof v !== 'string' || !INT_TEXT.test(v)) return `${path} must be an integer written as a string, e.g. "42"`
  const n = BigInt(v)
  return n >= INT64_MIN && n <= INT64_MAX ? undefined : `${path} is outside the signed 64-bit range`
}
const floatValue: Check = (v, path) =>
  (typeof v === 'number' && Number.isFinite(v)) || v === 'NaN' || v === 'Infinity' || v === '-Infinity'
    ? undefined
    : `${path} must be a number or one of "NaN", "Infinity", "-Infinity"`
const decimal = record({places: intIn(0, 255), digits: intIn(0, 2 ** 32 - 1)})
// amqplib decodes an unsigned 64-bit 'T' to a JS number, which may round up to 2^64 (see src/adapters/rabbitmq/amqp-table.ts).
const amqpTimestamp: Check = (v, path) =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2 ** 64
    ? undefined
    : `${path} must be a whole number of seconds from 0`
const nullTag: Check = (v, path) => (v === true ? undefined : `${path} must be true`)

const TAG_CHECKS: Record<(typeof HEADER_TAGS)[number], Check> = {
  bytes: base64,
  int: int64Text,
  float: floatValue,
  bool,
  timestamp: amqpTimestamp,
  decimal: (v, path) => decimal(v, path) ?? missingField(v, path, ['places', 'digits']),
  array: (v, path) => listOf(headerValue)(v, path),
  table: (v, path) => headerList(v, path),
  null: nullTag,
}

function missingField(v: unknown, path: string, keys: string[]): string | undefined {
  const missing = keys.find((k) => (v as Record<string, unknown>)[k] === undefined)
  return missing === undefined ? undefined : `${path}.${missing} is missing`
}

export function headerValue(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') return text(v, path)
  if (!isObject(v)) return `${path} must be a string or a tagged value such as {"bytes": "<base64>"}`
  const keys = Object.keys(v)
  if (keys.length !== 1)
    return `${path} must have exactly one tag (one of ${HEADER_TAGS.join(', ')}), found ${keys.length}`
  const tag = keys[0] as (typeof HEADER_TAGS)[number]
  if (!Object.hasOwn(TAG_CHECKS, tag)) return `${path} has unknown tag "${tag}" (allowed: ${HEADER_TAGS.join(', ')})`
  return TAG_CHECKS[tag](v[tag], `${path}.${tag}`)
}

export function headerList(v: unknown, path: string): string | undefined {
  if (!Array.isArray(v)) return `${path} must be an array of [name, value] pairs`
  return firstProblem(v.map((pair, i) => () => header(pair, `${path}[${i}]`)))
}

function header(pair: unknown, path: string): string | undefined {
  if (!Array.isArray(pair) || pair.length !== 2) return `${path} must be a [name, value] pair`
  return text(pair[0], `${path}[0]`) ?? headerValue(pair[1], `${path}[1]`)
}

const body: Check = (v, path) => {
  if (!isObject(v)) return `${path} must be an object with "utf8" or "base64"`
  const keys = Object.keys(v)
  if (keys.length !== 1 || (keys[0] !== 'utf8' && keys[0] !== 'base64')) {
    return `${path} must have exactly one of "utf8" or "base64", found ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'none'}`
  }
  return keys[0] === 'utf8' ? text(v.utf8, `${path}.utf8`) : base64(v.base64, `${path}.base64`)
}

const key: Check = (v, path) => {
  if (v === null || typeof v === 'string') return v === null ? undefined : text(v, path)
  return record({bytes: base64})(v, path) ?? missingField(v, path, ['bytes'])
}

const properties = record({
  contentType: text,
  contentEncoding: text,
  messageId: text,
  correlationId: text,
  replyTo: text,
  expiration: text,
  priority: intIn(0, 255),
  deliveryMode: intIn(0, 255),
  type: text,
  appId: text,
  userId: text,
  timestamp: count,
})

const meta = record(
  {
    partition: count,
    offset: offsetText,
    sequence: count,
    stream: text,
    subject: text,
    exchange: text,
    routingKey: text,
    redelivered: bool,
    deliveryCount: count,
  },
  true,
)

const death = record(
  {
    reason: text,
    count,
    firstTime: text,
    lastTime: text,
    source: text,
    origin: record(
      {
        broker: oneOf(BROKERS),
        target: text,
        exchange: text,
        routingKeys: listOf(text),
        partition: count,
        offset: offsetText,
        sequence: count,
        subject: text,
        consumer: text,
      },
      true,
    ),
    error: record({class: text, message: text}, true),
  },
  true,
)

const envelopeFields = record({
  v: (v, path) => (v === 1 ? undefined : `${path} must be 1 (found ${JSON.stringify(v) ?? 'nothing'})`),
  broker: oneOf(BROKERS),
  target: text,
  key,
  partition: intIn(0, 2 ** 31 - 1),
  headers: headerList,
  properties,
  body,
  timestamp: isoTime,
  meta,
  death,
  // A decoded view (dlq export writes it): read back, it is ignored, whatever it holds.
  decoded: (v, path) => (isObject(v) ? undefined : `${path} must be an object`),
})

/** What is wrong with `v` as an envelope, or undefined when it is one. Absent `headers` count as none. */
export function envelopeProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'must be a JSON object (one envelope per line)'
  if (v.v === undefined) return 'v is missing (must be 1)'
  if (v.body === undefined) return 'body is missing (must be {"utf8": ...} or {"base64": ...})'
  return envelopeFields(v, '')
}

export function isEnvelopeShape(v: unknown): v is Envelope {
  return envelopeProblem(v) === undefined
}
