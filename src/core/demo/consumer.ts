// The demo's "application" consumer: reads through the adapter and settles each message by a verdict, the way a
// real service would, so dead letters are made by the broker itself (reject, delivery limit, MaxDeliver).
import type {BrokerAdapter, Delivery, ReadOptions, Settlement} from '../../adapters/types.js'
import {bodyToBytes} from '../../model/envelope/body.js'
import {type TailStats, tailMessages} from '../services/tail.js'

/** What to do with a delivery: settle it, or stop consuming (the delivery is handed back first). */
export type Verdict = Settlement | 'stop'

export interface ConsumeOptions extends Pick<ReadOptions, 'from' | 'group' | 'prefetch'> {
  verdict: (d: Delivery, body: string) => Promise<Verdict> | Verdict
  /** Stop once nothing arrived for this long (the broker has nothing more to give). */
  idleMs: number
  deadlineMs: number
}

export async function consumeWith(
  adapter: BrokerAdapter,
  target: string,
  o: ConsumeOptions,
): Promise<Record<Verdict, number>> {
  const counts: Record<Verdict, number> = {ack: 0, requeue: 0, reject: 0, stop: 0}
  const stats: TailStats = {received: 0, matched: 0, stoppedBy: 'source'}
  const read = {
    consume: true,
    from: o.from,
    group: o.group,
    prefetch: o.prefetch,
    idleTimeoutMs: o.idleMs,
    signal: AbortSignal.timeout(o.deadlineMs),
  }
  for await (const delivery of tailMessages(adapter, target, read, stats)) {
    const verdict = await o.verdict(delivery, bodyToBytes(delivery.envelope.body).toString('utf8'))
    counts[verdict]++
    await delivery.settle(verdict === 'stop' ? 'requeue' : verdict)
    if (verdict === 'stop') break
  }
  return counts
}
