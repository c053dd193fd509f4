// A minimal push -> pull buffer between amqplib's callbacks and an async generator.

export class AsyncQueue<T> {
  private readonly items: T[] = []
  private waiter: (() => void) | undefined
  private ended = false
  private failure: unknown

  get size(): number {
    return this.items.length
  }

  push(item: T): void {
    this.items.push(item)
    this.wake()
  }

  /** No more items: next() drains what is buffered, then reports done. */
  end(): void {
    this.ended = true
    this.wake()
  }

  /** Like end(), but next() throws `error` once the buffer is drained. The first failure wins. */
  fail(error: unknown): void {
    if (!this.ended) this.failure = error
    this.end()
  }

  async next(): Promise<T | undefined> {
    await this.arrival()
    return this.items.shift()
  }

  /** Everything buffered (at least one item), or undefined once ended and drained. */
  async nextBatch(): Promise<T[] | undefined> {
    await this.arrival()
    return this.items.length > 0 ? this.items.splice(0) : undefined
  }

  /** Resolves once an item is buffered or the queue has ended; throws a failure once the buffer is drained. */
  private async arrival(): Promise<void> {
    for (;;) {
      if (this.items.length > 0) return
      if (this.failure !== undefined) throw this.failure
      if (this.ended) return
      await new Promise<void>((resolve) => (this.waiter = resolve))
    }
  }

  private wake(): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }
}
