// The replay cursor of a Kafka topic (the group mailroom-replay.<topic>): per partition, the committed offset is the
// first record no replay has moved yet, and the commit's metadata lists the records above it that were replayed.
// So a record a run did not replay (not selected by --filter, beyond --limit, refused, failed) stays reachable by
// every later run, with any filter or none, while a record that was replayed is never replayed again.
//
// The metadata is a bitmap (bit i: offset committed+1+i was replayed) in base64url behind "r1:". Kafka keeps at most
// offset.metadata.max.bytes (default 4096) per partition, so a run replays records at most MAX_SPAN past the first
// one not replayed; beyond that a partition waits until the records held below are replayed.
import type {Delivery} from '../types.js'

const FORMAT = 'r1:'
/** Records past the first one not replayed that one commit can remember (~3,400 base64 characters). */
export const MAX_SPAN = 20_000

/** One partition's cursor as committed: its offset and the offsets above it already replayed. */
export interface CommittedCursor {
  offset?: string
  metadata?: string
}

export function encodeReplayed(floor: bigint, replayed: Iterable<bigint>): string {
  const bits: number[] = []
  for (const o of replayed) {
    const i = Number(o - floor - 1n)
    if (i < 0) continue
    bits[i >> 3] = (bits[i >> 3] ?? 0) | (1 << (i & 7))
  }
  if (bits.length === 0) return ''
  return FORMAT + Buffer.from(Array.from(bits, (b) => b ?? 0)).toString('base64url')
}

export function decodeReplayed(floor: bigint, metadata: string | undefined): Set<bigint> {
  const out = new Set<bigint>()
  if (!metadata?.startsWith(FORMAT)) return out
  const bytes = Buffer.from(metadata.slice(FORMAT.length), 'base64url')
  for (let i = 0; i < bytes.length * 8; i++) if (bytes[i >> 3]! & (1 << (i & 7))) out.add(floor + 1n + BigInt(i))
  return out
}

/** For a dry run: whether a record was already replayed, judged by the cursor as committed. */
export function replayedBefore(committed: Record<number, CommittedCursor>): (d: Delivery) => boolean {
  const cursors = cursorsOf(committed)
  return (d) => isReplayed(cursors, d)
}

function cursorsOf(committed: Record<number, CommittedCursor>): Map<number, PartitionCursor> {
  const out = new Map<number, PartitionCursor>()
  for (const [p, c] of Object.entries(committed)) {
    if (c.offset === undefined) continue
    const floor = BigInt(c.offset)
    out.set(Number(p), new PartitionCursor(floor, decodeReplayed(floor, c.metadata)))
  }
  return out
}

/** Below the floor, or marked replayed above it. */
function isReplayed(cursors: Map<number, PartitionCursor>, d: Delivery): boolean {
  const {partition = 0, offset} = d.envelope.meta ?? {}
  const cursor = cursors.get(partition)
  if (offset === undefined || cursor?.floor === undefined) return false
  const o = BigInt(offset)
  return o < cursor.floor || cursor.replayed.has(o)
}

/** Why a run leaves records unread at the cursor's span: how many, per partition (partition -> records). */
export function beyondSpanMessage(beyond: ReadonlyMap<number, number>): string {
  const left = [...beyond].map(([p, n]) => `${n} in partition ${p}`).join(', ')
  return `${left} were not read: they lie over ${MAX_SPAN} records past a record no replay has moved yet, further than the replay group can remember; replay the records held back (with another filter or none), then run again`
}

/** Counts a record left beyond the span, per partition. */
export function countBeyond(beyond: Map<number, number>, d: Delivery): void {
  const partition = d.envelope.meta?.partition ?? 0
  beyond.set(partition, (beyond.get(partition) ?? 0) + 1)
}

/** One partition during a run: the records read in order from the floor, and which of them are replayed. */
class PartitionCursor {
  /** Records read at or above the floor, in order, not yet passed by it. */
  private readonly order: bigint[] = []
  changed = false

