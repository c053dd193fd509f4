// Kafka part of the demo: order events on three partitions; the billing service (group demo.billing) has handled
// only part of them (lag remains), and sent the records it could not parse to <topic>.DLT the way Spring Kafka's
// DeadLetterPublishingRecoverer does: same partition, kafka_dlt-* headers with binary partition / offset.
import type {BrokerAdapter} from '../../adapters/types.js'
import type {Envelope, Header} from '../../model/envelope/types.js'
import {publishAll} from '../services/publish.js'
import {consumeWith} from './consumer.js'
import {faultOf, faultsEvery, orders} from './orders.js'
import {DEMO} from './scenario.js'

const EVENTS = 300
const EVENTS_HANDLED = 150

export interface KafkaDemoResult {
  published: number
  deadLettered: number
  lag: number
}

export async function seedKafka(adapter: BrokerAdapter): Promise<KafkaDemoResult> {
  const k = DEMO.kafka
  const faults = faultsEvery(EVENTS, 23, 7, 'malformed-json')
  const published = (await publishAll(adapter, k.topic, orders({count: EVENTS, faults, keyOf: (_i, id) => id})))
    .published
  const deadLetters: Envelope[] = []
  // The first records of every partition are handled and the rest left (not committed), so the group has a known
  // lag on each partition, whatever order the partitions are fetched in.
  const handledPerPartition = BigInt(EVENTS_HANDLED / k.partitions)
  await consumeWith(adapter, k.topic, {
    group: k.group,
    from: {kind: 'earliest'},
    idleMs: 3000,
    deadlineMs: 30_000,
    verdict(d, body) {
      if (BigInt(d.envelope.meta?.offset ?? '0') >= handledPerPartition) return 'requeue'
      if (faultOf(body)) deadLetters.push(springDeadLetter(d.envelope, k.group))
      return 'ack'
    },
  })
  const dlt = await publishAll(adapter, k.dlt, toAsync(deadLetters))
  return {published, deadLettered: dlt.published, lag: EVENTS - EVENTS_HANDLED}
}

/** The record as Spring Kafka dead-letters it: key, value and headers kept, kafka_dlt-* headers added. */
export function springDeadLetter(e: Envelope, group: string): Envelope {
  const partition = e.meta?.partition ?? 0
  const timestamp = e.timestamp ? Date.parse(e.timestamp) : Date.now()
  const headers: Header[] = [
    ...e.headers,
    ['kafka_dlt-exception-fqcn', 'org.springframework.kafka.listener.ListenerExecutionFailedException'],
    ['kafka_dlt-exception-cause-fqcn', 'com.fasterxml.jackson.core.io.JsonEOFException'],
    ['kafka_dlt-exception-message', 'Listener failed; Unexpected end-of-input: expected a value for field "amount"'],
    ['kafka_dlt-original-topic', e.target ?? DEMO.kafka.topic],
    ['kafka_dlt-original-partition', {bytes: int32(partition)}],
    ['kafka_dlt-original-offset', {bytes: int64(BigInt(e.meta?.offset ?? '0'))}],
    ['kafka_dlt-original-timestamp', {bytes: int64(BigInt(timestamp))}],
    ['kafka_dlt-original-timestamp-type', 'CreateTime'],
    ['kafka_dlt-original-consumer-group', group],
  ]
  return {v: 1, key: e.key, partition, headers, body: e.body, ...(e.timestamp ? {timestamp: e.timestamp} : {})}
}

function int32(n: number): string {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b.toString('base64')
}

function int64(n: bigint): string {
  const b = Buffer.alloc(8)
  b.writeBigInt64BE(n)
  return b.toString('base64')
}

async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items
}
