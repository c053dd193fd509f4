// Envelopes as NDJSON: one JSON object per line, keys in a stable order so equal envelopes give equal lines.
import {MailroomError} from '../errors.js'
import type {Body, Envelope, Header, HeaderValue} from './types.js'
import {DEATH_KEYS, ENVELOPE_KEYS, META_KEYS, ORIGIN_KEYS, PROPERTY_KEYS, envelopeProblem} from './validate.js'
import {utf8OrUndefined} from './utf8.js'

const SHAPE_HINT = 'Each line must be one JSON envelope, e.g. {"v":1,"headers":[["k","v"]],"body":{"utf8":"hello"}}'
const BINARY_HINT =
  'Bodies and header values that are not UTF-8 text are written as {"base64": "..."} / {"bytes": "..."}'
/** V8 cannot make a string longer than this, so a longer line could never be parsed. */
const MAX_STRING_LENGTH = 2 ** 29 - 24

/**
 * One envelope as a JSON line (no trailing newline), keys in canonical order. Written field by field rather than as
 * a canonical copy handed to one JSON.stringify: this runs once per message on tail and export, and making the copy
 * cost as much as encoding it. Named property reads, not a loop over ENVELOPE_KEYS, for the same reason.
 */
export function encodeEnvelopeLine(e: Envelope): string {
  // Envelopes the adapters build are already in canonical order: one native stringify gives the same line.
  if (isInCanonicalOrder(e)) return JSON.stringify(e)
  let json = appendField('', '"v":', toJson(e.v))
  json = appendField(json, '"broker":', toJson(e.broker))
  json = appendField(json, '"target":', toJson(e.target))
  json = appendField(json, '"key":', toJson(e.key))
  json = appendField(json, '"partition":', toJson(e.partition))
  json = appendField(json, '"headers":', e.headers && encodeHeaders(e.headers))
  json = appendField(json, '"properties":', e.properties && PROPERTY_FIELDS.encode(e.properties))
  json = appendField(json, '"body":', e.body && encodeBody(e.body))
  json = appendField(json, '"timestamp":', toJson(e.timestamp))
  json = appendField(json, '"meta":', e.meta && META_FIELDS.encode(e.meta))
  json = appendField(json, '"death":', e.death && DEATH_FIELDS.encode(e.death, encodeDeathField))
  json = appendField(json, '"decoded":', toJson(e.decoded))
  return ENVELOPE_FIELDS.closeWithOthers(json, e)
}

/** Writes an object's fields as JSON: the known keys first in their order, then any others in their own order. */
class FieldOrder {
  private readonly prefixes: [string, string][]
  private readonly known: ReadonlySet<string>

  constructor(keys: readonly string[]) {
    this.prefixes = keys.map((k) => [k, `"${k}":`])
    this.known = new Set(keys)
  }

  encode(
    o: object,
    encodeKnown: (key: string, value: unknown) => string | undefined = (_k, value) => toJson(value),
  ): string {
    const source = o as Record<string, unknown>
    let json = ''
    for (const [k, prefix] of this.prefixes) {
      const value = source[k]
      if (value !== undefined) json = appendField(json, prefix, encodeKnown(k, value))
    }
    return this.closeWithOthers(json, o)
  }

  /** Appends the fields that are not known keys, then the closing brace. */
  closeWithOthers(json: string, o: object): string {
    // for...in walks V8's cached key list; Object.entries would build an array of pairs per message.
    for (const k in o) {
      if (!this.known.has(k) && Object.hasOwn(o, k))
        json = appendField(json, `${JSON.stringify(k)}:`, toJson((o as Record<string, unknown>)[k]))
    }
    return json === '' ? '{}' : `${json}}`
  }
}

/**
 * JSON.stringify, with the common scalars taken first (cheaper than the generic call). Undefined for undefined and
 * anything else JSON cannot hold: such fields are left out, as JSON.stringify leaves them out of an object.
 */
function toJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'undefined':
      return undefined
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    default:
      return value === null ? 'null' : JSON.stringify(value)
  }
}

function appendField(json: string, prefix: string, value: string | undefined): string {
  if (value === undefined) return json
  return `${json === '' ? '{' : `${json},`}${prefix}${value}`
}

