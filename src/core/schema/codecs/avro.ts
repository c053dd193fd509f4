// Avro through avsc: the writer's schema from the registry (named types of referenced schemas registered first),
// longs as BigInt so that no value loses precision.
import avro from 'avsc'

import {presentable} from '../present.js'
import {type Codec, type SchemaWithReferences, describeJson, mismatch} from './codec.js'

const BigIntLong = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8)
    buffer.writeBigInt64LE(value)
    return buffer
  },
  fromJSON: (value: number | string) => BigInt(value),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
})

/**
 * Longs as decoded values show them, straight from the varint (avsc hands over its raw bytes: noUnpack): a number when
 * exact, else a decimal string. Decoding needs no BigInt per record, nor a copy of the record to convert them after.
 */
const PresentedLong = avro.types.LongType.__with(
  {
    fromBuffer: presentedLong,
    toBuffer: () => {
      throw new Error('a decoding type does not encode')
    },
    fromJSON: (value: number | string) => value,
    toJSON: (value: number | string) => value,
    isValid: (value: unknown) => typeof value === 'number' || typeof value === 'string',
    compare: (a: number, b: number) => (a === b ? 0 : a < b ? -1 : 1),
  },
  true,
)

/** Up to 7 varint bytes hold 49 bits: the zigzag value fits a double exactly. */
const EXACT_VARINT_BYTES = 7

function presentedLong(varint: Buffer): number | string {
  if (varint.length <= EXACT_VARINT_BYTES) {
    let n = 0
    let scale = 1
    for (const byte of varint) {
      n += (byte & 0x7f) * scale
      scale *= 128
    }
    return n % 2 === 1 ? -(n + 1) / 2 : n / 2
  }
  let n = 0n
  let shift = 0n
  for (const byte of varint) {
    n |= BigInt(byte & 0x7f) << shift
    shift += 7n
  }
  return presentable((n >> 1n) ^ -(n & 1n)) as number | string
}

/** avsc's name of a long type made with LongType.__with. */
const LONG_TYPE_NAME = 'abstract:long'

type AvroType = avro.Type & {
  typeName: string
  fields?: {name: string; type: AvroType}[]
  itemsType?: AvroType
  valuesType?: AvroType
  types?: AvroType[]
  underlyingType?: AvroType
  name?: string
}

export function avroCodec(input: SchemaWithReferences): Codec {
  const type = compile(input, BigIntLong as unknown as avro.Type)
  const decodeType = compile(input, PresentedLong as unknown as avro.Type)
  // Longs come out presented: only bytes and fixed (Buffers) need a pass over the decoded value.
  const present = holdsBytes(decodeType, new Set()) ? presentable : (value: unknown) => value
  return {
    decode: (payload) => ({value: present(decodeType.fromBuffer(payload))}),
    encode: (value) => {
      const converted = fromJson(type, value, '', input)
      let problem: {path: string[]; value: unknown; type: AvroType} | undefined
      type.isValid(converted, {
        errorHook: (path: string[], bad: unknown, badType: avro.Type) => {
          problem ??= {path, value: bad, type: badType as AvroType}
        },
      })
      if (problem) {
        throw mismatch(
          input.schema,
          problem.path.join('.'),
          `expected ${describeType(problem.type)}, got ${describeJson(presentable(problem.value))}`,
        )
      }
      return type.toBuffer(converted)
    },
  }
}

/** The schema as avsc's type, with the referenced schemas' named types registered first. */
function compile(input: SchemaWithReferences, long: avro.Type): AvroType {
  const registry: Record<string, avro.Type> = {long}
  for (const reference of input.references) {
    avro.Type.forSchema(JSON.parse(reference.schema.schema) as avro.Schema, {registry})
  }
  return avro.Type.forSchema(JSON.parse(input.schema.schema) as avro.Schema, {registry}) as AvroType
}

/** True when a decoded value can hold a Buffer (bytes, fixed), which JSON would not write as base64. */
function holdsBytes(type: AvroType, seen: Set<AvroType>): boolean {
  if (seen.has(type)) return false // a recursive record: its fields are being looked at already
  seen.add(type)
  if (type.typeName === 'bytes' || type.typeName === 'fixed') return true
  const inner = [
    ...(type.fields ?? []).map((field) => field.type),
    ...(type.types ?? []),
    ...[type.itemsType, type.valuesType, type.underlyingType].filter((t): t is AvroType => t !== undefined),
  ]
  return inner.some((t) => holdsBytes(t, seen))
}

/** JSON as avsc's values: longs to BigInt, base64 strings to bytes; undeclared fields refused by name. */
function fromJson(type: AvroType, value: unknown, path: string, input: SchemaWithReferences): unknown {
  const here = (name: string) => (path ? `${path}.${name}` : name)
  switch (type.typeName) {
    case 'record':
    case 'error': {
      if (!isObject(value)) return value
      const fields = type.fields ?? []
      const undeclared = Object.keys(value).find((key) => !fields.some((field) => field.name === key))
      if (undeclared) throw mismatch(input.schema, here(undeclared), `${type.name ?? 'the record'} has no such field`)
      const out: Record<string, unknown> = {}
      for (const field of fields) {
        if (field.name in value) out[field.name] = fromJson(field.type, value[field.name], here(field.name), input)
      }
      return out
    }
    case 'array':
      return Array.isArray(value)
        ? value.map((item, i) => fromJson(type.itemsType!, item, here(String(i)), input))
        : value
    case 'map':
      return isObject(value)
        ? Object.fromEntries(
            Object.entries(value).map(([key, inner]) => [key, fromJson(type.valuesType!, inner, here(key), input)]),
          )
        : value
    case 'long':
    case LONG_TYPE_NAME:
      return (typeof value === 'number' && Number.isInteger(value)) ||
        (typeof value === 'string' && /^-?\d+$/.test(value))
        ? BigInt(value)
        : value
    case 'bytes':
    case 'fixed':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : value
    case 'union:unwrapped':
      return unionBranch(type.types ?? [], value, path, input)
    default:
      if (type.typeName.startsWith('logical:') && type.underlyingType) {
        return fromJson(type.underlyingType, value, path, input)
      }
      return value
  }
}

/** The first branch of an unwrapped union the value fits. */
function unionBranch(types: AvroType[], value: unknown, path: string, input: SchemaWithReferences): unknown {
  for (const branch of types) {
    try {
      const converted = fromJson(branch, value, path, input)
      if (branch.isValid(converted)) return converted
    } catch {
      // not this branch
    }
  }
  return value
}

function describeType(type: AvroType): string {
  if (type.typeName.startsWith('union')) return (type.types ?? []).map(describeType).join(' or ')
  if (type.typeName === LONG_TYPE_NAME) return 'long'
  return type.name ?? type.typeName
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
}
