// Consume mode: commits offset+1 for settled deliveries, only up to the first unsettled one of each partition
// (a Kafka commit covers everything before it). Commits are coalesced; settle() resolves once its commit is done.
import type {Settlement} from '../types.js'

export type CommitFn = (offsets: {partition: number; offset: string}[]) => Promise<void>

export class OffsetCommitter {
  private readonly delivered = new Map<number, bigint[]>()
  private readonly settled = new Map<number, Set<bigint>>()
  private readonly committed = new Map<number, bigint>()
  private inFlight: Promise<void> = Promise.resolve()
  private queued?: Promise<void>

  constructor(private readonly commit: CommitFn) {}

  track(partition: number, offset: bigint): void {
    const list = this.delivered.get(partition) ?? []
    list.push(offset)
    this.delivered.set(partition, list)
  }

  /** ack and reject both move past the message (Kafka cannot dead-letter it); requeue leaves it for the next read. */
  settle(partition: number, offset: bigint, how: Settlement): Promise<void> {
    if (how === 'requeue') return Promise.resolve()
    const set = this.settled.get(partition) ?? new Set<bigint>()
    set.add(offset)
    this.settled.set(partition, set)
    return this.flush()
  }

  flush(): Promise<void> {
    if (!this.queued) {
      const next = this.inFlight
        .catch(() => undefined)
        .then(() => {
          this.queued = undefined
          return this.commitSettledPrefix()
        })
      this.queued = next
      this.inFlight = next
    }
    return this.queued
  }

  private async commitSettledPrefix(): Promise<void> {
    const offsets: {partition: number; offset: string}[] = []
    for (const [partition, list] of this.delivered) {
      const settled = this.settled.get(partition)
      let next: bigint | undefined
      while (list.length > 0 && settled?.has(list[0])) {
        const offset = list.shift()!
        settled.delete(offset)
        next = offset + 1n
      }
      if (next !== undefined && next !== this.committed.get(partition))
        offsets.push({partition, offset: next.toString()})
    }
    if (offsets.length === 0) return
    await this.commit(offsets)
    for (const o of offsets) this.committed.set(o.partition, BigInt(o.offset))
  }
}
