// The demo's business data: orders, some of which a consumer cannot process (its "poison" messages).
import type {Envelope, Header} from '../../model/envelope/types.js'

export type OrderFault = 'negative-amount' | 'missing-customer' | 'unknown-sku' | 'malformed-json'

export interface DemoOrderOptions {
  count: number
  /** Order numbers (0-based) that carry a fault, and which one. */
  faults: Map<number, OrderFault>
  /** Routing key / subject / Kafka key of order i. */
  keyOf: (i: number, id: string) => string
  headers?: (i: number) => Header[]
}

export const REGIONS = ['eu', 'us', 'apac'] as const
const SKUS = ['MUG-01', 'TEE-42', 'CAP-07', 'BAG-13', 'PEN-99']

export function orderId(i: number): string {
  return `ord-${String(10_000 + i)}`
}

export function orderEnvelope(i: number, o: DemoOrderOptions): Envelope {
  const id = orderId(i)
  const fault = o.faults.get(i)
  const order = {
    id,
    customer: fault === 'missing-customer' ? undefined : `cust-${(i * 7919) % 997}`,
    region: REGIONS[i % REGIONS.length],
    amount: fault === 'negative-amount' ? -((i % 50) + 1) : Math.round((((i * 37) % 400) + 9.99) * 100) / 100,
    currency: 'EUR',
    items: [{sku: fault === 'unknown-sku' ? 'SKU-DOES-NOT-EXIST' : SKUS[i % SKUS.length], qty: (i % 3) + 1}],
  }
  const text = fault === 'malformed-json' ? `{"id":"${id}","amount":` : JSON.stringify(order)
  return {
    v: 1,
    key: o.keyOf(i, id),
    headers: [['order-id', id], ['source', 'mailroom-demo'], ...(o.headers?.(i) ?? [])],
    properties: {contentType: 'application/json', messageId: id},
    body: {utf8: text},
  }
}

/** The order number of a demo message (from its order-id header); -1 when it has none. */
export function orderIndex(e: Envelope): number {
  const id = e.headers.find(([name]) => name === 'order-id')?.[1]
  return typeof id === 'string' && id.startsWith('ord-') ? Number(id.slice(4)) - 10_000 : -1
}

export async function* orders(o: DemoOrderOptions): AsyncGenerator<Envelope> {
  for (let i = 0; i < o.count; i++) yield orderEnvelope(i, o)
}

/** The fault an order body shows to a consumer, or undefined when it can be processed. */
export function faultOf(body: string): OrderFault | undefined {
  let order: {customer?: string; amount?: number; items?: {sku?: string}[]}
  try {
    order = JSON.parse(body)
  } catch {
    return 'malformed-json'
  }
  if (!order.customer) return 'missing-customer'
  if (typeof order.amount !== 'number' || order.amount < 0) return 'negative-amount'
  if (order.items?.some((item) => !item.sku || !SKUS.includes(item.sku))) return 'unknown-sku'
  return undefined
}

/** Every `every`-th order from `first` on has the given fault. */
export function faultsEvery(count: number, every: number, first: number, fault: OrderFault): Map<number, OrderFault> {
  const faults = new Map<number, OrderFault>()
  for (let i = first; i < count; i += every) faults.set(i, fault)
  return faults
}
