// A faster encoder for kafkajs's produce records, byte for byte the same as its own.
// kafkajs encodes each record through a fresh zero-filled 512-byte buffer, plus another per header and a small
// array-backed Buffer per varint: most of a Kafka publish or replay was spent there. This one measures the record
// first and writes it into one buffer of exactly that size.

type HeaderValue = Buffer | string | null | undefined
export interface RecordInput {
  offsetDelta?: number
  timestampDelta?: number
  key?: Buffer | string | null
  value?: Buffer | string | null
  headers?: Record<string, HeaderValue | HeaderValue[]>
}

/** What kafkajs's record batch needs from an encoded record: the shape of its Encoder. */
export interface EncodedRecord {
  buf: Buffer
  offset: number
  readonly buffer: Buffer
  size(): number
}

export type RecordEncoder = (record: RecordInput) => EncodedRecord

export function encodeRecord(record: RecordInput): EncodedRecord {
  const {offsetDelta = 0, timestampDelta = 0, key, value, headers = {}} = record
  const pairs = headerPairs(headers)
  let body = 1 + sizeOfVarLong(timestampDelta) + sizeOfVarInt(offsetDelta) + sizeOfBytes(key) + sizeOfBytes(value) + sizeOfVarInt(pairs.length / 2)
  for (let i = 0; i < pairs.length; i += 2) body += sizeOfBytes(pairs[i]) + sizeOfBytes(pairs[i + 1])
  const buf = Buffer.allocUnsafe(sizeOfVarInt(body) + body)
  let at = writeVarInt(buf, 0, body)
  buf[at++] = 0 // attributes: none used in a record
  at = writeVarLong(buf, at, timestampDelta)
  at = writeVarInt(buf, at, offsetDelta)
  at = writeBytes(buf, at, key)
  at = writeBytes(buf, at, value)
  at = writeVarInt(buf, at, pairs.length / 2)
  for (const part of pairs) at = writeBytes(buf, at, part)
  return asEncoder(buf)
}

/** Header names and values, flattened (an array value is one header per element, as kafkajs sends it). */
function headerPairs(headers: NonNullable<RecordInput['headers']>): HeaderValue[] {
  const pairs: HeaderValue[] = []
  for (const name of Object.keys(headers)) {
    const v = headers[name]
    if (Array.isArray(v)) for (const each of v) pairs.push(name, each)
    else pairs.push(name, v)
  }
  return pairs
}

function asEncoder(buf: Buffer): EncodedRecord {
  return {buf, offset: buf.length, buffer: buf, size: () => buf.length}
}

function sizeOfBytes(v: HeaderValue): number {
  if (v == null) return 1
  const n = Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v))
  return sizeOfVarInt(n) + n
}

function writeBytes(buf: Buffer, at: number, v: HeaderValue): number {
  if (v == null) return writeVarInt(buf, at, -1)
  if (Buffer.isBuffer(v)) {
    at = writeVarInt(buf, at, v.length)
    return at + v.copy(buf, at)
  }
  const text = String(v)
  at = writeVarInt(buf, at, Buffer.byteLength(text))
  return at + buf.write(text, at)
}

const zigZag32 = (v: number): number => ((v << 1) ^ (v >> 31)) >>> 0
/** Zig-zag of a safe integer without 64-bit arithmetic: 0, -1, 1, -2 ... -> 0, 1, 2, 3 ... */
const zigZag53 = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1)

function sizeOfUnsigned(u: number): number {
  let n = 1
  while (u >= 128) {
    u = Math.floor(u / 128)
    n++
  }
  return n
}

function writeUnsigned(buf: Buffer, at: number, u: number): number {
  while (u >= 128) {
    buf[at++] = (u % 128) | 128
    u = Math.floor(u / 128)
  }
  buf[at++] = u
  return at
}

const sizeOfVarInt = (v: number): number => sizeOfUnsigned(zigZag32(v))
const writeVarInt = (buf: Buffer, at: number, v: number): number => writeUnsigned(buf, at, zigZag32(v))
const sizeOfVarLong = (v: number): number => sizeOfUnsigned(zigZag53(v))
const writeVarLong = (buf: Buffer, at: number, v: number): number => writeUnsigned(buf, at, zigZag53(v))

/** Encodes with ours what ours encodes exactly; anything unusual (a Long or out-of-range delta) goes to kafkajs's. */
export function withFallback(kafkajsOwn: RecordEncoder): RecordEncoder {
  return (record) => {
    const {timestampDelta = 0, offsetDelta = 0} = record
    if (!Number.isSafeInteger(timestampDelta) || Math.abs(timestampDelta) > 2 ** 52 || !Number.isInteger(offsetDelta)) return kafkajsOwn(record)
    return encodeRecord(record)
  }
}
