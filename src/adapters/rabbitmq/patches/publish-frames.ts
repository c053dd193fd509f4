// amqplib's Connection#sendMessage for a basic.publish whose body fits one frame, written into one buffer: amqplib
// allocates and zero-fills a buffer for the method frame, one for the header frame and one for the body frame, then
// copies the three into a fourth (or writes them apart). Same bytes (tested against amqplib's own); anything it does
// not write here (a body of several frames, a value amqplib would refuse or convert, unusual property types) goes to
// amqplib's own sendMessage, which also raises amqplib's errors.
import {type TableEncoder, writeAscii} from './field-table.js'

/** defs.BasicPublish and defs.BasicProperties: the method and property class ids amqplib passes. */
const BASIC_PUBLISH = 3932200
const BASIC_PROPERTIES = 60
const FRAME_METHOD = 1
const FRAME_HEADER = 2
const FRAME_BODY = 3
const FRAME_END = 206
/** Type, channel and size before a frame's payload, and its end octet. */
const FRAME_OVERHEAD = 8
const MAX_SHORTSTR = 255
/** Where a headers table is encoded before it is copied in (amqplib's own scratch is 64 KiB too). */
const SCRATCH = Buffer.alloc(65536)

export type SendMessage = (
  this: ConnectionLike,
  channel: number,
  method: number,
  fields: Record<string, unknown>,
  properties: number,
  props: Record<string, unknown>,
  content: Buffer,
) => boolean

interface ConnectionLike {
  frameMax: number
  sentSinceLastCheck: boolean
  channels: {buffer: {write(frame: Buffer): boolean}}[]
}

/** Every basic property in wire order, with its flag bit and its encoding. */
const PROPERTY_ORDER = [
  ['contentType', 0x8000, 'string'],
  ['contentEncoding', 0x4000, 'string'],
  ['headers', 0x2000, 'table'],
  ['deliveryMode', 0x1000, 'octet'],
  ['priority', 0x0800, 'octet'],
  ['correlationId', 0x0400, 'string'],
  ['replyTo', 0x0200, 'string'],
  ['expiration', 0x0100, 'string'],
  ['messageId', 0x0080, 'string'],
  ['timestamp', 0x0040, 'timestamp'],
  ['type', 0x0020, 'string'],
  ['userId', 0x0010, 'string'],
  ['appId', 0x0008, 'string'],
  ['clusterId', 0x0004, 'string'],
] as const
/** Each string property's UTF-8 length, as measured by propertiesSize for the publish being written. */
const STRING_LENGTHS = new Int32Array(PROPERTY_ORDER.length)

export function sendMessageInOneBuffer(original: SendMessage, encodeTable: () => TableEncoder): SendMessage {
  return function sendMessage(channel, method, fields, properties, props, content) {
    const frames =
      method === BASIC_PUBLISH && properties === BASIC_PROPERTIES && Buffer.isBuffer(content)
        ? publishFrames(channel, fields, props, content, this.frameMax, encodeTable())
        : undefined
    if (!frames) return original.call(this, channel, method, fields, properties, props, content)
    this.sentSinceLastCheck = true
    return this.channels[channel]!.buffer.write(frames)
  }
}

