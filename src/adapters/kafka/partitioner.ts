// Where a record goes when no partition is given, as Kafka's Java producer decides for a key: murmur2 of the key's
// bytes, made positive, modulo the topic's partition count (BuiltInPartitioner.partitionForKey). Records without a
// key are spread round-robin over the partitions that have a leader, record by record.
//
// mailroom chooses the partition itself (to know each record's offset from the produce response) and hands kafkajs
// records whose partition is already set; kafkajs's own partitioner keeps a preset partition.
import type {PartitionMetadata} from 'kafkajs'

const SEED = 0x9747b28c
const M = 0x5bd1e995

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): a signed 32-bit hash of the bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = (SEED ^ length) | 0
  const whole = length & ~3
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  switch (length & 3) {
    case 3:
      h ^= data[whole + 2]! << 16
    // falls through
    case 2:
      h ^= data[whole + 1]! << 8
    // falls through
    case 1:
      h ^= data[whole]!
      h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** The partition Kafka's Java producer chooses for a key: toPositive(murmur2(key)) % partitions. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions
}

/** Chooses a partition for each record of one publish to one topic. */
export class RecordPartitioner {
  private readonly count: number
  /** Partitions with a leader, where unkeyed records go (all of them if none has one: the send will say why). */
  private readonly spread: number[]
  private next: number

  constructor(partitions: readonly PartitionMetadata[]) {
    this.count = partitions.length
    const led = partitions.filter((p) => p.leader >= 0)
    this.spread = (led.length > 0 ? led : partitions).map((p) => p.partitionId).sort((a, b) => a - b)
    // A random start, so that many short publishes do not all begin on the same partition.
    this.next = Math.floor(Math.random() * Math.max(1, this.spread.length))
  }

  choose(key: Uint8Array | null): number {
    if (key !== null) return partitionForKey(key, this.count)
    const partition = this.spread[this.next]!
    this.next = (this.next + 1) % this.spread.length
    return partition
  }
}
