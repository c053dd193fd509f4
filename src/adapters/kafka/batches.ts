// Pulls an input lazily in batches: up to `max` items, or fewer when the input is slow to produce the next one
// (so an interactive pipe is not held back waiting for a full batch).

import {isPromise} from '../batched.js'

const LINGER = Symbol('linger')

/**
 * Batches of up to `max` items. A batch is handed out early once `lingerMs` have passed since it started waiting for
 * its second item: one timer per batch, not one per item (a timer per item cost more than the items themselves).
 */
export async function* batches<T>(
  source: AsyncIterable<T> | Iterable<T>,
  max: number,
  lingerMs = 5,
): AsyncGenerator<T[]> {
  if (Symbol.iterator in source) {
    yield* syncBatches(source, max)
    return
  }
  const it = source[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<T>> | undefined
  let batch: T[] = []
  let linger: Linger | undefined
  const handOut = (): T[] => {
    const full = batch
    batch = []
    linger?.cancel()
    linger = undefined
    return full
  }
  try {
    for (;;) {
      const step: IteratorResult<T> | Promise<IteratorResult<T>> = pending ?? it.next()
      let r: IteratorResult<T> | typeof LINGER
      if (!isPromise(step)) {
        r = step
      } else {
        pending = step
        if (batch.length === 0) {
          r = await step
        } else {
          linger ??= new Linger(lingerMs)
          r = await Promise.race([step, linger.expired])
        }
      }
      if (r === LINGER) {
        yield handOut()
        continue
      }
      pending = undefined
      if (r.done) break
      batch.push(r.value)
      if (batch.length >= max) yield handOut()
    }
    if (batch.length > 0) yield handOut()
  } finally {
    linger?.cancel()
    if (pending === undefined) await it.return?.()
  }
}

class Linger {
  readonly expired: Promise<typeof LINGER>
  private timer: NodeJS.Timeout | undefined

  constructor(ms: number) {
    this.expired = new Promise((resolve) => (this.timer = setTimeout(() => resolve(LINGER), ms)))
  }

  cancel(): void {
    clearTimeout(this.timer)
  }
}

function* syncBatches<T>(source: Iterable<T>, max: number): Generator<T[]> {
  let batch: T[] = []
  for (const item of source) {
    batch.push(item)
    if (batch.length >= max) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}