  constructor(
    public floor: bigint | undefined,
    readonly replayed: Set<bigint>,
  ) {}

  read(offset: bigint): void {
    this.floor ??= offset
    if (offset >= this.floor) this.order.push(offset)
  }

  settle(offset: bigint): void {
    this.replayed.add(offset)
    this.changed = true
  }

  /** Moves the floor past the replayed records at its head (including ones an earlier run replayed). */
  advance(): void {
    if (this.floor === undefined) return
    while (this.order.length > 0 && this.replayed.has(this.order[0]!)) this.passFloor(this.order.shift()!)
    if (this.order.length === 0) while (this.replayed.has(this.floor)) this.passFloor(this.floor)
  }

  private passFloor(offset: bigint): void {
    this.replayed.delete(offset)
    this.floor = offset + 1n
  }
}

/**
 * Tracks every record a run reads from the replay group's topic and commits the cursor after each batch of settles:
 * one commit at a time; settles that arrive during a commit join the next.
 */
export class CursorCommitter {
  private readonly partitions: Map<number, PartitionCursor>
  private chain: Promise<void> = Promise.resolve()
  private scheduled?: Promise<void>

  constructor(
    committed: Record<number, CommittedCursor>,
    private readonly commit: (offsets: Record<number, string>, metadata: Record<number, string>) => Promise<void>,
  ) {
    this.partitions = cursorsOf(committed)
  }

  /** Already replayed by an earlier run: below the committed offset or marked above it. */
  replayedBefore(d: Delivery): boolean {
    return isReplayed(this.partitions, d)
  }

  /** Too far past the first record not replayed for the commit to remember: left for a later run. */
  beyondSpan(d: Delivery): boolean {
    const {partition = 0, offset} = d.envelope.meta ?? {}
    const floor = this.partitions.get(partition)?.floor
    return offset !== undefined && floor !== undefined && BigInt(offset) - floor > BigInt(MAX_SPAN)
  }

  /**
   * Each record read, in order: 'beyond' the span (left unread), 'replayed' before (passed over), or 'new' (for the
   * run to decide on). Records within the span are tracked, so the floor moves past them once replayed.
   */
  admit(d: Delivery): 'beyond' | 'replayed' | 'new' {
    if (this.beyondSpan(d)) return 'beyond'
    const before = this.replayedBefore(d)
    this.read(d)
    return before ? 'replayed' : 'new'
  }

  /** Every record handed to the run (and every one found replayed before) goes through here, in order. */
  read(d: Delivery): void {
    const {partition = 0, offset = '0'} = d.envelope.meta ?? {}
    let cursor = this.partitions.get(partition)
    if (!cursor) this.partitions.set(partition, (cursor = new PartitionCursor(undefined, new Set())))
    cursor.read(BigInt(offset))
  }

  /** Marks a record replayed and moves the floor past it where it can, without committing (a dry run). */
  mark(d: Delivery): void {
    const {partition = 0, offset = '0'} = d.envelope.meta ?? {}
    const cursor = this.partitions.get(partition)
    cursor?.settle(BigInt(offset))
    cursor?.advance()
  }

  settle(d: Delivery): Promise<void> {
    const {partition = 0, offset = '0'} = d.envelope.meta ?? {}
    this.partitions.get(partition)?.settle(BigInt(offset))
    // Settles of one checkpoint batch arrive together: one commit for all of them.
    this.scheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.scheduled = undefined
      return this.flush()
    })
    return this.scheduled
  }

  flush(): Promise<void> {
    const offsets: Record<number, string> = {}
    const metadata: Record<number, string> = {}
    for (const [partition, cursor] of this.partitions) {
      if (!cursor.changed || cursor.floor === undefined) continue
      cursor.changed = false
      cursor.advance()
      offsets[partition] = cursor.floor.toString()
      metadata[partition] = encodeReplayed(cursor.floor, cursor.replayed)
    }
    if (Object.keys(offsets).length === 0) return this.chain
    this.chain = this.chain.catch(() => undefined).then(() => this.commit(offsets, metadata))
    return this.chain
  }
}
