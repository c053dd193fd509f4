// The Confluent wire format: byte 0 is the magic 0, bytes 1-4 the schema id (big-endian int32), then the payload. For
// Protobuf the payload starts with the path of the message in the schema: a zigzag-varint count followed by that
// many zigzag-varint indexes, where the count 0 alone stands for [0] (the first top-level message).

export const MAGIC_BYTE = 0
const HEADER_LENGTH = 5

export interface Framed {
  schemaId: number
  /** Everything after the 5-byte header (for Protobuf still starting with the message indexes). */
  payload: Buffer
}

/** The schema id and payload of a framed record, or undefined when the bytes are not Confluent-framed. */
export function parseFrame(bytes: Buffer | Uint8Array): Framed | undefined {
  const buffer = asBuffer(bytes)
  if (buffer.length < HEADER_LENGTH || buffer[0] !== MAGIC_BYTE) return undefined
  const schemaId = buffer.readInt32BE(1)
  if (schemaId < 0) return undefined
  return {schemaId, payload: buffer.subarray(HEADER_LENGTH)}
}

/** Magic byte, id and payload (for Protobuf, pass the payload already prefixed by writeMessageIndexes). */
export function buildFrame(schemaId: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH)
  header[0] = MAGIC_BYTE
  header.writeInt32BE(schemaId, 1)
  return Buffer.concat([header, payload])
}

/** The Protobuf message indexes at the start of a payload, and the message bytes after them. */
export function readMessageIndexes(payload: Buffer): {indexes: number[]; message: Buffer} {
  const reader = {buffer: payload, offset: 0}
  const count = readZigzagVarint(reader)
  if (count < 0 || count > payload.length) throw new Error(`bad Protobuf message-index count ${count}`)
  const indexes = count === 0 ? [0] : Array.from({length: count}, () => readZigzagVarint(reader))
  if (indexes.some((index) => index < 0)) throw new Error(`bad Protobuf message index in [${indexes.join(', ')}]`)
  return {indexes, message: payload.subarray(reader.offset)}
}

/** The message indexes as Confluent's serializer writes them: [0] as the single byte 0. */
export function writeMessageIndexes(indexes: number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0])
  return Buffer.from([indexes.length, ...indexes].flatMap(zigzagVarint))
}

function readZigzagVarint(reader: {buffer: Buffer; offset: number}): number {
  let result = 0
  let shift = 0
  for (;;) {
    if (reader.offset >= reader.buffer.length) throw new Error('Protobuf message indexes run past the end')
    const byte = reader.buffer[reader.offset++]
    result += (byte & 0x7f) * 2 ** shift
    if ((byte & 0x80) === 0) break
    shift += 7
    if (shift > 28) throw new Error('Protobuf message index varint is too long')
  }
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2
}

function zigzagVarint(value: number): number[] {
  let n = value >= 0 ? value * 2 : -value * 2 - 1
  const bytes: number[] = []
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  bytes.push(n)
  return bytes
}

function asBuffer(bytes: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
