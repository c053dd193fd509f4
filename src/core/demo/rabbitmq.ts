// RabbitMQ part of the demo: orders through a topic exchange; the orders service rejects invalid orders and the
// payments service keeps failing on two payments until the quorum queue's delivery limit dead-letters them.
// Both land in demo.orders.dlq through the dead-letter exchange: real x-death records, made by the broker.
import type {BrokerAdapter} from '../../adapters/types.js'
import {publishAll} from '../services/publish.js'
import {consumeWith} from './consumer.js'
import {type OrderFault, REGIONS, faultOf, faultsEvery, orderIndex, orders} from './orders.js'
import {DEMO} from './scenario.js'

const ORDERS = 60
/** Orders the orders service handles before the demo "stops" it, leaving a backlog with no consumer. */
const ORDERS_HANDLED = 42
const PAYMENTS = 6

export interface RabbitMqDemoResult {
  published: number
  rejected: number
  deliveryLimited: number
  backlog: number
}

export async function seedRabbitMq(adapter: BrokerAdapter): Promise<RabbitMqDemoResult> {
  const r = DEMO.rabbitmq
  const orderFaults = new Map<number, OrderFault>([
    ...faultsEvery(ORDERS_HANDLED, 6, 3, 'negative-amount'),
    ...faultsEvery(ORDERS_HANDLED, 10, 5, 'missing-customer'),
  ])
  const paymentFaults = new Map<number, OrderFault>([
    [1, 'unknown-sku'],
    [4, 'unknown-sku'],
  ])
  const publishOrders = async (queue: string, count: number, faults: Map<number, OrderFault>, topic: string) => {
    const messages = orders({count, faults, keyOf: (i) => `${topic}.${REGIONS[i % REGIONS.length]}`})
    return (await publishAll(adapter, queue, messages, {exchange: r.exchange})).published
  }
  const published =
    (await publishOrders(r.orders, ORDERS, orderFaults, 'orders.created')) +
    (await publishOrders(r.payments, PAYMENTS, paymentFaults, 'payments.captured'))

  const ordersRun = await consumeWith(adapter, r.orders, {
    prefetch: 1,
    idleMs: 1500,
    deadlineMs: 20_000,
    verdict: (d, body) => (orderIndex(d.envelope) >= ORDERS_HANDLED ? 'stop' : faultOf(body) ? 'reject' : 'ack'),
  })
  // A requeued payment comes straight back; the quorum queue counts deliveries and dead-letters past the limit.
  await consumeWith(adapter, r.payments, {
    prefetch: 1,
    idleMs: 1500,
    deadlineMs: 20_000,
    verdict: (_d, body) => (faultOf(body) ? 'requeue' : 'ack'),
  })
  return {
    published,
    rejected: ordersRun.reject,
    deliveryLimited: paymentFaults.size,
    backlog: ORDERS - ORDERS_HANDLED,
  }
}
