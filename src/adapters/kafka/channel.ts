// A bounded async queue between a kafkajs callback (producer side) and an async iterator of batches (consumer
// side), so a slow reader pauses fetching instead of buffering without limit.
import {settledWithin} from '../../model/deadline.js'

export class BoundedChannel<T> {
  private readonly items: T[] = []
  private ended = false
  private failure: unknown
  private wakeReader?: () => void
  private readonly waitingWriters: (() => void)[] = []

  constructor(private readonly capacity: number) {}

  /**
   * Adds the items (a fetched batch, whole: the reader can start on it at once), then waits while the buffer is over
   * capacity. False once the channel is closed (the items are then dropped).
   */
  async pushAll(items: T[], onStillWaiting?: () => Promise<void>, waitTickMs = 3000): Promise<boolean> {
    if (this.ended) return false
    for (const item of items) this.items.push(item)
    this.wakeReader?.()
    while (!this.ended && this.items.length > this.capacity) {
      const room = new Promise<void>((resolve) => this.waitingWriters.push(resolve))
      const roomMade = await settledWithin(
        room.then(() => true),
        waitTickMs,
      )
      if (!roomMade && onStillWaiting) await onStillWaiting()
    }
    return !this.ended
  }

  /** No more items: the iterator finishes after the buffered ones. */
  end(): void {
    this.ended = true
    this.wakeAll()
  }

  /** The iterator throws `e` after the buffered items. */
  fail(e: unknown): void {
    if (this.ended) return
    this.failure = e
    this.end()
  }

  /** Drops buffered items and ends. */
  close(): void {
    this.items.length = 0
    this.end()
  }

  /**
   * Everything buffered, as one batch each time the reader comes back; taking a batch makes room for the writers.
   * Besides the batch the reader holds, at most the capacity plus one fetched batch wait.
   */
  async *batches(): AsyncGenerator<T[]> {
    for (;;) {
      if (this.items.length > 0) {
        const batch = this.items.splice(0)
        this.wakeWriters()
        yield batch
        continue
      }
      if (this.ended) {
        if (this.failure !== undefined) throw this.failure
        return
      }
      await new Promise<void>((resolve) => (this.wakeReader = resolve))
      this.wakeReader = undefined
    }
  }

  private wakeAll(): void {
    this.wakeReader?.()
    this.wakeWriters()
  }

  private wakeWriters(): void {
    for (const wake of this.waitingWriters.splice(0)) wake()
  }
}
