// AMQP field-table encoding for the common case, headers whose values are all ASCII strings (a replay's provenance,
// most application headers), written byte by byte: amqplib's encoder makes two native calls per name and per value.
// Anything else (numbers, nested tables, arrays, byte arrays, non-ASCII text, a buffer too small) is left to
// amqplib's own encoder, which also raises its own errors. The output is the same byte for byte (tested).

export type TableEncoder = (buffer: Buffer, table: Record<string, unknown>, offset: number) => number

const LONG_STRING_TAG = 0x53 // 'S'
const MAX_NAME_LENGTH = 255

export function fastTableEncoder(fallback: TableEncoder): TableEncoder {
  return function encodeTable(buffer, table, offset) {
    if (offset + 4 > buffer.length) return fallback(buffer, table, offset)
    let at = offset + 4
    // for...in, as amqplib: inherited enumerable names are part of the table too.
    for (const name in table) {
      const value = table[name]
      if (value === undefined) continue
      if (typeof value !== 'string' || name.length > MAX_NAME_LENGTH) return fallback(buffer, table, offset)
      const valueAt = at + 1 + name.length + 5
      if (
        valueAt + value.length > buffer.length ||
        !writeAscii(buffer, name, at + 1) ||
        !writeAscii(buffer, value, valueAt)
      ) {
        return fallback(buffer, table, offset)
      }
      buffer[at] = name.length
      buffer[valueAt - 5] = LONG_STRING_TAG
      buffer.writeUInt32BE(value.length, valueAt - 4)
      at = valueAt + value.length
    }
    buffer.writeUInt32BE(at - offset - 4, offset)
    return at - offset
  }
}

/** Writes an ASCII string at `at`; false (having written part of it) when it holds any other character. */
export function writeAscii(buffer: Buffer, text: string, at: number): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code > 0x7f) return false
    buffer[at + i] = code
  }
  return true
}
