// Protobuf through protobufjs: the .proto text from the registry, its imports from the schema's references (and
// protobufjs's copies of google/protobuf/*.proto when no reference names them). The record's message indexes walk
// the file's top-level messages, then each one's nested messages, in declaration order.
import protobuf from 'protobufjs'

import {readMessageIndexes, writeMessageIndexes} from '../wire-format.js'
import {presentable} from '../present.js'
import {type Codec, type SchemaWithReferences, describeJson, mismatch} from './codec.js'

const PARSE_OPTIONS = {keepCase: true}
const TO_OBJECT = {enums: String, bytes: String, defaults: true, arrays: true, objects: true}

export function protobufCodec(input: SchemaWithReferences): Codec {
  const root = new protobuf.Root()
  const imported = new Set(input.references.map((reference) => reference.name))
  for (const reference of input.references) addFile(root, reference.schema.schema, imported)
  addFile(root, input.schema.schema, imported)
  root.resolveAll()
  const topLevel = topLevelMessages(input.schema.schema)
  const typeAt = (indexes: number[]) => root.lookupType(messageAt(topLevel, indexes))
  return {
    decode: (payload, o) => {
      const {indexes, message} = o.framed ? readMessageIndexes(payload) : {indexes: [0], message: payload}
      const type = typeAt(indexes)
      const decoded = type.decode(message)
      return {value: presentable(type.toObject(decoded, TO_OBJECT)), messageName: type.fullName.replace(/^\./, '')}
    },
    encode: (value, o) => {
      const indexes = o.messageName ? indexesOf(topLevel, o.messageName, input) : [0]
      const type = typeAt(indexes)
      checkMessage(type, value, '', input)
      const message = type.fromObject(value as Record<string, unknown>)
      return Buffer.concat([writeMessageIndexes(indexes), type.encode(message).finish()])
    },
  }
}

function addFile(root: protobuf.Root, text: string, imported: Set<string>): void {
  const parsed = protobuf.parse(text, root, PARSE_OPTIONS)
  for (const name of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
    if (imported.has(name)) continue
    const wellKnown = protobuf.common.get(name) as {nested?: Record<string, unknown>} | null
    if (wellKnown?.nested) {
      root.addJSON(wellKnown.nested as Record<string, protobuf.AnyNestedObject>)
      imported.add(name)
    }
  }
}

/** The top-level messages of the schema's own file, as parsed alone: exactly its declarations, in their order. */
function topLevelMessages(text: string): protobuf.Type[] {
  const alone = protobuf.parse(text, new protobuf.Root(), PARSE_OPTIONS)
  const scope = alone.package ? alone.root.lookup(alone.package) : alone.root
  return messagesIn(scope as protobuf.Namespace)
}

function messagesIn(scope: protobuf.Namespace | null): protobuf.Type[] {
  return (scope?.nestedArray ?? []).filter((nested): nested is protobuf.Type => nested instanceof protobuf.Type)
}

function messageAt(topLevel: protobuf.Type[], indexes: number[]): string {
  let candidates = topLevel
  let found: protobuf.Type | undefined
  for (const index of indexes) {
    found = candidates[index]
    if (!found) throw new Error(`message indexes [${indexes.join(', ')}] name no message of the schema`)
    candidates = messagesIn(found)
  }
  return found!.fullName
}

/** The message indexes of a message of the schema, by full or short name. */
function indexesOf(topLevel: protobuf.Type[], name: string, input: SchemaWithReferences): number[] {
  const wanted = name.replace(/^\./, '')
  const search = (candidates: protobuf.Type[], path: number[]): number[] | undefined => {
    for (const [index, type] of candidates.entries()) {
      const full = type.fullName.replace(/^\./, '')
      if (full === wanted || type.name === wanted) return [...path, index]
      const inner = search(messagesIn(type), [...path, index])
      if (inner) return inner
    }
    return undefined
  }
  const found = search(topLevel, [])
  if (!found) throw mismatch(input.schema, '', `the schema has no message named "${name}"`)
  return found
}

const INTEGER = new Set([
  'int32',
  'uint32',
  'sint32',
  'fixed32',
  'sfixed32',
  'int64',
  'uint64',
  'sint64',
  'fixed64',
  'sfixed64',
])

/** protobufjs's fromObject coerces anything silently: check field names and kinds first, naming the field. */
function checkMessage(type: protobuf.Type, value: unknown, path: string, input: SchemaWithReferences): void {
  if (!isObject(value)) throw mismatch(input.schema, path, `expected a ${type.name} object, got ${describeJson(value)}`)
  for (const [key, inner] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key
    const field = type.fields[key]
    if (!field) throw mismatch(input.schema, here, `${type.name} has no such field`)
    if (inner === null || inner === undefined) continue
    field.resolve()
    if (field.map) {
      if (!isObject(inner)) throw mismatch(input.schema, here, `expected a map (object), got ${describeJson(inner)}`)
      for (const [mapKey, mapValue] of Object.entries(inner)) checkValue(field, mapValue, `${here}.${mapKey}`, input)
    } else if (field.repeated) {
      if (!Array.isArray(inner)) throw mismatch(input.schema, here, `expected a list, got ${describeJson(inner)}`)
      inner.forEach((item, i) => checkValue(field, item, `${here}.${i}`, input))
    } else checkValue(field, inner, here, input)
  }
}

function checkValue(field: protobuf.Field, value: unknown, path: string, input: SchemaWithReferences): void {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Type) return checkMessage(resolved, value, path, input)
  if (resolved instanceof protobuf.Enum) {
    const fits =
      (typeof value === 'string' && value in resolved.values) ||
      (typeof value === 'number' && Object.values(resolved.values).includes(value))
    if (!fits) {
      throw mismatch(
        input.schema,
        path,
        `expected one of ${Object.keys(resolved.values).join(', ')}, got ${describeJson(value)}`,
      )
    }
    return
  }
  if (!fitsScalar(field.type, value))
    throw mismatch(input.schema, path, `expected ${field.type}, got ${describeJson(value)}`)
}

function fitsScalar(type: string, value: unknown): boolean {
  if (INTEGER.has(type)) {
    const unsigned = type.startsWith('u') || type.startsWith('fixed')
    const integer =
      (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value))
    if (!integer) return false
    const n = BigInt(value as number | string)
    const bits = type.endsWith('64') ? 64n : 32n
    return unsigned ? n >= 0n && n < 1n << bits : n >= -(1n << (bits - 1n)) && n < 1n << (bits - 1n)
  }
  if (type === 'double' || type === 'float') return typeof value === 'number'
  if (type === 'bool') return typeof value === 'boolean'
  if (type === 'string') return typeof value === 'string'
  if (type === 'bytes') return typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value)
  return false
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
