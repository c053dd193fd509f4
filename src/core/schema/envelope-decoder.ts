// Decoding on the read paths (tail, peek, dlq inspect/export, the dashboard): each message's key and value are
// decoded through the schema registry into `envelope.decoded`, a view beside the untouched bytes. One bad record
// gets a one-line reason and is shown raw; it never stops the read.
import {MailroomError} from '../../model/errors.js'
import {bodyToBytes} from '../../model/envelope/body.js'
import {keyToBytes} from '../../model/envelope/header-values.js'
import type {DecodedPart, DecodedParts, Envelope} from '../../model/envelope/types.js'
import type {SchemaRegistrySettings} from '../../model/settings.js'
import type {DecodedOk} from './decoded-view.js'
import type {DecodeContext, DecodeMode, DecodedValue, SchemaDecoder} from './types.js'

export {DECODE_MODES, type DecodeMode} from './types.js'

/** What the user asked for (--decode, --value-subject); the mode defaults to auto with a registry, none without. */
export interface DecodeRequest {
  mode?: DecodeMode
  valueSubject?: string
}

/** Decoding that is on: its mode and subject (a replay journal records this, so a resume reads values the same way). */
export interface SettledDecode {
  mode: Exclude<DecodeMode, 'none'>
  valueSubject?: string
}

/** The Confluent wire format's header: magic byte 0 and a 4-byte schema id. */
const FRAME_HEADER_BYTES = 5

export class EnvelopeDecoder {
  constructor(
    private readonly schemas: Pick<SchemaDecoder, 'decode' | 'decodeNow'>,
    private readonly mode: Exclude<DecodeMode, 'none'>,
    private readonly valueSubject?: string,
  ) {}

  /** The decoded key and value of a message; the envelope is left as it is. */
  async partsOf(e: Envelope): Promise<DecodedParts> {
    const keyed = this.keyToDecode(e)
    const valueContext = this.valueContext(e)
    const [key, value] = await Promise.all([
      keyed && this.schemas.decode(keyed.bytes, keyed.ctx),
      this.schemas.decode(bodyToBytes(e.body), valueContext),
    ])
    return partsFrom(keyed, key, value)
  }

  /** partsOf without waiting, when the schemas are at hand (see SchemaDecoder.decodeNow); else undefined. */
  private partsNow(e: Envelope): DecodedParts | undefined {
    const decodeNow = this.schemas.decodeNow?.bind(this.schemas)
    if (!decodeNow) return undefined
    const value = decodeNow(bodyToBytes(e.body), this.valueContext(e))
    if (!value) return undefined
    const keyed = this.keyToDecode(e)
    const key = keyed && decodeNow(keyed.bytes, keyed.ctx)
    if (keyed && !key) return undefined
    return partsFrom(keyed, key, value)
  }

  /** Sets `decoded` on the envelope (a fresh one read for this command) and returns it. */
  async decorate(e: Envelope): Promise<Envelope> {
    e.decoded = this.partsNow(e) ?? (await this.partsOf(e))
    return e
  }

  /** Decorates a batch: those whose schemas are at hand at once, the others once the registry answered. */
  async decorateAll(envelopes: readonly Envelope[]): Promise<void> {
    const waiting: Promise<Envelope>[] = []
    for (const e of envelopes) {
      const parts = this.partsNow(e)
      if (parts) e.decoded = parts
      else waiting.push(this.decorate(e))
    }
    if (waiting.length > 0) await Promise.all(waiting)
  }

  private valueContext(e: Envelope): DecodeContext {
    return {
      topic: e.target,
      part: 'value',
      mode: this.mode,
      ...(this.valueSubject ? {subject: this.valueSubject} : {}),
    }
  }

  /**
   * The key's bytes when they are to be decoded: framed, or read through `<topic>-key` when a schema type is named.
   * Most keys are plain text, which auto mode leaves alone (a cheap first look, once per message).
   */
  private keyToDecode(e: Envelope): KeyToDecode | undefined {
    const key = e.key
    if (key === null || key === undefined) return undefined
    if (this.mode === 'auto' && typeof key === 'string' && key.charCodeAt(0) !== 0) return undefined
    const bytes = keyToBytes(key)
    if (!bytes || (this.mode === 'auto' && !isFramed(bytes))) return undefined
    return {bytes, framed: isFramed(bytes), ctx: {topic: e.target, part: 'key', mode: this.mode}}
  }
}