/** The method, header and body frames of one publish, or undefined where amqplib's own encoder must run. */
export function publishFrames(
  channel: number,
  fields: Record<string, unknown>,
  props: Record<string, unknown>,
  content: Buffer,
  frameMax: number,
  encodeTable: TableEncoder,
): Buffer | undefined {
  if (content.length > frameMax - FRAME_OVERHEAD) return undefined
  // As amqplib: an absent (undefined, not null) exchange, routing key or ticket is empty or 0.
  const exchangeName = fields.exchange === undefined ? '' : fields.exchange
  const routingKeyText = fields.routingKey === undefined ? '' : fields.routingKey
  const ticket = fields.ticket === undefined ? 0 : fields.ticket
  const exchange = shortString(exchangeName)
  const routingKey = shortString(routingKeyText)
  if (exchange < 0 || routingKey < 0 || !isUInt(ticket, 0xffff)) return undefined
  const propertyBytes = propertiesSize(props)
  if (propertyBytes < 0) return undefined
  let headersLength = 0
  if (props.headers != null) headersLength = encodeTable(SCRATCH, props.headers as Record<string, unknown>, 0)
  const methodSize = 2 + 2 + 2 + 1 + exchange + 1 + routingKey + 1
  const headerSize = 2 + 2 + 8 + 2 + propertyBytes + headersLength
  const bodyFrame = content.length > 0 ? content.length + FRAME_OVERHEAD : 0
  const out = Buffer.allocUnsafe(methodSize + headerSize + 2 * FRAME_OVERHEAD + bodyFrame)
  let at = frameStart(out, 0, FRAME_METHOD, channel, methodSize)
  at = out.writeUInt32BE(BASIC_PUBLISH, at)
  at = out.writeUInt16BE(ticket as number, at)
  at = writeShortString(out, at, exchangeName as string, exchange)
  at = writeShortString(out, at, routingKeyText as string, routingKey)
  out[at++] = (fields.mandatory ? 1 : 0) + (fields.immediate ? 2 : 0)
  out[at++] = FRAME_END
  at = frameStart(out, at, FRAME_HEADER, channel, headerSize)
  at = out.writeUInt16BE(BASIC_PROPERTIES, at)
  at = out.writeUInt16BE(0, at)
  at = out.writeBigUInt64BE(BigInt(content.length), at)
  const flagsAt = at
  at += 2
  let flags = 0
  for (let i = 0; i < PROPERTY_ORDER.length; i++) {
    const [name, flag, kind] = PROPERTY_ORDER[i]!
    const value = props[name]
    if (value == null) continue
    flags |= flag
    if (kind === 'string') at = writeShortString(out, at, value as string, STRING_LENGTHS[i]!)
    else if (kind === 'octet') out[at++] = value as number
    else if (kind === 'timestamp') at = out.writeBigUInt64BE(BigInt(value as number), at)
    else at += SCRATCH.copy(out, at, 0, headersLength)
  }
  out.writeUInt16BE(flags, flagsAt)
  out[at++] = FRAME_END
  if (bodyFrame > 0) {
    at = frameStart(out, at, FRAME_BODY, channel, content.length)
    at += content.copy(out, at)
    out[at++] = FRAME_END
  }
  return out
}

/**
 * The bytes of the properties other than the headers table (each string's length kept in STRING_LENGTHS); -1 for a
 * value amqplib's encoder must judge.
 */
function propertiesSize(props: Record<string, unknown>): number {
  let size = 0
  for (let i = 0; i < PROPERTY_ORDER.length; i++) {
    const [name, , kind] = PROPERTY_ORDER[i]!
    const value = props[name]
    if (value == null) continue
    if (kind === 'string') {
      const length = shortString(value)
      if (length < 0) return -1
      STRING_LENGTHS[i] = length
      size += 1 + length
    } else if (kind === 'octet') {
      if (!isUInt(value, 0xff)) return -1
      size += 1
    } else if (kind === 'timestamp') {
      if (!isUInt(value, Number.MAX_SAFE_INTEGER)) return -1
      size += 8
    } else if (typeof value !== 'object') {
      return -1
    }
  }
  return size
}

/** The UTF-8 length of a short string, or -1 when it is not a string of at most 255 bytes. */
function shortString(value: unknown): number {
  if (typeof value !== 'string' || value.length > MAX_SHORTSTR) return -1
  const length = Buffer.byteLength(value)
  return length > MAX_SHORTSTR ? -1 : length
}

function isUInt(value: unknown, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max
}

function frameStart(out: Buffer, at: number, type: number, channel: number, size: number): number {
  out[at] = type
  out.writeUInt16BE(channel, at + 1)
  return out.writeUInt32BE(size, at + 3)
}

/** @param length its UTF-8 length (measured already): equal to its length in characters only when it is ASCII. */
function writeShortString(out: Buffer, at: number, text: string, length: number): number {
  out[at++] = length
  if (length !== text.length || !writeAscii(out, text, at)) out.write(text, at, length, 'utf8')
  return at + length
}
