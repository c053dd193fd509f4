// JSON Schema: the payload is JSON text. Encoding checks the value against the schema's common keywords (type,
// properties, required, additionalProperties: false, enum, const, items) before writing it; $ref'd parts are not
// checked (the registry's schema is the contract, the consumer's validator the judge).
import {type Codec, type SchemaWithReferences, describeJson, mismatch} from './codec.js'

type JsonSchema = {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  enum?: unknown[]
  const?: unknown
  items?: JsonSchema
}

export function jsonSchemaCodec(input: SchemaWithReferences): Codec {
  const schema = JSON.parse(input.schema.schema) as JsonSchema | boolean
  return {
    decode: (payload) => ({value: JSON.parse(payload.toString('utf8')) as unknown}),
    encode: (value) => {
      if (typeof schema === 'object') {
        const problem = firstProblem(schema, value, '')
        if (problem) throw mismatch(input.schema, problem.path, problem.text)
      }
      return Buffer.from(JSON.stringify(value), 'utf8')
    },
  }
}

interface Problem {
  path: string
  text: string
}

function firstProblem(schema: JsonSchema, value: unknown, path: string): Problem | undefined {
  const types = schema.type === undefined ? undefined : [schema.type].flat()
  if (types && !types.some((type) => isOfType(type, value))) {
    return {path, text: `expected ${types.join(' or ')}, got ${describeJson(value)}`}
  }
  if (schema.enum && !schema.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
    return {
      path,
      text: `expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${describeJson(value)}`,
    }
  }
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) {
    return {path, text: `expected ${JSON.stringify(schema.const)}, got ${describeJson(value)}`}
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) {
      const problem = firstProblem(schema.items, item, join(path, String(i)))
      if (problem) return problem
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return objectProblem(schema, value, path)
  return undefined
}

function objectProblem(schema: JsonSchema, value: object, path: string): Problem | undefined {
  const record = value as Record<string, unknown>
  const missing = (schema.required ?? []).find((name) => !(name in record))
  if (missing) return {path: join(path, missing), text: 'required, missing'}
  for (const [key, inner] of Object.entries(record)) {
    const property = schema.properties?.[key]
    if (property) {
      const problem = firstProblem(property, inner, join(path, key))
      if (problem) return problem
    } else if (schema.additionalProperties === false) {
      return {path: join(path, key), text: 'no such property (additionalProperties is false)'}
    }
  }
  return undefined
}

function isOfType(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null
    case 'integer':
      return Number.isInteger(value)
    case 'number':
      return typeof value === 'number'
    case 'array':
      return Array.isArray(value)
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
    default:
      return typeof value === type
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key
}
