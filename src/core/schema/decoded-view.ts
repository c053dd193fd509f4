// How a decoded key or value is shown and filtered on (light: no codec is loaded here).
import type {DecodedPart, Envelope} from '../../model/envelope/types.js'

export type DecodedOk = Exclude<DecodedPart, {error: string}>

export function isDecoded(part: DecodedPart | undefined): part is DecodedOk {
  return part !== undefined && !('error' in part)
}

/** The message's value as its schema decoded it, when it was. */
export function decodedValueOf(e: Envelope): DecodedOk | undefined {
  const part = e.decoded?.value
  return isDecoded(part) ? part : undefined
}

/** One line naming the schema: "AVRO id 3 · orders-value v1", with the Protobuf message when there is one. */
export function schemaLabel(part: DecodedOk): string {
  const subject = part.subject ? `${part.subject}${part.version === undefined ? '' : ` v${part.version}`}` : undefined
  return [part.schemaType, part.schemaId === undefined ? undefined : `id ${part.schemaId}`, subject, part.messageName]
    .filter(Boolean)
    .join(' · ')
}

/**
 * A decoded value as JSON text. Codecs can hand back what JSON.stringify cannot write as it is (64-bit integers as
 * bigint, bytes as Buffer): those are written as a decimal string and base64.
 */
export function decodedJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, jsonSafe, indent) ?? 'null'
}

function jsonSafe(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  const raw = (this as Record<string, unknown>)[key]
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64')
  return value
}