interface KeyToDecode {
  bytes: Buffer
  framed: boolean
  ctx: DecodeContext
}

/** A key that is neither framed nor decoded through its subject (a plain-text key) is shown as it is, with no reason. */
function partsFrom(keyed: KeyToDecode | undefined, key: DecodedValue | undefined, value: DecodedValue): DecodedParts {
  const keyPart = keyed && key && (key.ok || keyed.framed) ? partOf(key) : undefined
  return keyPart ? {key: keyPart, value: partOf(value)} : {value: partOf(value)}
}

/** Magic byte 0 and room for a schema id: what Confluent's serializers write. */
export function isFramed(bytes: Uint8Array): boolean {
  return bytes.length >= FRAME_HEADER_BYTES && bytes[0] === 0
}

function partOf(d: DecodedValue): DecodedPart {
  if (!d.ok) return {error: d.reason}
  // Assigned one by one in the order the output shows them (not spread): this runs for every record.
  const part = {schemaType: d.schemaType} as DecodedOk
  if (d.schemaId !== undefined) part.schemaId = d.schemaId
  if (d.subject !== undefined) part.subject = d.subject
  if (d.version !== undefined) part.version = d.version
  if (d.messageName !== undefined) part.messageName = d.messageName
  part.value = d.value
  return part
}

/**
 * The decoding a read asks for, settled: the mode (auto with a registry, none without) and the subject; undefined when
 * decoding is off. Asking to decode (or for a subject) without a registry is a usage error, not a silent no-op.
 */
export function settledDecodeRequest(
  registry: SchemaRegistrySettings | undefined,
  request: DecodeRequest,
): SettledDecode | undefined {
  const mode = request.mode ?? (registry ? 'auto' : 'none')
  if (mode === 'none') {
    if (request.valueSubject && request.mode === 'none')
      throw new MailroomError('USAGE', '--value-subject decodes values: it cannot go with --decode none')
    if (request.valueSubject) throw needsRegistry('--value-subject')
    return undefined
  }
  if (!registry) throw needsRegistry(`--decode ${mode}`)
  return {mode, ...(request.valueSubject ? {valueSubject: request.valueSubject} : {})}
}

/** How long the credentials check at the start of a decoding read waits for the registry before reading anyway. */
const CREDENTIALS_CHECK_TIMEOUT_MS = 3000

/**
 * The decoder a read uses, or undefined when decoding is off (see settledDecodeRequest). With `checkCredentials`,
 * a registry that refuses our credentials fails the command here, once, before anything is read (AUTH, exit 3):
 * that is a configuration error, not a property of one record. A registry that is down or slow does not: the
 * records then say why they are shown raw.
 */
export async function envelopeDecoderFor(
  registry: SchemaRegistrySettings | undefined,
  request: DecodeRequest,
  o: {checkCredentials?: boolean} = {},
): Promise<EnvelopeDecoder | undefined> {
  const settled = settledDecodeRequest(registry, request)
  if (!settled || !registry) return undefined
  if (o.checkCredentials) await checkRegistryCredentials(registry)
  // Loaded only when decoding: the codecs (avsc, protobufjs) stay out of every other command's start-up.
  const {createSchemaDecoder} = await import('./decoder.js')
  return new EnvelopeDecoder(createSchemaDecoder(registry), settled.mode, settled.valueSubject)
}

/** Fails with AUTH when the registry refuses the credentials (see RegistryClient.checkCredentials). */
export async function checkRegistryCredentials(registry: SchemaRegistrySettings): Promise<void> {
  const {RegistryClient} = await import('./registry-client.js')
  await new RegistryClient(registry, CREDENTIALS_CHECK_TIMEOUT_MS).checkCredentials()
}

function needsRegistry(what: string): MailroomError {
  return new MailroomError('USAGE', `${what} needs a schema registry, and none is configured`, {
    suggestions: [
      'Give --schema-registry <url> (e.g. http://127.0.0.1:8081/apis/ccompat/v7) or set MAILROOM_SCHEMA_REGISTRY_URL',
      'or add schemaRegistry.url to the context',
    ],
  })
}