/**
 * True when JSON.stringify writes exactly the canonical line: known keys only, in canonical order, at every level that
 * has an order (no death record: it nests further), a plain body and plain text headers.
 */
export function isInCanonicalOrder(e: Envelope): boolean {
  return (
    e.death === undefined &&
    inOrder(e, ENVELOPE_RANK) &&
    (e.meta === undefined || inOrder(e.meta, META_RANK)) &&
    (e.properties === undefined || inOrder(e.properties, PROPERTY_RANK)) &&
    (e.body === undefined || isPlainBody(e.body)) &&
    (e.headers === undefined || arePlainText(e.headers))
  )
}

function inOrder(o: object, rank: ReadonlyMap<string, number>): boolean {
  let last = -1
  // for...in also walks inherited keys: an object with any is not plain, and takes the field-by-field path.
  for (const k in o) {
    const r = rank.get(k)
    if (r === undefined || r <= last) return false
    last = r
  }
  return true
}

function isPlainBody(body: Body): boolean {
  let keys = 0
  for (const k in body) {
    if ((k !== 'utf8' && k !== 'base64') || typeof (body as Record<string, unknown>)[k] !== 'string') return false
    keys++
  }
  return keys === 1
}

const rankOf = (keys: readonly string[]): ReadonlyMap<string, number> => new Map(keys.map((k, i) => [k, i]))
const ENVELOPE_RANK = rankOf(ENVELOPE_KEYS)
const META_RANK = rankOf(META_KEYS)
const PROPERTY_RANK = rankOf(PROPERTY_KEYS)

const ENVELOPE_FIELDS = new FieldOrder(ENVELOPE_KEYS)
const PROPERTY_FIELDS = new FieldOrder(PROPERTY_KEYS)
const META_FIELDS = new FieldOrder(META_KEYS)
const DEATH_FIELDS = new FieldOrder(DEATH_KEYS)
const ORIGIN_FIELDS = new FieldOrder(ORIGIN_KEYS)

function encodeDeathField(k: string, value: unknown): string | undefined {
  return k === 'origin' ? ORIGIN_FIELDS.encode(value as object) : toJson(value)
}

function encodeBody(body: Body): string {
  if ('utf8' in body) return typeof body.utf8 === 'string' ? `{"utf8":${JSON.stringify(body.utf8)}}` : '{}'
  return typeof body.base64 === 'string' ? `{"base64":${JSON.stringify(body.base64)}}` : '{}'
}

/** Plain text headers ([name, text]) are already canonical, and the usual case. */
function encodeHeaders(headers: Header[]): string {
  return JSON.stringify(arePlainText(headers) ? headers : headers.map(canonicalHeader))
}

function arePlainText(headers: Header[]): boolean {
  return headers.every((h) => h.length === 2 && typeof h[1] === 'string')
}

/** Parse and strictly check one line; throws MailroomError USAGE naming the line number. */
export function decodeEnvelopeLine(line: string, lineNo: number): Envelope {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (err) {
    throw invalidLine(lineNo, `not valid JSON (${(err as Error).message})`, err)
  }
  let problem: string | undefined
  try {
    problem = envelopeProblem(value)
  } catch (err) {
    // e.g. a stack overflow on absurdly deep nesting
    throw invalidLine(lineNo, `cannot be checked (${(err as Error).message})`, err)
  }
  if (problem !== undefined) throw invalidLine(lineNo, problem)
  const envelope = value as Envelope
  return envelope.headers === undefined ? {...envelope, headers: []} : envelope
}

export interface ReadEnvelopesOptions {
  /** Skip lines that are not valid envelopes instead of throwing (each is reported to onInvalid). */
  skipInvalid?: boolean
  /** Called for every invalid line, before it is skipped or thrown. */
  onInvalid?: (lineNo: number, err: MailroomError) => void
  /** Lines longer than this many bytes are invalid; their bytes are discarded as they stream past. */
  maxLineBytes?: number
}

export interface NumberedEnvelope {
  lineNo: number
  envelope: Envelope
}

