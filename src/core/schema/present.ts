// Decoded values as plain JSON: 64-bit integers (BigInt, Long) as numbers when exact, else decimal strings; bytes as
// base64 strings; class instances (Avro records) as plain objects.

interface LongLike {
  low: number
  high: number
  unsigned: boolean
  toString(): string
}

export function presentable(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null
  if (typeof value === 'bigint') return exactNumber(value)
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (Array.isArray(value)) return value.map(presentable)
  if (typeof value === 'object') {
    if (isLong(value)) return exactNumber(BigInt(value.toString()))
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value)) if (inner !== undefined) out[key] = presentable(inner)
    return out
  }
  return value
}

function exactNumber(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString()
}

function isLong(value: object): value is LongLike {
  const v = value as Partial<LongLike>
  return typeof v.low === 'number' && typeof v.high === 'number' && typeof v.unsigned === 'boolean'
}
