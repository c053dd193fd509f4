// A record's bytes through the schema registry: Confluent-framed records by their schema id; unframed ones, when a
// mode or subject is named, by the subject's latest version (`<topic>-value` / `<topic>-key` unless named). A record
// that cannot be decoded yields a one-line reason, never an exception: one bad record never stops a read.
import {MailroomError, firstLine, isMailroomError} from '../../model/errors.js'
import type {SchemaRegistrySettings} from '../../model/settings.js'
import type {Codec, SchemaWithReferences} from './codecs/codec.js'
import {type RegisteredSchema, RegistryClient} from './registry-client.js'
import type {DecodeContext, DecodedValue, EncodeTarget, SchemaDecoder, SchemaType} from './types.js'
import {buildFrame, parseFrame} from './wire-format.js'

export type {DecodeContext, DecodedValue, DecodeMode, EncodeTarget, SchemaDecoder, SchemaType} from './types.js'
export {DECODE_MODES} from './types.js'

/** Loaded on first use: avsc and protobufjs stay out of the start-up of commands that decode nothing. */
const CODECS: Record<SchemaType, () => Promise<(input: SchemaWithReferences) => Codec>> = {
  AVRO: async () => (await import('./codecs/avro.js')).avroCodec,
  PROTOBUF: async () => (await import('./codecs/protobuf.js')).protobufCodec,
  JSON: async () => (await import('./codecs/json-schema.js')).jsonSchemaCodec,
}
const MODE_TYPES = {avro: 'AVRO', protobuf: 'PROTOBUF', json: 'JSON'} as const

export const NO_REGISTRY_HINT =
  "Name a schema registry: --schema-registry <url>, MAILROOM_SCHEMA_REGISTRY_URL or the context's schemaRegistry.url"

export function createSchemaDecoder(
  settings: SchemaRegistrySettings | undefined,
  o: {timeoutMs?: number} = {},
): SchemaDecoder {
  return settings ? new RegistryDecoder(new RegistryClient(settings, o.timeoutMs)) : new NoRegistryDecoder()
}

class RegistryDecoder implements SchemaDecoder {
  private readonly codecs = new Map<number, Promise<Codec>>()
  /** Schemas fetched and compiled, by id: what decodeNow decodes with. */
  private readonly ready = new Map<number, {schema: RegisteredSchema; codec: Codec}>()

  constructor(private readonly client: RegistryClient) {}

  decodeNow(bytes: Buffer | Uint8Array, ctx: DecodeContext): DecodedValue | undefined {
    const frame = parseFrame(bytes)
    const compiled = frame && this.ready.get(frame.schemaId)
    if (!compiled) return undefined
    const decoded = decodeWith(compiled.schema, compiled.codec, frame.payload, ctx, true)
    // Not decoded, with a subject to fall back to: that is for decode() to try.
    return decoded.ok || !fallbackSubject(ctx) ? decoded : undefined
  }

  async decode(bytes: Buffer | Uint8Array, ctx: DecodeContext): Promise<DecodedValue> {
    const frame = parseFrame(bytes)
    const fallback = fallbackSubject(ctx)
    if (frame) {
      const framed = await this.attempt(() => this.client.schemaById(frame.schemaId), frame.payload, ctx, true)
      // An unframed Avro record may start with a 0 byte too: with a subject to fall back to, try it before giving up.
      if (framed.ok || !fallback) return framed
      const unframed = await this.attempt(() => this.client.schemaBySubject(fallback), bytes, ctx, false)
      return unframed.ok ? unframed : framed
    }
    if (!fallback) {
      return {
        ok: false,
        reason: 'not Confluent-framed (no magic byte 0 and schema id); name its subject with --value-subject',
      }
    }
    const unframed = await this.attempt(() => this.client.schemaBySubject(fallback), bytes, ctx, false)
    return unframed.ok ? unframed : {ok: false, reason: `not Confluent-framed, and ${unframed.reason}`}
  }

  async encode(value: unknown, target: EncodeTarget): Promise<Buffer> {
    const schema = await this.schemaOf(target)
    const codec = await this.codecFor(schema)
    return buildFrame(schema.id, codec.encode(value, {messageName: target.messageName}))
  }

