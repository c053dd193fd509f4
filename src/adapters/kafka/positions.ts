// Where a read starts and (with untilEnd) stops, per partition.
import type {Admin} from 'kafkajs'
import type {StartPosition} from '../types.js'
import {committedPositions} from './group-positions.js'
import {idempotentRead, type PartitionOffsets} from './topics.js'

export type Positions = Map<number, bigint>

/**
 * Start offset per partition, clamped into [low, high]. Without `from`: a named group resumes where it committed
 * (the beginning when it never did); a throwaway read starts at the beginning.
 */
export async function startPositions(
  admin: Admin,
  topic: string,
  offsets: PartitionOffsets[],
  from: StartPosition | undefined,
  group: string | undefined,
): Promise<Positions> {
  const wanted = await wantedStarts(admin, topic, offsets, from, group)
  return new Map(offsets.map((o) => [o.partition, clamp(wanted.get(o.partition) ?? o.low, o.low, o.high)]))
}

async function wantedStarts(
  admin: Admin,
  topic: string,
  offsets: PartitionOffsets[],
  from: StartPosition | undefined,
  group: string | undefined,
): Promise<Positions> {
  if (!from) return group ? committedOffsets(admin, topic, group) : new Map()
  switch (from.kind) {
    case 'earliest':
      return new Map(offsets.map((o) => [o.partition, o.low]))
    case 'latest':
      return new Map(offsets.map((o) => [o.partition, o.high]))
    case 'offset':
      return new Map(offsets.map((o) => [o.partition, from.value]))
    case 'time':
      return offsetsAtTime(admin, topic, from.value)
  }
}

/** First offset with a timestamp at or after `time`; kafkajs answers the end offset when there is none. */
async function offsetsAtTime(admin: Admin, topic: string, time: Date): Promise<Positions> {
  const found = await idempotentRead(() => admin.fetchTopicOffsetsByTimestamp(topic, time.getTime()), {
    topic,
    admin,
  })
  return new Map(found.map((o) => [o.partition, BigInt(o.offset)]))
}

/** Committed offsets of a group; partitions without a commit ('-1') are left out. */
async function committedOffsets(admin: Admin, topic: string, groupId: string): Promise<Positions> {
  const committed = await committedPositions(admin, topic, groupId)
  return new Map(Object.entries(committed).map(([partition, offset]) => [Number(partition), BigInt(offset)]))
}

function clamp(v: bigint, low: bigint, high: bigint): bigint {
  return v < low ? low : v > high ? high : v
}

/** Tracks, for untilEnd reads, which partitions have reached the end captured at start. */
export class EndTracker {
  private readonly remaining = new Set<number>()

  constructor(
    private readonly ends: Positions,
    starts: Positions,
  ) {
    for (const [partition, end] of ends) if ((starts.get(partition) ?? 0n) < end) this.remaining.add(partition)
  }

  get done(): boolean {
    return this.remaining.size === 0
  }

  end(partition: number): bigint | undefined {
    return this.ends.get(partition)
  }

  /** Records that everything up to `lastOffset` (inclusive) of the partition has been handed on. */
  reached(partition: number, lastOffset: bigint): void {
    const end = this.ends.get(partition)
    if (end !== undefined && lastOffset >= end - 1n) this.remaining.delete(partition)
  }
}
