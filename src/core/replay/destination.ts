// Where each replayed message goes: `--to <broker>:<target>` for all, or back to its origin from the death record.
//
// RabbitMQ origins are replayed to the origin QUEUE through the default exchange, not to the original exchange and
// routing keys: re-routing through the exchange would also deliver a copy to every other queue bound there (whose
// consumers already processed the message), and bindings may have changed since the message died.
import {publishConventionsOf} from '../../adapters/registry.js'
import type {BrokerKind} from '../../model/broker.js'
import type {DeathRecord, Envelope} from '../../model/envelope/types.js'
import type {TargetRef} from '../target-ref.js'

export interface Destination {
  broker: BrokerKind
  /** Queue, topic, stream or subject (what adapter.publish takes). */
  target: string
  /** NATS: the subject to publish on inside the target stream. */
  key?: string
  /** Kafka: an explicit partition (origin partition with --keep-partition). */
  partition?: number
}

export type Resolution = {dest: Destination} | {problem: string}

export interface DestinationOptions {
  to?: TargetRef
  keepPartition: boolean
}

export function resolveDestination(e: Envelope, death: DeathRecord | undefined, o: DestinationOptions): Resolution {
  if (o.to) return {dest: {broker: o.to.broker, target: o.to.name}}
  const origin = death?.origin
  const broker = origin?.broker ?? e.broker
  if (!origin?.target || !broker) {
    return {problem: death ? 'its death record names no origin' : 'it carries no dead-letter record (no origin known)'}
  }
  const partition = o.keepPartition ? origin.partition : undefined
  const key = publishConventionsOf(broker).key === 'address' ? (origin.subject ?? nonEmptyKey(e)) : undefined
  return {dest: {broker, target: origin.target, ...(partition !== undefined ? {partition} : {}), ...(key ? {key} : {})}}
}

function nonEmptyKey(e: Envelope): string | undefined {
  return typeof e.key === 'string' && e.key !== '' ? e.key : undefined
}

/** One publish stream per label: what adapter.publish's route depends on. */
export function laneKey(d: Destination): string {
  return `${d.broker}:${d.target}`
}
