// Header values <-> bytes (Kafka, NATS) and text. AMQP field tables are RabbitMQ's: src/adapters/rabbitmq/amqp-table.ts.
import type {Envelope, HeaderValue} from './types.js'
import {base64FromBytes, utf8OrUndefined} from './utf8.js'

/**
 * A Kafka / NATS header value as a HeaderValue: a plain string when the bytes are valid UTF-8, else `{bytes}`.
 * Kafka allows a null header value; it becomes `{null: true}`.
 */
export function headerValueFromBytes(buf: Uint8Array | null | undefined): HeaderValue {
  if (buf == null) return {null: true}
  return bytesAsText(buf)
}

/**
 * The bytes to put on the wire for a header value: strings as UTF-8, `{bytes}` decoded, `{null}` as null (Kafka
 * writes a null header value). Other tagged kinds (AMQP typed values) have no byte form of their own, so they are
 * written as the UTF-8 of `headerValueToText`: `{int: "3"}` -> `3`, a table -> its JSON text.
 */
export function headerValueToBytes(v: HeaderValue): Buffer | null {
  if (typeof v === 'string') return Buffer.from(v, 'utf8')
  if ('bytes' in v) return Buffer.from(v.bytes, 'base64')
  if ('null' in v) return null
  return Buffer.from(headerValueToText(v), 'utf8')
}

/**
 * A header value as text, for brokers whose headers are text (NATS) and for display:
 * strings as they are, bytes as base64, int / float / bool / timestamp (epoch seconds) / decimal as their number
 * text, null as the empty string, arrays and tables as JSON of these plain values (tables as JSON objects).
 */
export function headerValueToText(v: HeaderValue): string {
  if (typeof v === 'string') return v
  if ('bytes' in v) return v.bytes
  if ('null' in v) return ''
  return plainJson(v)
}

/** Kafka key / NATS subject bytes as an envelope key (null stays null: Kafka keys are nullable). */
export function keyFromBytes(buf: Uint8Array | null | undefined): Envelope['key'] {
  if (buf == null) return null
  return bytesAsText(buf)
}

export function keyToBytes(key: Envelope['key']): Buffer | null {
  if (key == null) return null
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key.bytes, 'base64')
}

function bytesAsText(buf: Uint8Array): string | {bytes: string} {
  const text = utf8OrUndefined(buf)
  return text === undefined ? {bytes: base64FromBytes(buf)} : text
}

function plainJson(v: HeaderValue): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if ('bytes' in v) return JSON.stringify(v.bytes)
  if ('int' in v) return v.int
  if ('float' in v) return JSON.stringify(v.float) // non-finite floats are already text: "NaN"
  if ('bool' in v) return String(v.bool)
  if ('timestamp' in v) return String(v.timestamp)
  if ('decimal' in v) return decimalText(v.decimal.digits, v.decimal.places)
  if ('null' in v) return 'null'
  if ('array' in v) return `[${v.array.map(plainJson).join(',')}]`
  return `{${v.table.map(([name, value]) => `${JSON.stringify(name)}:${plainJson(value)}`).join(',')}}`
}

function decimalText(digits: number, places: number): string {
  if (places === 0) return String(digits)
  const padded = String(digits).padStart(places + 1, '0')
  return `${padded.slice(0, -places)}.${padded.slice(-places)}`
}
