// Timestamps of the records at given offsets, read with one raw Fetch per partition leader: no consumer group to
// join, nothing committed, a bounded number of bytes. kafkajs exposes Fetch only through a consumer (which would
// join a group and wait for a rebalance), so this uses the cluster client kafkajs builds for its own consumers,
// from the private factory on the Kafka object (kafkajs-internals.ts).
import type {Broker, Cluster, Kafka} from 'kafkajs'
import {RecentValues} from '../recent-values.js'
import {clusterFactory} from './kafkajs-internals.js'

/** At most this many partitions are read per call, the most lagging first; the others stay "unknown". */
export const MAX_PROBED_PARTITIONS = 256
/** Enough for a typical record batch; a partition whose first batch is bigger answers nothing (unknown). */
const PARTITION_MAX_BYTES = 64 * 1024
const REQUEST_MAX_BYTES = 8 * 1024 * 1024
const READ_COMMITTED = 1

export interface RecordPosition {
  topic: string
  partition: number
  offset: bigint
}

/** Timestamps remembered (a few refreshes' worth of the most lagging partitions). */
const KNOWN_POSITIONS = 4 * MAX_PROBED_PARTITIONS

const knownKey = (p: RecordPosition) => `${positionKey(p)}\u0000${p.offset}`

export function positionKey(p: {topic: string; partition: number}): string {
  return `${p.topic}\u0000${p.partition}`
}

interface FetchedPartition {
  partition: number
  errorCode: number
  messages: {offset: string; timestamp: string}[]
}

export class FirstRecordProbe {
  private cluster?: Promise<Cluster>
  /** Calls run one at a time: kafkajs may open a second connection to a broker asked for twice at once, and leak it. */
  private queue: Promise<unknown> = Promise.resolve()
  /**
   * Timestamps already read, by topic, partition and offset: a record does not change, and a stuck consumer's first
   * unconsumed record is asked for on every refresh (a dashboard's, a `lag --watch`'s), so only a consumer that
   * moved costs a Fetch. An offset whose records retention removed is never asked again (the log start is).
   */
  private readonly known = new RecentValues<number>(KNOWN_POSITIONS)

  constructor(private readonly kafka: Kafka) {}

  /** Milliseconds timestamp of the record at (or first after) each position, keyed by positionKey. */
  timestamps(positions: RecordPosition[]): Promise<Map<string, number>> {
    const call = this.queue.catch(() => undefined).then(() => this.read(positions))
    this.queue = call
    return call
  }

  private async read(positions: RecordPosition[]): Promise<Map<string, number>> {
    const wanted = positions.slice(0, MAX_PROBED_PARTITIONS)
    const found = new Map<string, number>()
    const unknown = wanted.filter((p) => {
      const time = this.known.get(knownKey(p))
      if (time !== undefined) found.set(positionKey(p), time)
      return time === undefined
    })
    if (unknown.length === 0) return found
    try {
      const cluster = await this.connected(unknown)
      const answers = await Promise.all(
        [...byLeader(cluster, unknown)].map(async ([nodeId, atLeader]) =>
          fetchFirst(await cluster.findBroker({nodeId}), atLeader),
        ),
      )
      const fetched = new Map(answers.flatMap((a) => [...a]))
      for (const p of unknown) {
        const time = fetched.get(positionKey(p))
        if (time === undefined) continue
        found.set(positionKey(p), time)
        this.known.set(knownKey(p), time)
      }
      return found
    } catch (e) {
      await this.reset()
      throw e
    }
  }

  async close(): Promise<void> {
    await this.reset()
  }

  private async connected(positions: RecordPosition[]): Promise<Cluster> {
    this.cluster ??= (async () => {
      const cluster = clusterFactory(this.kafka)({allowAutoTopicCreation: false})
      await cluster.connect()
      return cluster
    })()
    const cluster = await this.cluster
    // Refreshes metadata only when a topic is new to this client.
    await cluster.addMultipleTargetTopics([...new Set(positions.map((p) => p.topic))])
    return cluster
  }

  /** A failed client (deleted topic in its remembered list, moved leader) is replaced on the next call. */
  private async reset(): Promise<void> {
    const stale = this.cluster
    this.cluster = undefined
    this.known.clear()
    await stale?.then((c) => c.disconnect()).catch(() => undefined)
  }
}

function byLeader(cluster: Cluster, positions: RecordPosition[]): Map<string, RecordPosition[]> {
  const leaders = new Map<string, RecordPosition[]>()
  for (const p of positions) {
    const [leader] = Object.keys(cluster.findLeaderForPartitions(p.topic, [p.partition]))
    if (leader === undefined) continue
    leaders.set(leader, [...(leaders.get(leader) ?? []), p])
  }
  return leaders
}

async function fetchFirst(broker: Broker, positions: RecordPosition[]): Promise<Map<string, number>> {
  const topics = [...new Set(positions.map((p) => p.topic))].map((topic) => ({
    topic,
    partitions: positions
      .filter((p) => p.topic === topic)
      .map((p) => ({partition: p.partition, fetchOffset: p.offset.toString(), maxBytes: PARTITION_MAX_BYTES})),
  }))
  const {responses} = (await broker.fetch({
    isolationLevel: READ_COMMITTED,
    maxWaitTime: 0,
    minBytes: 0,
    maxBytes: REQUEST_MAX_BYTES,
    topics,
  })) as {responses: {topicName: string; partitions: FetchedPartition[]}[]}
  const found = new Map<string, number>()
  for (const {topicName, partitions} of responses) {
    for (const answer of partitions) {
      const position = positions.find((p) => p.topic === topicName && p.partition === answer.partition)
      // A fetch answers whole record batches, which may start before the requested offset.
      const first = position && answer.messages.find((m) => BigInt(m.offset) >= position.offset)
      if (first) found.set(positionKey(position), Number(first.timestamp))
    }
  }
  return found
}

/**
 * Times of the oldest and newest record of a topic: the record at each partition's low offset and the one just
 * before its end. A partition whose records cannot be read in one small fetch does not count.
 */
export async function topicMessageTimes(
  probe: FirstRecordProbe,
  topic: string,
  offsets: {partition: number; low: bigint; high: bigint}[],
): Promise<{first?: number; last?: number}> {
  const filled = offsets.filter((o) => o.high > o.low)
  const firsts = await probe.timestamps(filled.map((o) => ({topic, partition: o.partition, offset: o.low})))
  const lasts = await probe.timestamps(filled.map((o) => ({topic, partition: o.partition, offset: o.high - 1n})))
  const first = [...firsts.values()]
  const last = [...lasts.values()]
  return {
    ...(first.length > 0 ? {first: Math.min(...first)} : {}),
    ...(last.length > 0 ? {last: Math.max(...last)} : {}),
  }
}
