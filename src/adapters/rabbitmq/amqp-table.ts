// AMQP field tables (as amqplib 2.x decodes and encodes them) <-> ordered header lists.
//
// What amqplib's decoder (lib/codec.js decodeFields) hands us, and how each maps:
//   S longstr                -> string                          <-> string
//   x byte array             -> Buffer                          <-> {bytes}
//   b B s u I i l integers   -> number (l above 2^53 already    <-> {int}      re-encoded as 'l' (signed 64-bit)
//                               rounded by amqplib)
//   f float, d double        -> number                          <-> {float} or {int} when integral (see below)
//   T timestamp              -> {'!': 'timestamp', value: n}    <-> {timestamp}
//   D decimal                -> {'!': 'decimal', value: {places, digits}} <-> {decimal}
//   t boolean                -> boolean                         <-> {bool}
//   V void                   -> null                            <-> {null: true}
//   A array, F table         -> array, plain object             <-> {array}, {table}
// amqplib decodes every integer width and integral floats to the same JS number, so the width cannot be recovered;
// integers go back as 'l', the type RabbitMQ itself writes (x-death `count`, x-delivery-count). Non-integral
// numbers go back as 'd' (amqplib cannot tell 'f' from 'd' either). Everything else reproduces its wire type.
import {MailroomError} from '../../model/errors.js'
import type {Header, HeaderValue} from '../../model/envelope/types.js'
import {base64FromBytes} from '../../model/envelope/utf8.js'

export type AmqpTable = Record<string, unknown>

const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n
const TWO_POW_63 = 2 ** 63
const MAX_KEY_BYTES = 255 // shortstr
const INT_TEXT = /^-?(?:0|[1-9]\d*)$/
const INTEGER_TYPES = new Set([
  'long',
  'int64',
  'int',
  'int32',
  'unsignedint',
  'uint32',
  'short',
  'int16',
  'unsignedshort',
  'uint16',
  'byte',
  'int8',
  'unsignedbyte',
  'uint8',
])
const FLOAT_TYPES = new Set(['double', 'float64', 'float'])

/** A decoded AMQP header table as an ordered header list (table key order, which amqplib preserves). */
export function amqpHeadersToList(table: AmqpTable | undefined | null): Header[] {
  if (table == null) return []
  const headers: Header[] = []
  for (const [name, value] of Object.entries(table)) {
    if (value !== undefined) headers.push([name, amqpValueToHeaderValue(value)])
  }
  return headers
}

/**
 * A header list as an amqplib header table, typed with amqplib's `{'!': type, value}` notation where a plain JS
 * value would be encoded with a different wire type. An AMQP table has unique keys: the last duplicate's value wins
 * (at the first one's position). Names longer than 255 bytes cannot be AMQP keys: MailroomError USAGE.
 */
export function amqpHeadersFromList(headers: readonly Header[]): AmqpTable {
  const table: AmqpTable = {}
  for (const [name, value] of headers) {
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit: only a long name needs measuring.
    if (name.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(name) > MAX_KEY_BYTES) {
      throw new MailroomError(
        'USAGE',
        `header name "${name.slice(0, 40)}..." is longer than the ${MAX_KEY_BYTES} bytes an AMQP table key can hold`,
      )
    }
    // defineProperty, not assignment, so a header named `__proto__` is an ordinary key (assignment is faster).
    if (name === '__proto__')
      Object.defineProperty(table, name, {
        value: headerValueToAmqp(value),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    else table[name] = headerValueToAmqp(value)
  }
  return table
}

export function amqpValueToHeaderValue(value: unknown): HeaderValue {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return numberValue(value)
  if (typeof value === 'bigint') return {int: value.toString()}
  if (typeof value === 'boolean') return {bool: value}
  if (value === null) return {null: true}
  if (value instanceof Uint8Array) return {bytes: base64FromBytes(value)}
  if (Array.isArray(value)) return {array: value.map(amqpValueToHeaderValue)}
  if (value instanceof Date) return {timestamp: Math.floor(value.getTime() / 1000)}
  if (typeof value === 'object')
    return typedValue(value as Record<string, unknown>) ?? {table: amqpHeadersToList(value as AmqpTable)}
  throw new MailroomError('INTERNAL', `cannot map AMQP header value of type ${typeof value}`)
}

export function headerValueToAmqp(v: HeaderValue): unknown {
  if (typeof v === 'string') return v
  if ('bytes' in v) return Buffer.from(v.bytes, 'base64')
  if ('int' in v) return {'!': 'long', value: longValue(v.int)}
  if ('float' in v) return {'!': 'double', value: Number(v.float)}
  if ('bool' in v) return v.bool
  if ('timestamp' in v) return {'!': 'timestamp', value: timestampValue(v.timestamp)}
  if ('decimal' in v) return {'!': 'decimal', value: {places: v.decimal.places, digits: v.decimal.digits}}
  if ('null' in v) return null
  if ('array' in v) return v.array.map(headerValueToAmqp)
  return amqpHeadersFromList(v.table)
}

function numberValue(n: number): HeaderValue {
  if (!Number.isInteger(n) || Math.abs(n) > TWO_POW_63) return {float: Number.isFinite(n) ? n : (String(n) as 'NaN')}
  // Number(int64) rounds values near the maximum up to 2^63, which is out of range: it stands for INT64_MAX.
  const big = BigInt(n)
  return {int: (big > INT64_MAX ? INT64_MAX : big).toString()}
}

/** amqplib's typed notation `{'!': type, value}` (its decoder uses it for timestamps and decimals). */
function typedValue(o: Record<string, unknown>): HeaderValue | undefined {
  const keys = Object.keys(o)
  if (keys.length !== 2 || !('!' in o) || !('value' in o) || typeof o['!'] !== 'string') return undefined
  const type = o['!']
  const value = o.value
  if (type === 'timestamp' && typeof value === 'number') return {timestamp: value}
  if (type === 'decimal' && isDecimal(value)) return {decimal: {places: value.places, digits: value.digits}}
  if (INTEGER_TYPES.has(type)) return integerValue(value)
  if (FLOAT_TYPES.has(type) && typeof value === 'number')
    return {float: Number.isFinite(value) ? value : (String(value) as 'NaN')}
  return undefined
}

/** A typed integer's value: a number, a bigint, or decimal text (amqpHeadersFromList writes text above 2^53). */
function integerValue(value: unknown): HeaderValue | undefined {
  if (typeof value === 'number') return numberValue(value)
  if (typeof value === 'bigint') return {int: value.toString()}
  if (typeof value === 'string' && INT_TEXT.test(value)) return {int: value}
  return undefined
}

function isDecimal(v: unknown): v is {places: number; digits: number} {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as {places?: unknown}).places === 'number' &&
    typeof (v as {digits?: unknown}).digits === 'number'
  )
}

/** Number(uint64) rounds values near the maximum up to 2^64, which is out of range: it stands for UINT64_MAX. */
function timestampValue(seconds: number): number | string {
  if (Number.isSafeInteger(seconds)) return seconds
  const big = BigInt(seconds)
  return (big > UINT64_MAX ? UINT64_MAX : big).toString()
}

/** A safe integer as a number (readable in amqplib options), larger ones as text that amqplib passes to BigInt. */
function longValue(text: string): number | string {
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : text
}
