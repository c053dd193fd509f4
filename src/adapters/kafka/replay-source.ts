// A topic as a replay source: the end offsets described now bound the run, and the replay group's cursor
// (replay-cursor.ts) says what earlier replays moved and records what this one moves.
import type {Admin, Kafka} from 'kafkajs'
import {replayGroup} from '../../model/replay-group.js'
import type {Delivery, GroupCursorReplaySource, ReplayCursor} from '../types.js'
import {commitPositions, committedCursors, prepareCommits} from './group-positions.js'
import {beyondSpanMessage, type CommittedCursor, countBeyond, CursorCommitter, decodeReplayed} from './replay-cursor.js'
import {depthOf, type TopicFacts} from './topics.js'

/** The adapter's live clients, asked for at each use (they throw once the adapter is closed). */
export interface CursorClients {
  admin(): Admin
  kafka(): Kafka
}

/** One partition's offsets as described: anything below `low` was deleted, `high` is the end. */
interface PartitionSpan {
  partition: number
  low: bigint
  high: bigint
}

export function topicReplaySource(facts: TopicFacts, clients: CursorClients): GroupCursorReplaySource {
  const spans = partitionSpans(facts)
  let cursor: Promise<ReplayCursor> | undefined
  return {
    kind: 'group-cursor',
    targetKind: 'topic',
    depth: depthOf(facts.offsets),
    ends: Object.fromEntries(spans.map((p) => [String(p.partition), p.high.toString()])),
    cursor: () => (cursor ??= openCursor(facts.topic, spans, clients)),
  }
}

/** Every partition of the topic's metadata with its offsets (0 where none were read). */
function partitionSpans({partitions, offsets}: TopicFacts): PartitionSpan[] {
  return partitions.map(({partitionId}) => {
    const o = offsets.find((x) => x.partition === partitionId)
    return {partition: partitionId, low: o?.low ?? 0n, high: o?.high ?? 0n}
  })
}

async function openCursor(topic: string, spans: PartitionSpan[], clients: CursorClients): Promise<ReplayCursor> {
  const group = replayGroup(topic)
  return new GroupCursor(topic, group, spans, await committedCursors(clients.admin(), topic, group), clients)
}

class GroupCursor implements ReplayCursor {
  readonly committedBefore: boolean
  readonly unreplayed: number
  readonly from: bigint
  private readonly commits: CursorCommitter
  /** Per partition: records left unread because the cursor could not remember replaying them (MAX_SPAN). */
  private readonly beyondSpan = new Map<number, number>()

  constructor(
    topic: string,
    readonly group: string,
    spans: PartitionSpan[],
    committed: Record<number, CommittedCursor>,
    private readonly clients: CursorClients,
  ) {
    this.committedBefore = Object.keys(committed).length > 0
    this.unreplayed = unreplayedWithin(spans, committed)
    this.from = startOffset(spans.length, committed)
    this.commits = new CursorCommitter(committed, (offsets, metadata) =>
      commitPositions(clients.kafka(), topic, group, offsets, metadata),
    )
  }

  prepare(): void {
    prepareCommits(this.clients.kafka(), this.group)
  }

  admit(d: Delivery): 'beyond' | 'replayed' | 'new' {
    const admitted = this.commits.admit(d)
    if (admitted === 'beyond') countBeyond(this.beyondSpan, d)
    return admitted
  }

  mark(d: Delivery): void {
    this.commits.mark(d)
  }

  settle(d: Delivery): Promise<void> {
    return this.commits.settle(d)
  }

  flush(): Promise<void> {
    return this.commits.flush()
  }

  shortfall(): string | undefined {
    return this.beyondSpan.size === 0 ? undefined : beyondSpanMessage(this.beyondSpan)
  }
}

/** Partitions never committed start at their beginning; otherwise a run reads from the lowest committed offset. */
function startOffset(partitions: number, committed: Record<number, CommittedCursor>): bigint {
  const values = Object.values(committed).map((c) => BigInt(c.offset ?? '0'))
  return values.length < partitions || values.length === 0 ? 0n : values.reduce((a, b) => (a < b ? a : b))
}

/** Records up to the ends the cursor does not mark as replayed: from its committed offset, less those marked above. */
function unreplayedWithin(spans: PartitionSpan[], committed: Record<number, CommittedCursor>): number {
  let total = 0n
  for (const {partition, low, high: end} of spans) {
    const cursor = committed[partition]
    const from = cursor?.offset === undefined ? low : BigInt(cursor.offset)
    const start = from < low ? low : from
    if (end <= start) continue
    let marked = 0n
    for (const o of decodeReplayed(from, cursor?.metadata)) if (o >= start && o < end) marked++
    total += end - start - marked
  }
  return Number(total)
}
