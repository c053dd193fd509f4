// One compiled schema: reads a record's payload (after the 5-byte header) and writes one.
import {MailroomError} from '../../../model/errors.js'
import type {RegisteredSchema} from '../registry-client.js'

export interface DecodedPayload {
  value: unknown
  /** Protobuf: the message the indexes named. */
  messageName?: string
}

export interface Codec {
  /** `framed`: Protobuf payloads then start with message indexes (unframed ones are the first message's bytes). */
  decode(payload: Buffer, o: {framed: boolean}): DecodedPayload
  /** The payload after the 5-byte header (Protobuf: with its message indexes). */
  encode(value: unknown, o: {messageName?: string}): Buffer
}

/** A schema with the schemas its references name, dependencies first (each once). */
export interface SchemaWithReferences {
  schema: RegisteredSchema
  /** Referenced schemas, depth first: every one comes after the ones it references. */
  references: {name: string; schema: RegisteredSchema}[]
}

/** The value given to encode does not fit the schema: exit 2, naming the field. */
export function mismatch(schema: RegisteredSchema, field: string, problem: string): MailroomError {
  const where = field ? `field "${field}"` : 'the value'
  return new MailroomError('USAGE', `${where} does not match schema ${schema.id}: ${problem}`, {
    suggestions: [`See the schema: GET <registry>/schemas/ids/${schema.id}`],
  })
}

export function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}
