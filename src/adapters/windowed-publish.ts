// The confirm window every publish runs: send while fewer than `window` receipts are held (in flight, or confirmed
// and not yet handed over), hand the receipts over a confirmation round at a time, in input order.
import type {Envelope} from '../model/envelope/types.js'
import type {MailroomError} from '../model/errors.js'
import {isPromise} from './batched.js'
import type {PublishReceipt} from './types.js'

/** What a broker's publisher tracks: its messages in flight and the receipts of those it settled. */
export interface ReceiptWindow {
  /** Messages sent whose receipts were not handed over yet: what counts against the window. */
  readonly held: number
  /** Receipts ready to be handed over. */
  readonly ready: boolean
  /** Why nothing more can be sent (the channel closed), if so. */
  readonly failure: MailroomError | undefined
  /** Sends one message; a promise only when the caller has to wait before sending the next. */
  send(index: number, envelope: Envelope): Promise<void> | undefined
  /** Resolves when receipts are ready (at once when some are, or when nothing is held). */
  nextCompletion(): Promise<void>
  /** The ready receipts, in input order. */
  take(): PublishReceipt[]
}

const SETTLED = Symbol('settled')

export async function* publishThroughWindow(
  msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
  receipts: ReceiptWindow,
  window: number,
  signal?: AbortSignal,
): AsyncGenerator<PublishReceipt[]> {
  const input = iteratorOf(msgs)
  let index = 0
  let exhausted = false
  let pending: Promise<IteratorResult<Envelope>> | undefined
  try {
    for (;;) {
      while (!exhausted && receipts.held < window && !receipts.failure && !signal?.aborted) {
        // A synchronous input (publish --count, an array) is taken without a promise per message.
        const step = pending ?? input.next()
        let next: IteratorResult<Envelope> | typeof SETTLED
        if (isPromise(step)) {
          pending = step
          // While the input is slow, receipts are reported as they come: a caller may be waiting for them before it
          // sends more (a replay's in-flight window), and a slow pipe should see its receipts.
          next =
            receipts.held > 0
              ? await Promise.race([step, receipts.nextCompletion().then((): typeof SETTLED => SETTLED)])
              : await step
        } else {
          next = step
        }
        if (next === SETTLED) {
          if (receipts.ready) break
          continue
        }
        pending = undefined
        if (next.done) exhausted = true
        else {
          const waiting = receipts.send(index++, next.value)
          if (waiting) await waiting
        }
      }
      if (receipts.held === 0 && (exhausted || receipts.failure || signal?.aborted)) break
      await receipts.nextCompletion()
      yield receipts.take()
    }
    if (receipts.failure && !exhausted) throw receipts.failure
  } finally {
    // A read still pending (a slow pipe) must not hold up the end: close the input once it answers.
    if (!exhausted && pending) void pending.then(() => input.return?.()).catch(() => {})
    else if (!exhausted) await input.return?.()
  }
}

function iteratorOf<T>(items: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]()
}
