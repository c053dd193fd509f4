// Header hygiene and provenance: what a replayed message carries to its destination, following the destination
// broker's publish conventions (src/adapters/*/conventions.ts):
// - removed: headers the destination would act on (RabbitMQ's x-death family, JetStream's Nats-Msg-Id and
//   Nats-Expected-*); Kafka DLT headers stay as data (Spring and Connect read the last value of a name, so a new
//   failure's headers win), and RabbitMQ's x-death travels to Kafka / NATS as history;
// - carried: AMQP properties become `amqp-<property>` headers where there are no properties; a key the destination
//   cannot route by becomes `mailroom-original-key`; typed values become text where headers are text only;
// - added: the provenance headers below, and the destination's de-duplication header set to the replay's message id.
import {publishConventionsOf} from '../../adapters/registry.js'
import {type PublishConventions, isHeaderIn} from '../../adapters/types.js'
import {headerValueToText} from '../../model/envelope/header-values.js'
import type {Envelope, Header, HeaderValue, Properties} from '../../model/envelope/types.js'
import type {Destination} from './destination.js'

/**
 * What every replayed message carries: the job (its id begins with the time it started, UTC), where the message sat
 * in the DLQ (the id names the DLQ: `kafka:payments.DLT/2/1041`) and how often it was replayed. Every byte is stored
 * and moved by the destination broker for every message (on RabbitMQ the broker's cost follows the bytes; three
 * headers instead of the five stamped before saved 2-14% of a move: bench/rabbitmq-provenance-bytes.mjs), so the
 * time and the origin are no longer stamped apart from the ids that hold them.
 */
export const PROVENANCE = {
  replayId: 'mailroom-replay-id',
  messageId: 'mailroom-replay-msg-id',
  count: 'mailroom-replay-count',
} as const
/** Stamped by earlier versions: removed from a message replayed again, like the current ones. */
const FORMER_PROVENANCE = ['mailroom-replayed-at', 'mailroom-replayed-from']
const PROVENANCE_NAMES: readonly string[] = [...Object.values(PROVENANCE), ...FORMER_PROVENANCE]
export const ORIGINAL_KEY_HEADER = 'mailroom-original-key'
export const ORIGINAL_TIMESTAMP_HEADER = 'mailroom-original-timestamp'

export interface Stamp {
  replayId: string
  messageId: string
}

/** How many times the message was replayed before (its mailroom-replay-count; 0 when absent or unreadable). */
export function replayCountOf(e: Envelope): number {
  let count = 0
  for (const [name, value] of e.headers) {
    if (name !== PROVENANCE.count) continue
    const n = Number(headerValueToText(value))
    count = Number.isInteger(n) && n >= 0 ? n : count
  }
  return count
}

/** The message as it will be published to `dest`: cleaned headers, carried properties, provenance stamped. */
export function prepareForDestination(e: Envelope, dest: Destination, stamp: Stamp): Envelope {
  const conventions = publishConventionsOf(dest.broker)
  const headers = carriedHeaders(e, conventions)
  const out: Envelope = {v: 1, headers, body: e.body}
  if (conventions.amqpProperties) {
    if (e.properties) out.properties = e.properties
  } else {
    headers.push(...propertiesAsHeaders(e.properties))
  }
  const key = keyAt(e, dest, conventions)
  if (key.key !== undefined) out.key = key.key
  if (key.header) headers.push(key.header)
  if (dest.partition !== undefined) out.partition = dest.partition
  if (conventions.restampsTime && e.timestamp) headers.push([ORIGINAL_TIMESTAMP_HEADER, e.timestamp])
  headers.push(
    [PROVENANCE.replayId, stamp.replayId],
    [PROVENANCE.messageId, stamp.messageId],
    [PROVENANCE.count, String(replayCountOf(e) + 1)],
  )
  if (conventions.dedupeHeader) headers.push([conventions.dedupeHeader, stamp.messageId])
  return out
}

/** The key the replayed message is published with, or the header that keeps a key the destination cannot use. */
function keyAt(
  e: Envelope,
  dest: Destination,
  conventions: PublishConventions,
): {key?: Envelope['key']; header?: Header} {
  switch (conventions.key) {
    case 'record':
      return {key: e.key}
    case 'address':
      return {key: dest.key}
    case 'routing':
      // A routing key from the same kind of broker was only how it got routed; another broker's key is data.
      return typeof e.key === 'string' && e.key !== '' && e.broker !== dest.broker
        ? {header: [ORIGINAL_KEY_HEADER, e.key]}
        : {}
  }
}

function carriedHeaders(e: Envelope, conventions: PublishConventions): Header[] {
  const out: Header[] = []
  for (const [name, value] of e.headers) {
    if (PROVENANCE_NAMES.includes(name) || name === ORIGINAL_KEY_HEADER || name === ORIGINAL_TIMESTAMP_HEADER) continue
    if (isHeaderIn(name, conventions.interpretedHeaders)) continue
    out.push([name, conventions.textHeadersOnly ? textValue(value) : value])
  }
  return out
}

/** NATS headers are text: typed AMQP values travel as their text / JSON form, non-UTF-8 bytes as base64. */
function textValue(v: HeaderValue): HeaderValue {
  return typeof v === 'string' ? v : headerValueToText(v)
}

function propertiesAsHeaders(p: Properties | undefined): Header[] {
  if (!p) return []
  return Object.entries(p)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => [`amqp-${kebab(name)}`, String(value)])
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}

export interface HeaderChanges {
  removed: string[]
  added: string[]
  /** Properties carried as headers, or keys that became headers. */
  carried: string[]
}

/** What preparation changed, for the dry-run plan (names only, never values). */
export function describeChanges(before: Envelope, after: Envelope): HeaderChanges {
  const beforeNames = new Set(before.headers.map(([n]) => n))
  const afterNames = new Set(after.headers.map(([n]) => n))
  const removed = [...beforeNames].filter((n) => !afterNames.has(n))
  const added = [...afterNames].filter((n) => !beforeNames.has(n))
  const carried = added.filter(
    (n) => n.startsWith('amqp-') || n === ORIGINAL_KEY_HEADER || n === ORIGINAL_TIMESTAMP_HEADER,
  )
  return {removed, added: added.filter((n) => !carried.includes(n)), carried}
}
