// kafkajs messages <-> Envelope.
import type {IHeaders, KafkaMessage, Message} from 'kafkajs'
import {bodyFromBytes, bodyToBytes} from '../../model/envelope/body.js'
import {headerValueFromBytes, headerValueToBytes, keyFromBytes, keyToBytes} from '../../model/envelope/header-values.js'
import {isoFromMillis} from '../../model/envelope/time.js'
import type {Body, Envelope, Header} from '../../model/envelope/types.js'
import {MailroomError} from '../../model/errors.js'
// Outgoing headers are a HeaderList, which only the patched record encoder reads: the patches must be in place.
import './patches/install.js'
import {byteLengthOf, HeaderList} from './patches/record-encoder.js'

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

/** Envelope -> kafkajs message, on the partition `partitionOf` chooses for its key bytes. */
export function kafkaMessageFromEnvelope(
  env: Envelope,
  partitionOf: (key: Buffer | null) => number,
  bodies: BodyValues,
): OutgoingMessage {
  const key = keyToBytes(env.key ?? null)
  const value = bodies.valueOf(env.body)
  const {headers, bytes: headerBytes} = headersToKafka(env.headers)
  const message: Message = {key, value, partition: partitionOf(key), headers}
  if (env.timestamp !== undefined) message.timestamp = String(timestampMs(env.timestamp))
  return {message, bytes: RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + byteLengthOf(value) + headerBytes}
}

function timestampMs(iso: string): number {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new MailroomError('USAGE', `invalid timestamp ${JSON.stringify(iso)} (expected ISO 8601)`)
  return ms
}

/**
 * Headers in envelope order, with their sizes, for mailroom's record encoder (patches/record-encoder.ts), which
 * writes them as they are; kafkajs's own encoder, its rare fallback, gets the object it expects from them.
 */
function headersToKafka(headers: Header[]): {headers: IHeaders; bytes: number} {
  if (headers.length === 0) return NO_HEADERS
  const parts: (Buffer | string)[] = []
  const byteLengths: number[] = []
  let bytes = 0
  for (const [name, value] of headers) {
    // Text goes as it is (the encoder writes its UTF-8 straight into the record; a Buffer per value costs more).
    // Kafka allows a null header value but kafkajs 2.2.4 crashes sizing one, so it is written as empty bytes.
    const v = typeof value === 'string' ? value : (headerValueToBytes(value) ?? EMPTY)
    const nameBytes = Buffer.byteLength(name)
    const valueBytes = byteLengthOf(v)
    parts.push(name, v)
    byteLengths.push(nameBytes, valueBytes)
    bytes += HEADER_OVERHEAD_BYTES + nameBytes + valueBytes
  }
  // kafkajs's Message type wants an object; only the patched record encoder ever reads this one.
  return {headers: new HeaderList(parts, byteLengths) as unknown as IHeaders, bytes}
}
/** Shared by every message without headers (kafkajs only reads it). */
const NO_HEADERS: {headers: IHeaders; bytes: number} = Object.freeze({headers: Object.freeze({}), bytes: 0})
