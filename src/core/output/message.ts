// Renders messages for a human: headers, death record and body (pretty JSON, UTF-8, hex or base64). Control
// bytes are never written raw to a terminal: they are shown as escapes.
import {bodyToBytes} from '../../model/envelope/body.js'
import {headerValueToText} from '../../model/envelope/header-values.js'
import type {DecodedPart, DecodedParts, Envelope} from '../../model/envelope/types.js'
import {decodedJson, decodedValueOf, isDecoded, schemaLabel} from '../schema/decoded-view.js'

export type BodyFormat = 'auto' | 'json' | 'utf8' | 'hex' | 'base64'
export const BODY_FORMATS: BodyFormat[] = ['auto', 'json', 'utf8', 'hex', 'base64']

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** Escapes C0/C1 control characters (except newline and tab) so a body cannot drive the terminal. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

export function hexDump(bytes: Buffer, limit = 4096): string {
  const lines: string[] = []
  for (let i = 0; i < Math.min(bytes.length, limit); i += 16) {
    const chunk = bytes.subarray(i, i + 16)
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ')
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`)
  }
  if (bytes.length > limit) lines.push(`... ${bytes.length - limit} more bytes`)
  return lines.join('\n')
}

/** The body as text: with auto and json, the value a schema registry decoded when there is one. */
export function renderBody(e: Envelope, format: BodyFormat = 'auto'): string {
  const decoded = decodedValueOf(e)
  if (decoded && (format === 'auto' || format === 'json')) return escapeControl(decodedJson(decoded.value, 2))
  const isText = 'utf8' in e.body
  if (format === 'base64') return bodyToBytes(e.body).toString('base64')
  if (format === 'hex' || (format === 'auto' && !isText)) return hexDump(bodyToBytes(e.body))
  const text = isText ? (e.body as {utf8: string}).utf8 : bodyToBytes(e.body).toString('utf8')
  if (format === 'json' || format === 'auto') {
    try {
      return escapeControl(JSON.stringify(JSON.parse(text), null, 2))
    } catch {
      // not JSON: shown as text
    }
  }
  return escapeControl(text)
}

/** One message as a block of text: a title line, headers, death record, then the body. */
export function renderMessage(e: Envelope, o: {bodyFormat?: BodyFormat; title?: string} = {}): string {
  const lines = [o.title ?? messageTitle(e)]
  for (const [name, value] of e.headers)
    lines.push(`  ${escapeControl(name)}: ${escapeControl(headerValueToText(value))}`)
  for (const [name, value] of Object.entries(e.properties ?? {}))
    lines.push(`  (${name}): ${escapeControl(String(value))}`)
  if (e.death) lines.push(`  death: ${escapeControl(describeDeath(e))}`)
  lines.push(...decodedLines(e.decoded))
  lines.push(renderBody(e, o.bodyFormat))
  return lines.join('\n')
}

/**
 * The decoded key (with its schema), the value's schema, or why a part was shown raw. With valuePreview, the value
 * too, on one line cut to that many characters (the body shows it in full otherwise).
 */
export function decodedLines(parts: DecodedParts | undefined, o: {valuePreview?: number} = {}): string[] {
  const lines: string[] = []
  const {key, value} = parts ?? {}
  if (key) lines.push(`  key (${partLabel(key)})${isDecoded(key) ? `: ${decodedJson(key.value)}` : ''}`)
  if (value) {
    const preview = o.valuePreview && isDecoded(value) ? `: ${clipLine(decodedJson(value.value), o.valuePreview)}` : ''
    lines.push(`  value (${partLabel(value)})${preview}`)
  }
  return lines.map(escapeControl)
}

function clipLine(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ')
  return line.length > width ? `${line.slice(0, width - 1)}…` : line
}

function partLabel(part: DecodedPart): string {
  return isDecoded(part) ? `schema ${schemaLabel(part)}` : `not decoded, shown raw: ${part.error.replace(/\s+/g, ' ')}`
}

export function messageTitle(e: Envelope): string {
  const where = [
    e.meta?.partition !== undefined ? `partition ${e.meta.partition}` : undefined,
    e.meta?.offset !== undefined ? `offset ${e.meta.offset}` : undefined,
    e.meta?.sequence !== undefined ? `seq ${e.meta.sequence}` : undefined,
    e.meta?.subject ? `subject ${e.meta.subject}` : undefined,
    e.meta?.routingKey ? `routing key ${e.meta.routingKey}` : undefined,
    typeof e.key === 'string' && e.key !== e.meta?.subject ? `key ${e.key}` : undefined,
    e.meta?.redelivered ? 'redelivered' : undefined,
    e.timestamp,
  ].filter(Boolean)
  return escapeControl(`--- ${e.broker ?? ''}:${e.target ?? ''} ${where.join(' · ')}`)
}

export function describeDeath(e: Envelope): string {
  const d = e.death
  if (!d) return ''
  const origin = d.origin?.target ?? d.origin?.exchange ?? d.origin?.subject
  return [d.reason, origin ? `from ${origin}` : undefined, d.count ? `x${d.count}` : undefined, d.error?.message]
    .filter(Boolean)
    .join(', ')
}
