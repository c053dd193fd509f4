// What the schema decoder promises its callers (tail, peek, dlq inspect/export, filters, dashboard, replay samples):
// a record's bytes read through a schema registry as a JSON-presentable value, or a one-line reason why not.

export const DECODE_MODES = ['auto', 'none', 'avro', 'protobuf', 'json'] as const
/** `none`: never decode (callers skip the decoder); `auto`: Confluent-framed records only, unless a subject is named. */
export type DecodeMode = (typeof DECODE_MODES)[number]

export type SchemaType = 'AVRO' | 'PROTOBUF' | 'JSON'

export interface DecodeContext {
  /** The record's topic: unframed records fall back to the `<topic>-value` / `<topic>-key` subject's latest version. */
  topic?: string
  part: 'key' | 'value'
  mode: Exclude<DecodeMode, 'none'>
  /** Read unframed records with this subject's latest version (--value-subject). */
  subject?: string
}

export type DecodedValue =
  | {
      ok: true
      /** The registry's id of the schema (absent only when the subject's schema was used for an unframed record). */
      schemaId?: number
      subject?: string
      version?: number
      schemaType: SchemaType
      /** Protobuf: the fully qualified name of the message the record's indexes point at. */
      messageName?: string
      /**
       * Plain JSON: Avro longs and Protobuf 64-bit integers are numbers when exact, else decimal strings; bytes and
       * fixed are base64 strings; Protobuf enums are their names; Avro unions are unwrapped.
       */
      value: unknown
    }
  | {ok: false; reason: string}

export interface EncodeTarget {
  schemaId?: number
  /** The subject's latest version (with schemaId absent). */
  subject?: string
  /** Protobuf: which message of the schema (fully qualified or short name); default the first one. */
  messageName?: string
}

export interface SchemaDecoder {
  /** Never throws for a bad record: ok:false with a one-line reason. */
  decode(bytes: Buffer | Uint8Array, ctx: DecodeContext): Promise<DecodedValue>
  /**
   * The same decoding without waiting, when everything it needs is at hand (a framed record whose schema is
   * compiled); undefined when it would have to wait for the registry. Spares each record its promises.
   */
  decodeNow?(bytes: Buffer | Uint8Array, ctx: DecodeContext): DecodedValue | undefined
  /**
   * The value encoded and framed as Confluent's serializers do (magic byte, id, Protobuf message indexes). A value
   * that does not match the schema is a USAGE error (exit 2) naming the field; an unknown id or subject NOT_FOUND.
   */
  encode(value: unknown, target: EncodeTarget): Promise<Buffer>
}
