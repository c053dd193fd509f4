// Kafka's "flexible version" encoding (KIP-482), which kafkajs 2.2.4 does not speak: compact strings, arrays and
// bytes carry their length + 1 as an unsigned varint (0 = null), and every structure ends with tagged fields (an
// unsigned varint count, then tag, size and bytes for each). Fixed-width integers are big-endian as elsewhere.

export class FlexibleWriter {
  private readonly chunks: Buffer[] = []

  int8(n: number): this {
    return this.push(Buffer.from([n & 0xff]))
  }

  int16(n: number): this {
    const b = Buffer.alloc(2)
    b.writeInt16BE(n)
    return this.push(b)
  }

  int32(n: number): this {
    const b = Buffer.alloc(4)
    b.writeInt32BE(n)
    return this.push(b)
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0)
  }

  uvarint(n: number): this {
    const bytes: number[] = []
    let rest = n >>> 0
    while (rest >= 0x80) {
      bytes.push((rest & 0x7f) | 0x80)
      rest >>>= 7
    }
    bytes.push(rest)
    return this.push(Buffer.from(bytes))
  }

  compactString(s: string | null): this {
    if (s === null) return this.uvarint(0)
    const bytes = Buffer.from(s, 'utf8')
    return this.uvarint(bytes.length + 1).push(bytes)
  }

  compactArray<T>(items: T[], each: (w: this, item: T) => void): this {
    this.uvarint(items.length + 1)
    for (const item of items) each(this, item)
    return this
  }

  /** A null compact array (length 0): "all", where a request allows it. */
  nullArray(): this {
    return this.uvarint(0)
  }

  /** mailroom sends no tagged fields. */
  emptyTaggedFields(): this {
    return this.uvarint(0)
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks)
  }

  private push(b: Buffer): this {
    this.chunks.push(b)
    return this
  }
}

export class FlexibleReader {
  private offset = 0

  constructor(private readonly buf: Buffer) {}

  /** Bytes read so far. */
  get position(): number {
    return this.offset
  }

  int8(): number {
    return this.take(1).readInt8(0)
  }

  int16(): number {
    return this.take(2).readInt16BE(0)
  }

  int32(): number {
    return this.take(4).readInt32BE(0)
  }

  int64(): bigint {
    return this.take(8).readBigInt64BE(0)
  }

  uint16(): number {
    return this.take(2).readUInt16BE(0)
  }

  bool(): boolean {
    return this.int8() !== 0
  }

  /** Steps over fields mailroom does not read (an int64 is 8 bytes). */
  skip(bytes: number): void {
    this.take(bytes)
  }

  uuid(): string {
    return this.take(16).toString('base64url')
  }

  uvarint(): number {
    let value = 0
    for (let shift = 0; shift <= 28; shift += 7) {
      const byte = this.take(1)[0]
      value += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) return value
    }
    throw new RangeError('unsigned varint longer than 5 bytes')
  }

  compactNullableString(): string | null {
    const length = this.uvarint()
    return length === 0 ? null : this.take(length - 1).toString('utf8')
  }

  compactString(): string {
    return this.compactNullableString() ?? ''
  }

  compactBytes(): Buffer | null {
    const length = this.uvarint()
    return length === 0 ? null : this.take(length - 1)
  }

  /** A null array reads as empty. */
  compactArray<T>(each: (r: this) => T): T[] {
    const length = this.uvarint()
    const items: T[] = []
    for (let i = 0; i < length - 1; i++) items.push(each(this))
    return items
  }

  /** The classic (non-flexible) encoding's string: INT16 length, -1 for null. */
  nullableString(): string | null {
    const length = this.int16()
    return length < 0 ? null : this.take(length).toString('utf8')
  }

  /** The classic (non-flexible) encoding's array: INT32 count (-1, null, reads as empty). */
  array<T>(each: (r: this) => T): T[] {
    const length = this.int32()
    const items: T[] = []
    for (let i = 0; i < length; i++) items.push(each(this))
    return items
  }

  /** Skips the tagged fields that end a structure (none of them carries anything mailroom reads). */
  skipTaggedFields(): void {
    const count = this.uvarint()
    for (let i = 0; i < count; i++) {
      this.uvarint()
      this.take(this.uvarint())
    }
  }

  private take(n: number): Buffer {
    if (this.offset + n > this.buf.length)
      throw new RangeError(`response truncated: wanted ${n} byte(s) at ${this.offset} of ${this.buf.length}`)
    const slice = this.buf.subarray(this.offset, this.offset + n)
    this.offset += n
    return slice
  }
}

/**
 * The response frame of ConsumerGroupDescribe, ShareGroupDescribe and StreamsGroupDescribe alike: a throttle time, the
 * groups (each read by readGroup), tagged fields.
 */
export function decodeGroupsResponse<G>(
  body: Buffer,
  readGroup: (r: FlexibleReader) => G,
): {throttleTimeMs: number; groups: G[]} {
  const r = new FlexibleReader(body)
  const throttleTimeMs = r.int32()
  const groups = r.compactArray(readGroup)
  r.skipTaggedFields()
  return {throttleTimeMs, groups}
}
