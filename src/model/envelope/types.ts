// The one message format mailroom reads and writes (NDJSON, one envelope per line). Lossless and binary-safe:
// see DESIGN.md "The message envelope". Drivers' messages are mapped to and from it in src/adapters/<broker>/map.ts.
import type {BrokerKind} from '../broker.js'

/** Body bytes: `utf8` only when the bytes are valid UTF-8, otherwise `base64`. Exactly one key is present. */
export type Body = {utf8: string} | {base64: string}

/**
 * A header value. Plain strings stay plain; anything else is tagged so it survives a round trip:
 * - bytes that are not valid UTF-8 (Kafka / NATS header values, AMQP byte arrays)
 * - AMQP typed field values (x-death is an array of tables holding longs and timestamps).
 */
export type HeaderValue =
  | string
  | {bytes: string} // base64
  | {int: string} // integer as decimal text (AMQP long can exceed 2^53)
  | {float: number | NonFiniteFloat} // JSON has no NaN / Infinity, so those travel as text
  | {bool: boolean}
  | {timestamp: number} // AMQP timestamp, seconds since epoch
  | {decimal: {places: number; digits: number}}
  | {array: HeaderValue[]}
  | {table: Header[]}
  | {null: true}

export type NonFiniteFloat = 'NaN' | 'Infinity' | '-Infinity'

/** Headers are an ordered list of [name, value] pairs; duplicates are allowed (Kafka, NATS). */
export type Header = [name: string, value: HeaderValue]

/** AMQP basic properties (only those set are present). */
export interface Properties {
  contentType?: string
  contentEncoding?: string
  messageId?: string
  correlationId?: string
  replyTo?: string
  expiration?: string
  priority?: number
  deliveryMode?: number
  type?: string
  appId?: string
  userId?: string
  /** AMQP timestamp, seconds since epoch. */
  timestamp?: number
}

/** Where the message was read from; informational, never re-applied blindly on publish. */
export interface Meta {
  partition?: number
  offset?: string
  /** JetStream stream sequence. */
  sequence?: number
  stream?: string
  /** NATS subject / AMQP exchange + routing key of the delivery. */
  subject?: string
  exchange?: string
  routingKey?: string
  redelivered?: boolean
  deliveryCount?: number
}

/** The normalised dead-letter record (x-death, Kafka Connect, Spring kafka_dlt-*, JetStream advisories). */
export interface DeathRecord {
  reason?: string
  count?: number
  firstTime?: string
  lastTime?: string
  origin?: {
    broker?: BrokerKind
    target?: string
    exchange?: string
    routingKeys?: string[]
    partition?: number
    offset?: string
    sequence?: number
    subject?: string
    consumer?: string
  }
  error?: DeathError
  /** Which convention the record was derived from (x-death, kafka-connect, spring, jetstream-advisory, custom). */
  source?: string
}

/** Why a message died: the failure that actually happened, and what reported it. */
export interface DeathError {
  /** The failing exception's class: for Spring, the root cause under its ListenerExecutionFailedException wrapper. */
  class?: string
  message?: string
  /** The exception a framework wrapped the failure in (Spring's kafka_dlt-exception-fqcn when it differs from the cause). */
  wrapper?: {class?: string; message?: string}
  /** The converter, transform or connector class that was running when it failed (Kafka Connect's class.name). */
  component?: string
}

export interface Envelope {
  v: 1
  broker?: BrokerKind
  target?: string
  /** Kafka key / NATS subject / AMQP routing key; a tagged value when the key bytes are not UTF-8. */
  key?: string | {bytes: string} | null
  /** Kafka partition to publish to (explicit), kept apart from meta.partition (where it was read from). */
  partition?: number
  headers: Header[]
  properties?: Properties
  body: Body
  /** ISO 8601 time the broker (or producer) stamped on the message. */
  timestamp?: string
  meta?: Meta
  death?: DeathRecord
  /**
   * What a schema registry made of the key and body bytes (tail, peek, dlq inspect/export with decoding on): a view
   * for people and filters, never published; the bytes stay in `key` and `body`.
   */
  decoded?: DecodedParts
}

/** The decoded key and value of a message; a part is absent when it was not decoded (e.g. a plain-text key). */
export interface DecodedParts {
  key?: DecodedPart
  value?: DecodedPart
}

/** A decoded key or value with the schema that decoded it, or why the bytes could not be decoded (shown raw). */
export type DecodedPart =
  | {
      schemaType: 'AVRO' | 'PROTOBUF' | 'JSON'
      schemaId?: number
      subject?: string
      version?: number
      /** Protobuf: the message type the record holds. */
      messageName?: string
      value: unknown
    }
  | {error: string}
