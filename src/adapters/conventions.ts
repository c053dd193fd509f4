// What each broker makes of a message published to it, as data: the replay prepares a message for its destination
// from these instead of asking which broker it is. Plain constants, so reading them loads no driver.
import type {BrokerKind} from './types.js'
import {publishConventions as kafka} from './kafka/conventions.js'
import {publishConventions as nats} from './nats/conventions.js'
import {publishConventions as rabbitmq} from './rabbitmq/conventions.js'

export interface HeaderNames {
  exact: string[]
  prefixes: string[]
  /** Names compare case-insensitively (give them in lower case). */
  ignoreCase?: boolean
}

export interface PublishConventions {
  /** Headers the broker acts on when a message is published (not just carries): a replayed message drops them. */
  interpretedHeaders: HeaderNames
  /** Header values are text only: typed values travel as their text form. */
  textHeadersOnly: boolean
  /** AMQP properties travel as properties; elsewhere they are carried as amqp-<property> headers. */
  amqpProperties: boolean
  /**
   * What a message's key is here: `record` part of the message (a Kafka key, kept); `address` where it is
   * published (a NATS subject: the destination's own); `routing` how it was routed (an AMQP routing key: a key from
   * another broker is kept in a header).
   */
  key: 'record' | 'address' | 'routing'
  /** The broker stamps its own time on publish: the original timestamp is kept in a header. */
  restampsTime: boolean
  /** The header the broker drops duplicate publishes by: a replay sets it to its deterministic message id. */
  dedupeHeader?: string
}

const conventions: Record<BrokerKind, PublishConventions> = {rabbitmq, kafka, nats}

export function publishConventionsOf(kind: BrokerKind): PublishConventions {
  return conventions[kind]
}

export function isHeaderIn(name: string, names: HeaderNames): boolean {
  const n = names.ignoreCase ? name.toLowerCase() : name
  return names.exact.includes(n) || names.prefixes.some((p) => n.startsWith(p))
}
