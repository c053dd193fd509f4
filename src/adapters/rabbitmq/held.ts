// Messages another reader holds unacknowledged (a peek's basic.get before its requeue, a consumer's unacked
// deliveries) are in the queue but cannot be got or purged until they come back. Reads that must see everything (an
// export) and purges wait a bounded time for them, against the management API's count of the queue's messages.
import {HELD_WAIT_MS} from '../types.js'
import type {ManagementClient} from './management.js'

const HELD_POLL_MS = 200

export interface CountedTake {
  management: ManagementClient
  target: string
  /** What the queue held by the management API's count (ready and unacknowledged) before taking began. */
  total: number | undefined
  /** At most this many are wanted (a peek's count). */
  wanted?: number
  /** Takes what is ready now; resolves to how many have been taken in all. */
  take(): Promise<number>
  /** Count the queue's messages again on each round (a read holding what it took: they stay in the count). */
  recount?: boolean
}

/** Takes until the count is reached or HELD_WAIT_MS is over; resolves to how many were still held elsewhere. */
export async function takeCounted(o: CountedTake): Promise<number> {
  const wanted = o.wanted ?? Number.POSITIVE_INFINITY
  let total = o.total
  let taken = await o.take()
  const deadline = Date.now() + HELD_WAIT_MS
  const short = () => total !== undefined && taken < Math.min(total, wanted)
  while (short() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, HELD_POLL_MS))
    taken = await o.take()
    if (o.recount && short()) total = (await o.management.getQueue(o.target)).messages
  }
  return short() ? Math.min(total as number, wanted) - taken : 0
}
