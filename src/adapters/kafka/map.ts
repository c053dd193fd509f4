// kafkajs messages <-> Envelope.
import type {IHeaders, KafkaMessage, Message} from 'kafkajs'
import {bodyFromBytes, bodyToBytes} from '../../core/envelope/body.js'
import {headerValueFromBytes, headerValueToBytes, keyFromBytes, keyToBytes} from '../../core/envelope/header-values.js'
import {isoFromMillis} from '../../core/envelope/time.js'
import type {Body, Envelope, Header} from '../../core/envelope/types.js'
import {MailroomError} from '../types.js'

const EMPTY = Buffer.alloc(0)
/** Per-record framing (length, attributes, deltas, varint lengths) as an upper bound, for batch sizing. */
const RECORD_OVERHEAD_BYTES = 40
const HEADER_OVERHEAD_BYTES = 10

export function envelopeFromKafka(topic: string, partition: number, m: KafkaMessage): Envelope {
  return {
    v: 1,
    broker: 'kafka',
    target: topic,
    key: keyFromBytes(m.key),
    headers: headersFromKafka(m.headers),
    // kafkajs gives null for a tombstone; the envelope has no null body, so it reads as empty.
    body: bodyFromBytes(m.value ?? EMPTY),
    timestamp: isoFromMillis(Number(m.timestamp)),
    meta: {partition, offset: m.offset},
  }
}

/**
 * kafkajs decodes headers into an object: values of a repeated name are grouped into an array at the name's first
 * position, and integer-like names ("7") come first. Both are kafkajs limits; the wire order is otherwise kept.
 */
function headersFromKafka(h: IHeaders | undefined): Header[] {
  const out: Header[] = []
  for (const [name, value] of Object.entries(h ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, headerValueFromBytes(asBytes(v))])
  }
  return out
}

function asBytes(v: Buffer | string | undefined): Buffer | null {
  if (v === undefined || v === null) return null
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v
}

export interface OutgoingMessage {
  message: Message
  /** Upper bound of the record's size on the wire. */
  bytes: number
}

/**
 * Body -> kafkajs value. A text body goes as a string: kafkajs writes its UTF-8 into the request itself, cheaper than
 * a Buffer made per message. But kafkajs encodes a Buffer faster than a string, so a body seen again in a row (one
 * message published --count times) is converted once and its Buffer shared (kafkajs only reads it).
 */
export class BodyValues {
  private last?: Body
  private shared?: Buffer

  valueOf(body: Body): Buffer | string {
    if (body === this.last) return (this.shared ??= bodyToBytes(body))
    this.last = body
    this.shared = undefined
    return 'utf8' in body ? body.utf8 : bodyToBytes(body)
  }
}

/** Envelope -> kafkajs message. `partition` is the one already chosen (explicit or by the partitioner). */
export function kafkaMessageFromEnvelope(env: Envelope, partition: number, bodies: BodyValues): OutgoingMessage {
  const key = keyToBytes(env.key ?? null)
  const value = bodies.valueOf(env.body)
  const {headers, bytes: headerBytes} = headersToKafka(env.headers)
  const message: Message = {key, value, partition, headers}
  if (env.timestamp !== undefined) message.timestamp = String(timestampMs(env.timestamp))
  return {message, bytes: RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + byteLength(value) + headerBytes}
}

function timestampMs(iso: string): number {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new MailroomError('USAGE', `invalid timestamp ${JSON.stringify(iso)} (expected ISO 8601)`)
  return ms
}

/**
 * Ordered headers for kafkajs, which takes an object and writes it in Object.keys order. Repeated names become arrays,
 * so a later duplicate is written next to the first one (kafkajs cannot interleave them).
 */
function headersToKafka(headers: Header[]): {headers: IHeaders; bytes: number} {
  if (headers.length === 0) return NO_HEADERS
  // No prototype: a header named "__proto__" or "constructor" is just a name.
  const byName: Record<string, Buffer | string | (Buffer | string)[]> = Object.create(null)
  let bytes = 0
  let integerLikeName = false
  for (const [name, value] of headers) {
    // Text goes to kafkajs as it is (it writes UTF-8 straight into the request; a Buffer per value costs more).
    // Kafka allows a null header value but kafkajs 2.2.4 crashes sizing one, so it is written as empty bytes.
    const buf = typeof value === 'string' ? value : (headerValueToBytes(value) ?? EMPTY)
    bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + byteLength(buf)
    const earlier = byName[name]
    if (earlier === undefined) byName[name] = buf
    else if (Array.isArray(earlier)) earlier.push(buf)
    else byName[name] = [earlier, buf]
    integerLikeName ||= isArrayIndex(name)
  }
  return {headers: integerLikeName ? inFirstAppearanceOrder(byName, headers) : byName, bytes}
}
/** Shared by every message without headers (kafkajs only reads it). */
const NO_HEADERS: {headers: IHeaders; bytes: number} = Object.freeze({headers: Object.freeze({}), bytes: 0})

function byteLength(v: Buffer | string): number {
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length
}

/** Only integer-like names are moved first by an object; a Proxy (slow for kafkajs to walk) keeps them in place. */
function inFirstAppearanceOrder(byName: IHeaders, headers: Header[]): IHeaders {
  const order = [...new Set(headers.map(([name]) => name))]
  return new Proxy(byName, {ownKeys: () => order})
}

function isArrayIndex(name: string): boolean {
  const first = name.charCodeAt(0)
  // Most names do not start with a digit: no pattern match for them.
  return first >= 48 && first <= 57 && /^(0|[1-9]\d*)$/.test(name) && Number(name) < 2 ** 32 - 1
}
