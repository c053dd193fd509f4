// Where published messages come from: one body (argument, file, stdin), or a stream of NDJSON envelopes; plus the
// flag overrides (headers, key, partition, properties), repetition (--count) and pacing (--rate).
import {MailroomError} from '../../model/errors.js'
import {readInputFile} from '../files.js'
import {bodyFromBytes} from '../../model/envelope/body.js'
import {keyFromBytes} from '../../model/envelope/header-values.js'
import {readEnvelopes, splitLines} from '../../model/envelope/ndjson.js'
import type {Envelope, Header, Properties} from '../../model/envelope/types.js'

export interface MessageOverrides {
  headers?: Header[]
  key?: string
  partition?: number
  properties?: Properties
}

/** Parses repeatable `-H name=value` flags; the first `=` separates name and value. */
export function parseHeaderFlags(flags: string[] = []): Header[] {
  return flags.map((flag) => {
    const eq = flag.indexOf('=')
    if (eq < 1) {
      throw new MailroomError('USAGE', `header "${flag}" is not name=value`, {
        suggestions: ['e.g. -H content-kind=order -H x-tenant=acme'],
      })
    }
    return [flag.slice(0, eq), flag.slice(eq + 1)]
  })
}

/** One message body: the argument, else the file, else stdin (which must not be a terminal). */
export async function readBody(
  arg: string | undefined,
  file: string | undefined,
  stdin: NodeJS.ReadStream = process.stdin,
): Promise<Buffer> {
  if (arg !== undefined && file)
    throw new MailroomError('USAGE', 'give the body as an argument or with --file, not both')
  if (arg !== undefined) return Buffer.from(arg, 'utf8')
  if (file) return readInputFile(file)
  if (stdin.isTTY) throw new MailroomError('USAGE', 'no message body: give it as an argument, with --file, or on stdin')
  const chunks: Buffer[] = []
  for await (const chunk of stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export function envelopeFromBody(body: Uint8Array, o: MessageOverrides = {}): Envelope {
  return applyOverrides({v: 1, headers: [], body: bodyFromBytes(body)}, o)
}

/** Flag overrides win over what an input envelope carries; headers given as flags are appended. */
export function applyOverrides(e: Envelope, o: MessageOverrides): Envelope {
  const out: Envelope = {...e, headers: [...e.headers, ...(o.headers ?? [])]}
  if (o.key !== undefined) out.key = o.key
  if (o.partition !== undefined) out.partition = o.partition
  if (o.properties && Object.keys(o.properties).length > 0) out.properties = {...e.properties, ...o.properties}
  return out
}

/** Synchronous, so a publisher takes a whole window of it at once instead of one async step per message. */
export function* repeat(e: Envelope, count: number): Generator<Envelope> {
  for (let i = 0; i < count; i++) yield e
}

export interface NdjsonSourceStats {
  read: number
  skipped: number
  skippedLines: number[]
  /** With endAtInvalid: the invalid line the stream ended at. */
  invalid?: MailroomError
}

/**
 * Envelopes from NDJSON; an invalid line stops the stream (naming the line) unless skipInvalid. With endAtInvalid
 * the stream ends there without throwing (the error goes to stats.invalid), so the messages before it can still be
 * confirmed and counted before the caller reports the line.
 */
export async function* ndjsonEnvelopes(
  input: AsyncIterable<Buffer | string>,
  o: {
    skipInvalid?: boolean
    endAtInvalid?: boolean
    overrides?: MessageOverrides
    stats: NdjsonSourceStats
    onSkip?: (message: string) => void
  },
): AsyncGenerator<Envelope> {
  try {
    yield* envelopesOf(input, o)
  } catch (error) {
    if (!o.endAtInvalid || !(error instanceof MailroomError) || error.code !== 'USAGE') throw error
    o.stats.invalid = error
  }
}

async function* envelopesOf(
  input: AsyncIterable<Buffer | string>,
  o: {
    skipInvalid?: boolean
    overrides?: MessageOverrides
    stats: NdjsonSourceStats
    onSkip?: (message: string) => void
  },
): AsyncGenerator<Envelope> {
  const onInvalid = (lineNo: number, err: MailroomError) => {
    if (!o.skipInvalid) return
    o.stats.skipped++
    if (o.stats.skippedLines.length < 100) o.stats.skippedLines.push(lineNo)
    o.onSkip?.(err.message)
  }
  for await (const {envelope} of readEnvelopes(input, {skipInvalid: o.skipInvalid, onInvalid})) {
    o.stats.read++
    yield o.overrides ? applyOverrides(envelope, o.overrides) : envelope
  }
}

export interface LineSourceStats {
  read: number
  /** Empty lines, skipped as kcat skips them. */
  empty: number
}

/**
 * One message per line, as kcat -P reads stdin: lines end at LF, which is not part of the message (a CR before it
 * is); a last line without LF is a message; an empty line is skipped (and counted). With keySeparator (kcat's -K) the
 * key is what comes before its first occurrence and the value what follows; a line without it is a value with no
 * key of its own, which gets --key's if given (kcat's -k). The bytes are kept as they are, UTF-8 or not.
 */
export async function* lineEnvelopes(
  input: AsyncIterable<Buffer | string>,
  o: {keySeparator?: string; overrides?: MessageOverrides; stats: LineSourceStats},
): AsyncGenerator<Envelope> {
  const separator = o.keySeparator === undefined ? undefined : Buffer.from(o.keySeparator, 'utf8')
  for await (const line of splitLines(input)) {
    if (line.bytes === undefined) throw new MailroomError('USAGE', `line ${line.lineNo} is too long to hold in memory`)
    if (line.bytes.length === 0) {
      o.stats.empty++
      continue
    }
    o.stats.read++
    yield lineEnvelope(line.bytes, separator, o.overrides)
  }
}

function lineEnvelope(line: Buffer, separator: Buffer | undefined, overrides: MessageOverrides = {}): Envelope {
  const at = separator ? line.indexOf(separator) : -1
  if (!separator || at === -1) return envelopeFromBody(line, overrides)
  const envelope = envelopeFromBody(line.subarray(at + separator.length), overrides)
  return {...envelope, key: keyFromBytes(line.subarray(0, at))}
}

/** Paces an iterable to at most `perSecond` items per second (evenly spaced, no bursts beyond one). */
export async function* rateLimit<T>(
  items: AsyncIterable<T> | Iterable<T>,
  perSecond: number,
  signal?: AbortSignal,
): AsyncGenerator<T> {
  const interval = 1000 / perSecond
  let next = performance.now()
  for await (const item of items) {
    const wait = next - performance.now()
    if (wait > 1) await sleep(wait, signal)
    next = Math.max(next + interval, performance.now() - interval)
    yield item
  }
}

/** Resolves after ms, or at once on abort; the abort listener goes with the timer (one sleep per paced message). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', wake)
      resolve()
    }
    const timer = setTimeout(wake, ms)
    signal?.addEventListener('abort', wake, {once: true})
  })
}
