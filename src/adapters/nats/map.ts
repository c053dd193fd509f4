// NATS messages <-> Envelope. NATS headers are text lines: a value travels only if it comes back identical.
import {headers as natsHeaders, type JsMsg, type MsgHdrs, type StoredMsg} from 'nats'
import {bodyFromBytes} from '../../model/envelope/body.js'
import {isoFromMillis} from '../../model/envelope/time.js'
import type {Envelope, Header, HeaderValue} from '../../model/envelope/types.js'
import {utf8OrUndefined} from '../../model/envelope/utf8.js'
import {MailroomError} from '../../model/errors.js'

/**
 * Envelope headers as NATS headers, in order (values of one name stay in order; nats.js groups names in
 * first-seen order). Throws UNSUPPORTED for a value that NATS would alter: non-UTF-8 bytes, typed values,
 * CR/LF, or leading/trailing whitespace (the wire format trims it).
 */
export function toNatsHeaders(list: Header[]): MsgHdrs | undefined {
  if (list.length === 0) return undefined
  const h = natsHeaders()
  for (const [name, value] of list) {
    if (!isValidHeaderName(name)) {
      throw new MailroomError(
        'UNSUPPORTED',
        `header name ${JSON.stringify(name)} cannot travel in NATS headers (printable ASCII, no ':')`,
      )
    }
    h.append(name, headerText(name, value))
  }
  return h
}

function headerText(name: string, value: HeaderValue): string {
  const text =
    typeof value === 'string'
      ? value
      : 'bytes' in value
        ? utf8OrUndefined(Buffer.from(value.bytes, 'base64'))
        : undefined
  if (text === undefined) {
    const kind = typeof value === 'string' ? 'string' : Object.keys(value)[0]
    const why = kind === 'bytes' ? 'is not valid UTF-8' : `is a typed value (${kind})`
    throw new MailroomError('UNSUPPORTED', `header "${name}" ${why}; NATS header values are text`, {
      suggestions: ['Convert it to a string header before publishing to NATS'],
    })
  }
  if (/[\r\n]/.test(text) || text !== text.trim()) {
    throw new MailroomError(
      'UNSUPPORTED',
      `header "${name}" has line breaks or leading/trailing whitespace, which NATS headers cannot carry`,
    )
  }
  return text
}

function isValidHeaderName(name: string): boolean {
  return name.length > 0 && /^[\x21-\x39\x3b-\x7e]+$/.test(name)
}

export function fromNatsHeaders(h: MsgHdrs | undefined): Header[] {
  if (!h) return []
  const list: Header[] = []
  for (const name of h.keys()) {
    for (const value of h.values(name)) list.push([name, value])
  }
  return list
}

export function envelopeFromJsMsg(m: JsMsg): Envelope {
  return {
    v: 1,
    broker: 'nats',
    target: m.info.stream,
    key: m.subject,
    headers: fromNatsHeaders(m.headers),
    body: bodyFromBytes(m.data),
    timestamp: isoFromNanos(m.info.timestampNanos),
    // Keys in the envelope's canonical order throughout: such an envelope is written with one JSON.stringify.
    meta: {
      sequence: m.seq,
      stream: m.info.stream,
      subject: m.subject,
      redelivered: m.redelivered,
      deliveryCount: m.info.deliveryCount,
    },
  }
}

export function envelopeFromStoredMsg(stream: string, m: StoredMsg): Envelope {
  return {
    v: 1,
    broker: 'nats',
    target: stream,
    key: m.subject,
    headers: fromNatsHeaders(m.header),
    body: bodyFromBytes(m.data),
    timestamp: m.time.toISOString(),
    meta: {sequence: m.seq, stream, subject: m.subject},
  }
}

function isoFromNanos(nanos: number): string {
  return isoFromMillis(Math.floor(nanos / 1e6))
}
