import {describe, expect, it} from 'vitest'

import {BoundedChannel} from '../../src/adapters/kafka/channel.js'

async function take<T>(it: AsyncIterator<T[]>): Promise<T[] | undefined> {
  const next = await it.next()
  return next.done ? undefined : next.value
}

describe('BoundedChannel (Kafka fetches to a batched reader)', () => {
  it('hands everything buffered to the reader as one batch, in order', async () => {
    const channel = new BoundedChannel<number>(10)
    const reader = channel.batches()
    expect(await channel.pushAll([1, 2, 3])).toBe(true)
    expect(await channel.pushAll([4])).toBe(true)
    expect(await take(reader)).toEqual([1, 2, 3, 4])
    channel.end()
    expect(await take(reader)).toBeUndefined()
  })

  it('a writer over capacity waits until the reader takes the buffer', async () => {
    const channel = new BoundedChannel<number>(2)
    const reader = channel.batches()
    let pushed = false
    const push = channel.pushAll([1, 2, 3]).then((ok) => (pushed = ok))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(pushed).toBe(false)
    expect(await take(reader)).toEqual([1, 2, 3])
    await push
    expect(pushed).toBe(true)
  })

  it('a waiting writer is told false when the channel closes, and a failure reaches the reader after the items', async () => {
    const closing = new BoundedChannel<number>(1)
    const waiting = closing.pushAll([1, 2])
    closing.close()
    expect(await waiting).toBe(false)

    const failing = new BoundedChannel<number>(5)
    const reader = failing.batches()
    await failing.pushAll([7])
    failing.fail(new Error('broker gone'))
    expect(await take(reader)).toEqual([7])
    await expect(reader.next()).rejects.toThrow('broker gone')
  })
})
