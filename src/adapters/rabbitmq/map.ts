// amqplib messages <-> Envelope. Properties and headers map both ways; where the message came from goes to meta.
import type {Message, MessageProperties, Options} from 'amqplib'
import {amqpHeadersFromList, amqpHeadersToList, bodyFromBytes, bodyToBytes} from '../../core/envelope/index.js'
import {isoFromMillis} from '../../core/envelope/time.js'
import type {Envelope, Header, Meta, Properties} from '../../core/envelope/types.js'

export type QueueType = 'classic' | 'quorum' | 'stream'

/** Headers the broker adds to each delivery (not stored with the message), per queue type; they go to meta. */
const DELIVERY_HEADERS: Record<QueueType, readonly string[]> = {
  classic: [],
  quorum: ['x-delivery-count'],
  stream: ['x-stream-offset'],
}

const STRING_PROPERTIES = [
  'contentType',
  'contentEncoding',
  'messageId',
  'correlationId',
  'replyTo',
  'expiration',
  'type',
  'appId',
  'userId',
] as const
const NUMBER_PROPERTIES = ['priority', 'deliveryMode', 'timestamp'] as const

export interface ReadContext {
  target: string
  queueType: QueueType
}

export function envelopeFromMessage(msg: Message, ctx: ReadContext): Envelope {
  const headers = msg.properties.headers ?? {}
  const properties = propertiesFromAmqp(msg.properties)
  const envelope: Envelope = {
    v: 1,
    broker: 'rabbitmq',
    target: ctx.target,
    key: msg.fields.routingKey,
    headers: storedHeaders(amqpHeadersToList(headers), ctx.queueType),
    body: bodyFromBytes(msg.content),
    meta: metaFromMessage(msg, headers),
  }
  if (Object.keys(properties).length > 0) envelope.properties = properties
  if (properties.timestamp !== undefined) envelope.timestamp = isoFromMillis(properties.timestamp * 1000)
  return envelope
}

function storedHeaders(headers: Header[], queueType: QueueType): Header[] {
  const added = DELIVERY_HEADERS[queueType]
  return added.length === 0 ? headers : headers.filter(([name]) => !added.includes(name))
}

function propertiesFromAmqp(p: MessageProperties): Properties {
  const out: Properties = {}
  for (const name of STRING_PROPERTIES) if (p[name] !== undefined && p[name] !== null) out[name] = String(p[name])
  for (const name of NUMBER_PROPERTIES) if (typeof p[name] === 'number') out[name] = p[name]
  return out
}

function metaFromMessage(msg: Message, headers: Record<string, unknown>): Meta {
  const meta: Meta = {exchange: msg.fields.exchange, routingKey: msg.fields.routingKey, redelivered: msg.fields.redelivered}
  const deliveryCount = headers['x-delivery-count']
  if (typeof deliveryCount === 'number') meta.deliveryCount = deliveryCount
  const offset = headers['x-stream-offset']
  if (typeof offset === 'number' || typeof offset === 'bigint') meta.offset = String(offset)
  return meta
}

/** The amqplib publish options for an envelope: every property it carries, and its headers with their wire types. */
export function publishOptionsFromEnvelope(envelope: Envelope): Options.Publish {
  const options: Options.Publish = {mandatory: true}
  const p = envelope.properties ?? {}
  for (const name of STRING_PROPERTIES) if (p[name] !== undefined) options[name] = p[name]
  for (const name of NUMBER_PROPERTIES) if (p[name] !== undefined) options[name] = p[name]
  if (envelope.headers.length > 0) options.headers = amqpHeadersFromList(envelope.headers)
  return options
}

export function contentOf(envelope: Envelope): Buffer {
  return bodyToBytes(envelope.body)
}
