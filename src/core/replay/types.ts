// The replay model: what the user asked for, the snapshot bound that makes a run finite, and what it reports.
import type {TargetKind} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import type {SettledDecode} from '../schema/envelope-decoder.js'
import type {TargetRef} from '../target-ref.js'

/** move: the source copy is removed (or passed, on Kafka) once the destination confirmed; copy: left in place. */
export type ReplayMode = 'move' | 'copy'

export interface ReplayRequest {
  source: TargetRef
  /** Where every message goes; undefined = each message's origin (from its death record). */
  to?: TargetRef
  /** The context the destination is in, when not the source's (`--to-context`): its name only, never a secret. */
  toContext?: string
  mode: ReplayMode
  filter?: string
  /**
   * How the filter reads values: through the schema registry in this mode (json.<field> is the decoded value). Only
   * with a filter; recorded in the journal so a resume selects the same messages. Absent: the body parsed as JSON.
   */
  decode?: SettledDecode
  /** Only these messages, by their ids (identity.ts): the dashboard's marks, --select. */
  select?: string[]
  /** Replay at most this many messages. */
  limit?: number
  /** A message already replayed this many times is refused (skipped) unless `force`. */
  maxReplays: number
  force: boolean
  /** Kafka origin: publish to the partition the message came from (default: the key decides). */
  keepPartition: boolean
  /** Messages published but not yet settled at the source, at most (bounds duplicates after a crash). */
  window: number
  /** Messages per second, at most. */
  rate?: number
}

/**
 * The default window: as many unsettled messages as RabbitMQ's shovel keeps by default (its src-prefetch-count).
 * A RabbitMQ move is bound by it: the broker confirms a window of persistent messages per disk sync.
 */
export const DEFAULT_REPLAY_WINDOW = 1000

/**
 * What was captured when the job started, so a run always ends even while messages keep dying into the DLQ:
 * a queue's depth, a topic's end offset per partition, a stream's last sequence.
 */
export type SnapshotBound =
  {kind: 'depth'; depth: number} | {kind: 'offsets'; ends: Record<string, string>} | {kind: 'sequence'; last: number}

/** How a source is read and settled, chosen from the target's kind and the adapter's abilities. */
export type SourceStrategy =
  /** Classic / quorum queue: consume; ack after confirmation; anything not replayed is requeued at the end. */
  | 'consume-queue'
  /** Kafka topic: read from the replay group's cursor; mark each record in it after confirmation (cursor.ts). */
  | 'commit-group'
  /** Stream (JetStream): read without removing; delete the entry after confirmation. */
  | 'delete-entry'
  /** Anything readable without removal, in copy mode (Kafka, JetStream, RabbitMQ stream queues). */
  | 'read-only'

export interface SourceFacts {
  broker: BrokerKind
  target: string
  kind: TargetKind
  strategy: SourceStrategy
  bound: SnapshotBound
  /** Messages the bound covers (depth, or end minus start per partition) when known. */
  count?: number
}

export type SkipReason = 'filter' | 'max-replays' | 'no-origin' | 'key-order' | 'already-replayed' | 'beyond-bound'

export interface ReplayCounts {
  /** Messages read from the source within the bound. */
  examined: number
  replayed: number
  /** Not chosen by --filter (left where they are, intended). */
  filtered: number
  /** Chosen but refused: replayed too often, no known origin, held back to keep per-key order. */
  skipped: number
  failed: number
  /** Confirmed at the destination but possibly delivered twice (a resumed run re-publishing what an earlier try published). */
  possibleDuplicates: number
  /** The destination said it already had it (JetStream Nats-Msg-Id de-duplication). */
  deduplicated: number
}

export interface ReplayFailure {
  id: string
  destination: string
  code: string
  message: string
}

export interface ReplayStop {
  code: string
  message: string
  /** Messages of the bound the broker still holds and the run never read, when known (counted in leftBehind). */
  left?: number
}

export interface ReplayReport {
  replayId: string
  source: string
  destination: string
  /** The destination's context, when it is not the source's. */
  toContext?: string
  mode: ReplayMode
  resumed: boolean
  counts: ReplayCounts
  skippedBy: Partial<Record<SkipReason, number>>
  /** Messages replayed per destination. */
  byDestination: Record<string, number>
  /** The first failures, at most 20. */
  failures: ReplayFailure[]
  /** Why the run stopped early, if it did (destination unreachable, interrupted, too many held). */
  stopped?: ReplayStop
  /** Set when a --resume found its job already complete (why): nothing was read or moved. */
  alreadyComplete?: string
  /**
   * Resuming after attempts that ended without their report (killed): each may have published up to a window of
   * messages without recording them, so together up to this many can now be at the destination twice (JetStream
   * drops them by Nats-Msg-Id within its duplicate window; downstream consumers can by mailroom-replay-msg-id).
   */
  crashWindow?: number
  /** How many earlier attempts of this job were killed (crashWindow is this many windows). */
  crashedAttempts?: number
  /** Messages that were meant to be replayed and were not: still in the DLQ. */
  leftBehind: number
  /** With a selection (--select): marked messages this run did not find in the DLQ (gone since they were marked). */
  selectedNotFound?: number
  journal: string
  elapsedMs: number
  perSecond: number
}