  private schemaOf(target: EncodeTarget): Promise<RegisteredSchema> {
    if (target.schemaId !== undefined) return this.client.schemaById(target.schemaId)
    if (target.subject !== undefined) return this.client.schemaBySubject(target.subject)
    throw new MailroomError('USAGE', 'no schema named to encode with', {
      suggestions: ['Give --value-schema-id <id> or --value-subject <subject>'],
    })
  }

  private async attempt(
    schemaOf: () => Promise<RegisteredSchema>,
    payload: Buffer | Uint8Array,
    ctx: DecodeContext,
    framed: boolean,
  ): Promise<DecodedValue> {
    let schema: RegisteredSchema
    let codec: Codec
    try {
      schema = await schemaOf()
      codec = await this.codecFor(schema)
    } catch (error) {
      return {ok: false, reason: reasonOf(error)}
    }
    if (framed) this.ready.set(schema.id, {schema, codec})
    return decodeWith(schema, codec, payload, ctx, framed)
  }

  /** Compiled once per schema id and run, with the schemas its references name. */
  private codecFor(schema: RegisteredSchema): Promise<Codec> {
    let codec = this.codecs.get(schema.id)
    if (!codec) {
      codec = this.compile(schema)
      this.codecs.set(schema.id, codec)
      codec.catch(() => this.codecs.delete(schema.id))
    }
    return codec
  }

  private async compile(schema: RegisteredSchema): Promise<Codec> {
    const references = await this.referencesOf(schema, new Set())
    const codecFor = await CODECS[schema.schemaType]()
    try {
      return codecFor({schema, references})
    } catch (error) {
      throw new MailroomError(
        'PROTOCOL',
        `schema ${schema.id} (${schema.schemaType}) does not compile: ${reasonOf(error)}`,
      )
    }
  }

  /** Referenced schemas depth first (dependencies before their dependants), each once. */
  private async referencesOf(
    schema: RegisteredSchema,
    seen: Set<string>,
  ): Promise<{name: string; schema: RegisteredSchema}[]> {
    const out: {name: string; schema: RegisteredSchema}[] = []
    for (const reference of schema.references) {
      const key = `${reference.subject}\u0000${reference.version}`
      if (seen.has(key)) continue
      seen.add(key)
      const referenced = await this.client.schemaBySubject(reference.subject, reference.version)
      out.push(...(await this.referencesOf(referenced, seen)), {name: reference.name, schema: referenced})
    }
    return out
  }
}

class NoRegistryDecoder implements SchemaDecoder {
  decode(): Promise<DecodedValue> {
    return Promise.resolve({ok: false, reason: 'no schema registry configured'})
  }

  encode(): Promise<Buffer> {
    return Promise.reject(
      new MailroomError('USAGE', 'no schema registry configured', {suggestions: [NO_REGISTRY_HINT]}),
    )
  }
}

/** A payload through a compiled schema: the value, or why it does not decode (a schema of another type than asked). */
function decodeWith(
  schema: RegisteredSchema,
  codec: Codec,
  payload: Buffer | Uint8Array,
  ctx: DecodeContext,
  framed: boolean,
): DecodedValue {
  const expected = ctx.mode === 'auto' ? undefined : MODE_TYPES[ctx.mode]
  if (expected && expected !== schema.schemaType) {
    return {ok: false, reason: `schema ${schema.id} is ${schema.schemaType}, not ${expected} (--decode ${ctx.mode})`}
  }
  try {
    const buffer = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
    const decoded = codec.decode(buffer, {framed})
    return {
      ok: true,
      schemaId: schema.id,
      subject: schema.subject,
      version: schema.version,
      schemaType: schema.schemaType,
      ...(decoded.messageName ? {messageName: decoded.messageName} : {}),
      value: decoded.value,
    }
  } catch (error) {
    return {ok: false, reason: `does not decode with schema ${schema.id} (${schema.schemaType}): ${reasonOf(error)}`}
  }
}

function fallbackSubject(ctx: DecodeContext): string | undefined {
  if (ctx.subject) return ctx.subject
  if (ctx.mode === 'auto' || !ctx.topic) return undefined
  return `${ctx.topic}-${ctx.part}`
}

function reasonOf(error: unknown): string {
  if (isMailroomError(error)) return error.message
  return firstLine(String((error as Error)?.message ?? error))
}
