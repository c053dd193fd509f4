// What the Kafka broker holds, read with Kafka's own Java clients (KafkaTruth.java), never with kafkajs, which mailroom
// uses: the ground truth every Kafka test compares mailroom's doings with.
import {runJavaOk} from './java.js'

/** MAILROOM_KAFKA_BROKERS, as the CLI reads it, points the truth at another broker. */
export const BOOTSTRAP = process.env.MAILROOM_KAFKA_BROKERS ?? '127.0.0.1:9092'

/** A record as the Java consumer read it: key, value and header values are the exact bytes in base64 (null stays null). */
export interface KafkaRecord {
  topic: string
  partition: number
  offset: string
  timestamp: number
  key: string | null
  value: string | null
  /** In the order the broker returns them. */
  headers: Array<[string, string | null]>
}

/** Earliest and latest offset of each partition by topic, and (when asked) a group's commits by "<topic>:<partition>". */
export interface KafkaOffsets {
  topics: Record<string, Record<string, [number, number]>>
  group?: Record<string, number>
}

async function truth<T>(command: string, ...args: string[]): Promise<T> {
  return truthAt<T>(BOOTSTRAP, command, ...args)
}

async function truthAt<T>(bootstrap: string, command: string, ...args: string[]): Promise<T> {
  const stdout = await runJavaOk('KafkaTruth', [command, bootstrap, ...args], {timeoutMs: 120_000})
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T
}

/** Every record of the topics, from the beginning to the end offsets at the time of asking, by partition and offset. */
export async function kafkaRecords(...topics: string[]): Promise<Map<string, KafkaRecord[]>> {
  return kafkaRecordsAt(BOOTSTRAP, ...topics)
}

/** kafkaRecords on another cluster (bootstrap: host:port,...). */
export async function kafkaRecordsAt(bootstrap: string, ...topics: string[]): Promise<Map<string, KafkaRecord[]>> {
  const records = await truthAt<KafkaRecord[]>(bootstrap, 'records', ...topics)
  records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
  return new Map(topics.map((topic) => [topic, records.filter((r) => r.topic === topic)]))
}

/** Every record of one topic (see kafkaRecords). */
export async function topicRecords(topic: string): Promise<KafkaRecord[]> {
  return (await kafkaRecords(topic)).get(topic)!
}

/** The Admin client's earliest and latest offsets of the topics' partitions, and the group's commits when given. */
export function kafkaOffsets(topics: string[], group?: string): Promise<KafkaOffsets> {
  return truth<KafkaOffsets>('offsets', ...topics, ...(group === undefined ? [] : ['--group', group]))
}

/** A group's committed offset per partition of one topic, by partition number. */
export async function committedOffsets(group: string, topic: string): Promise<Record<string, number>> {
  const {group: commits = {}} = await kafkaOffsets([topic], group)
  const prefix = `${topic}:`
  return Object.fromEntries(
    Object.entries(commits)
      .filter(([at]) => at.startsWith(prefix))
      .map(([at, offset]) => [at.slice(prefix.length), offset]),
  )
}

/** The records a topic holds when none was deleted: the sum of its partitions' latest offsets. */
export async function heldRecords(topic: string): Promise<number> {
  const {topics} = await kafkaOffsets([topic])
  return Object.values(topics[topic] ?? {}).reduce((sum, [, latest]) => sum + latest, 0)
}

/** A producer the broker tracks on a partition: idempotent producers write with an id and sequence numbers. */
export interface ProducerState {
  producerId: number
  epoch: number
  lastSequence: number
}

/** The producers the broker tracks on each partition of a topic (Admin.describeProducers), by partition number. */
export function topicProducers(topic: string): Promise<Record<string, ProducerState[]>> {
  return truth<Record<string, ProducerState[]>>('producers', topic)
}

export function topicNames(): Promise<string[]> {
  return truth<string[]>('topics')
}

/** Bytes in base64 (as a KafkaRecord holds them) as UTF-8 text; null stays null. */
export function utf8(bytes: string | null): string | null {
  return bytes === null ? null : Buffer.from(bytes, 'base64').toString('utf8')
}

/** The last header of that name's value, as bytes (undefined when absent or null). */
export function headerBytes(r: KafkaRecord, name: string): Buffer | undefined {
  const value = r.headers.findLast(([n]) => n === name)?.[1]
  return value === undefined || value === null ? undefined : Buffer.from(value, 'base64')
}

/** The last header of that name's value as UTF-8 text (undefined when absent or null). */
export function headerText(r: KafkaRecord, name: string): string | undefined {
  return headerBytes(r, name)?.toString('utf8')
}
