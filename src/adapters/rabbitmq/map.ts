// amqplib messages <-> Envelope. Properties and headers map both ways; where the message came from goes to meta.
import type {Message, MessageProperties, Options} from 'amqplib'
import {amqpHeadersFromList, amqpHeadersToList} from './amqp-table.js'
import {bodyFromBytes} from '../../model/envelope/index.js'
import {isoFromMillis} from '../../model/envelope/time.js'
import type {Envelope, Header, Meta, Properties} from '../../model/envelope/types.js'
import {PROPERTY_KEYS} from '../../model/envelope/validate.js'

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
const PUBLISHED_PROPERTIES: ReadonlySet<string> = new Set([...STRING_PROPERTIES, ...NUMBER_PROPERTIES])

export interface ReadContext {
  target: string
  queueType: QueueType
}

/** Keys in the envelope's canonical order throughout: such an envelope is written with one JSON.stringify. */
export function envelopeFromMessage(msg: Message, ctx: ReadContext): Envelope {
  const headers = msg.properties.headers ?? {}
  const properties = propertiesFromAmqp(msg.properties)
  return {
    v: 1,
    broker: 'rabbitmq',
    target: ctx.target,
    key: msg.fields.routingKey,
    headers: storedHeaders(amqpHeadersToList(headers), ctx.queueType),
    ...(Object.keys(properties).length > 0 ? {properties} : {}),
    body: bodyFromBytes(msg.content),
    ...(properties.timestamp === undefined ? {} : {timestamp: isoFromMillis(properties.timestamp * 1000)}),
    meta: metaFromMessage(msg, headers),
  }
}

function storedHeaders(headers: Header[], queueType: QueueType): Header[] {
  const added = DELIVERY_HEADERS[queueType]
  return added.length === 0 ? headers : headers.filter(([name]) => !added.includes(name))
}

function propertiesFromAmqp(p: MessageProperties): Properties {
  const out: Properties = {}
  for (const name of PROPERTY_KEYS) {
    const value = p[name]
    if (isNumberProperty(name)) {
      if (typeof value === 'number') out[name] = value
    } else if (value !== undefined && value !== null) {
      out[name] = String(value)
    }
  }
  return out
}

function isNumberProperty(name: (typeof PROPERTY_KEYS)[number]): name is (typeof NUMBER_PROPERTIES)[number] {
  return (NUMBER_PROPERTIES as readonly string[]).includes(name)
}

function metaFromMessage(msg: Message, headers: Record<string, unknown>): Meta {
  const offset = headers['x-stream-offset']
  const deliveryCount = headers['x-delivery-count']
  return {
    ...(typeof offset === 'number' || typeof offset === 'bigint' ? {offset: String(offset)} : {}),
    exchange: msg.fields.exchange,
    routingKey: msg.fields.routingKey,
    redelivered: msg.fields.redelivered,
    ...(typeof deliveryCount === 'number' ? {deliveryCount} : {}),
  }
}

/** The amqplib publish options for an envelope: every property it carries, and its headers with their wire types. */
export function publishOptionsFromEnvelope(envelope: Envelope): Options.Publish {
  const options: Options.Publish = {mandatory: true}
  // The envelope's own few properties, rather than a lookup of every property name in each message.
  const p = (envelope.properties ?? {}) as Record<string, unknown>
  const out = options as Record<string, unknown>
  for (const name in p) if (p[name] !== undefined && PUBLISHED_PROPERTIES.has(name)) out[name] = p[name]
  if (envelope.headers.length > 0) options.headers = amqpHeadersFromList(envelope.headers)
  return options
}
