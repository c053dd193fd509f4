// Queue lag from the management API: one paginated listing for every queue of the vhost (ready, unacked,
// consumers, cumulative counters and rates). The age of the head message is known only where that has no side
// effect: the listing's head_message_timestamp (a classic queue whose head message carries the timestamp property)
// and stream queues, read from offset `first`. Otherwise a queue would have to deliver (and requeue) it.
import type {Envelope} from '../../model/envelope/types.js'
import type {LagOptions, LagSample} from '../types.js'
import type {ManagementClient, ManagementQueue} from './management.js'
import {type ReadDeps, readStream} from './readers.js'
import {defined} from '../../model/defined.js'
import {rate} from './stats.js'

/** Reads the first message of a stream queue (left in place), or undefined when there is none in time. */
export type StreamHeadReader = (queue: string, signal: AbortSignal) => Promise<Envelope | undefined>

/** The first message of a stream queue through a stream read from offset `first` (reading a stream removes nothing). */
export async function streamHead(deps: ReadDeps, signal: AbortSignal): Promise<Envelope | undefined> {
  for await (const batch of readStream(deps, {from: {kind: 'earliest'}, prefetch: 1, signal})) return batch[0]?.envelope
  return undefined
}

/** Stream heads read per call at most; the others stay "unknown". */
const MAX_STREAM_HEADS = 32
const HEAD_READ_TIMEOUT_MS = 2000

export async function queueLag(
  management: ManagementClient,
  readHead: StreamHeadReader,
  o: LagOptions = {},
): Promise<LagSample[]> {
  const queues = (await management.listQueues()).filter((q) => o.filter === undefined || q.name === o.filter)
  const now = Date.now()
  const samples = queues.map((q) => sampleOf(q, now))
  await addStreamHeadAges(queues, samples, readHead)
  return samples.sort((a, b) => a.target.localeCompare(b.target))
}

function sampleOf(q: ManagementQueue, now: number): LagSample {
  const stats = q.message_stats ?? {}
  const ready = q.messages_ready ?? 0
  const unacked = q.messages_unacknowledged ?? 0
  const lag = q.messages ?? ready + unacked
  const head = q.head_message_timestamp
  return {
    broker: 'rabbitmq',
    target: q.name,
    consumer: q.name,
    lag,
    ...(typeof head === 'number' && lag > 0 ? {lagSeconds: Math.max(0, now / 1000 - head)} : {}),
    consumers: q.consumers ?? 0,
    // Acks, plus deliveries that needed none: everything the consumers have taken for good.
    consumed: count(stats, 'ack') + count(stats, 'deliver_no_ack') + count(stats, 'get_no_ack'),
    produced: count(stats, 'publish'),
    rates: defined({
      in: rate(stats, 'publish_details'),
      out: rate(stats, 'deliver_get_details'),
      ack: rate(stats, 'ack_details'),
    }),
    unacked,
    details: defined({
      type: q.type ?? 'classic',
      state: q.state,
      ready,
      unacked,
      redeliverRate: rate(stats, 'redeliver_details'),
    }),
  }
}

async function addStreamHeadAges(
  queues: ManagementQueue[],
  samples: LagSample[],
  readHead: StreamHeadReader,
): Promise<void> {
  const streams = samples.filter((s, i) => queues[i].type === 'stream' && (s.lag ?? 0) > 0).slice(0, MAX_STREAM_HEADS)
  const now = Date.now()
  await Promise.all(
    streams.map(async (sample) => {
      try {
        const head = await readHead(sample.target, AbortSignal.timeout(HEAD_READ_TIMEOUT_MS))
        if (head?.timestamp) sample.lagSeconds = Math.max(0, (now - Date.parse(head.timestamp)) / 1000)
      } catch (e) {
        sample.warnings = [`head message age unknown: ${e instanceof Error ? e.message : String(e)}`]
      }
    }),
  )
}

function count(stats: Record<string, unknown>, field: string): number {
  const value = stats[field]
  return typeof value === 'number' ? value : 0
}