/**
 * Envelopes from an NDJSON byte or text stream, streaming: memory is bounded by the longest line, not the input.
 * Accepts LF and CRLF line ends, skips blank lines; line numbers count every line from 1.
 */
export async function* readEnvelopes(
  stream: AsyncIterable<Buffer | Uint8Array | string>,
  o: ReadEnvelopesOptions = {},
): AsyncGenerator<NumberedEnvelope> {
  const maxLineBytes = o.maxLineBytes ?? MAX_STRING_LENGTH
  for await (const line of splitLines(stream, maxLineBytes)) {
    let envelope: Envelope | undefined
    try {
      envelope = envelopeFromLine(line, maxLineBytes)
    } catch (err) {
      if (!(err instanceof MailroomError)) throw err
      o.onInvalid?.(line.lineNo, err)
      if (o.skipInvalid) continue
      throw err
    }
    if (envelope) yield {lineNo: line.lineNo, envelope}
  }
}

export interface RawLine {
  lineNo: number
  /** Undefined when the line was longer than the limit and its bytes were dropped. */
  bytes?: Buffer
}

function envelopeFromLine(line: RawLine, maxLineBytes: number): Envelope | undefined {
  if (line.bytes === undefined) throw invalidLine(line.lineNo, `longer than ${maxLineBytes} bytes`)
  const text = utf8OrUndefined(stripCarriageReturn(line.bytes))
  if (text === undefined) throw invalidLine(line.lineNo, 'not valid UTF-8 text')
  if (text.trim() === '') return undefined
  // Some editors and PowerShell start a text file with a byte order mark.
  if (line.lineNo === 1 && text.startsWith(BOM)) return decodeEnvelopeLine(text.slice(1), line.lineNo)
  return decodeEnvelopeLine(text, line.lineNo)
}

function stripCarriageReturn(buf: Buffer): Buffer {
  return buf.length > 0 && buf[buf.length - 1] === 0x0d ? buf.subarray(0, -1) : buf
}

const NEWLINE = 0x0a
const BOM = '\uFEFF'

/** LF-separated lines, numbered from 1, with their bytes as read (a CR before the LF stays); a final line without LF counts. */
export async function* splitLines(
  stream: AsyncIterable<Buffer | Uint8Array | string>,
  maxLineBytes: number = MAX_STRING_LENGTH,
): AsyncGenerator<RawLine> {
  let parts: Buffer[] = []
  let size = 0
  let tooLong = false
  let lineNo = 0
  const take = (): RawLine => {
    lineNo++
    const line: RawLine = {lineNo, bytes: tooLong ? undefined : Buffer.concat(parts, size)}
    parts = []
    size = 0
    tooLong = false
    return line
  }
  const append = (piece: Buffer) => {
    if (tooLong || piece.length === 0) return
    size += piece.length
    if (size > maxLineBytes) {
      tooLong = true
      parts = []
      return
    }
    parts.push(piece)
  }
  for await (const chunk of stream) {
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let start = 0
    for (let end = buf.indexOf(NEWLINE, start); end !== -1; end = buf.indexOf(NEWLINE, start)) {
      append(buf.subarray(start, end))
      yield take()
      start = end + 1
    }
    // Copy the tail: the source may reuse its chunk buffer after we return control.
    if (start < buf.length) append(Buffer.from(buf.subarray(start)))
  }
  if (size > 0 || tooLong) yield take()
}

function invalidLine(lineNo: number, what: string, cause?: unknown): MailroomError {
  return new MailroomError('USAGE', `line ${lineNo}: ${what}`, {suggestions: [SHAPE_HINT, BINARY_HINT], cause})
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical key order

function canonicalHeader([name, value]: Header): Header {
  return [name, canonicalHeaderValue(value)]
}

function canonicalHeaderValue(v: HeaderValue): HeaderValue {
  if (typeof v === 'string') return v
  if ('array' in v) return {array: v.array.map(canonicalHeaderValue)}
  if ('table' in v) return {table: v.table.map(canonicalHeader)}
  if ('decimal' in v) return {decimal: {places: v.decimal.places, digits: v.decimal.digits}}
  if ('float' in v && typeof v.float === 'number' && !Number.isFinite(v.float)) return {float: String(v.float) as 'NaN'}
  return v
}
