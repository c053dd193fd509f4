// JetStream part of the demo: the fulfilment consumer (durable, MaxDeliver 3) acks most orders, naks the ones it
// cannot fulfil until the server gives up on them (MAX_DELIVERIES advisory), terminates one (MSG_TERMINATED), and
// stops with orders still pending. The advisories land in a capture stream, the JetStream shape of a DLQ.
import type {BrokerAdapter} from '../../adapters/types.js'
import {publishAll} from '../services/publish.js'
import {consumeWith} from './consumer.js'
import {type OrderFault, REGIONS, faultOf, orderIndex, orders} from './orders.js'
import {DEMO} from './scenario.js'

const ORDERS = 50
const ORDERS_HANDLED = 32

export interface NatsDemoResult {
  published: number
  maxDelivered: number
  terminated: number
  pending: number
  /** How the capture stream was made: by the adapter's dead-letter capture, or by the demo itself. */
  capture: 'adapter' | 'demo'
}

export async function seedNats(adapter: BrokerAdapter, captureFallback: () => Promise<void>): Promise<NatsDemoResult> {
  const n = DEMO.nats
  const capture = await captureDeadLetters(adapter, captureFallback)
  const faults = new Map<number, OrderFault>([
    [4, 'unknown-sku'],
    [11, 'unknown-sku'],
    [19, 'unknown-sku'],
    [26, 'missing-customer'],
  ])
  const published = (
    await publishAll(
      adapter,
      n.stream,
      orders({count: ORDERS, faults, keyOf: (i) => `demo.orders.${REGIONS[i % REGIONS.length]}`}),
    )
  ).published
  const run = await consumeWith(adapter, n.stream, {
    group: n.consumer,
    prefetch: 1,
    idleMs: 1500,
    deadlineMs: 30_000,
    verdict(d, body) {
      if (orderIndex(d.envelope) >= ORDERS_HANDLED) return 'stop'
      const fault = faultOf(body)
      if (fault === 'missing-customer') return 'reject'
      // A nak'd message comes straight back, until MaxDeliver.
      return fault ? 'requeue' : 'ack'
    },
  })
  return {
    published,
    maxDelivered: [...faults.values()].filter((f) => f === 'unknown-sku').length,
    terminated: run.reject,
    pending: ORDERS - ORDERS_HANDLED,
    capture,
  }
}

/** The adapter's dead-letter capture where it has one (branching on the method, never on the broker). */
async function captureDeadLetters(adapter: BrokerAdapter, fallback: () => Promise<void>): Promise<'adapter' | 'demo'> {
  if (adapter.captureDeadLetters) {
    await adapter.captureDeadLetters(DEMO.nats.stream, {name: DEMO.nats.dlq})
    return 'adapter'
  }
  await fallback()
  return 'demo'
}
