// Dead-letter topics compared with what Kafka's own Java consumer reads in them (kafka-truth.ts): mailroom's
// `dlq inspect --json` must show the same records, same key and value bytes, same headers in the same order.
import type {Admin} from 'kafkajs'
import {expect} from 'vitest'
import type {Envelope, HeaderValue} from '../../src/model/envelope/types.js'
import {waitFor} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'
import type {KafkaRecord} from './kafka-truth.js'

/**
 * Creates the topics and waits until the broker describes each partition with a leader. kafkajs's own waitForLeaders
 * gives up with UNKNOWN_TOPIC_OR_PARTITION when KRaft metadata lags behind the creation on a loaded machine.
 */
export async function createTopics(admin: Admin, topics: string[], numPartitions: number): Promise<void> {
  await admin.createTopics({topics: topics.map((topic) => ({topic, numPartitions})), waitForLeaders: false})
  await waitFor(
    async () => {
      const {topics: described} = await admin.fetchTopicMetadata({topics})
      return described.every((t) => t.partitions.length === numPartitions && t.partitions.every((p) => p.leader >= 0))
    },
    {timeoutMs: 60_000, intervalMs: 250},
  )
}

export interface Inspected {
  read: number
  matched: number
  messages: Envelope[]
}

/** `mailroom dlq inspect kafka:<topic> --json` (with a filter when given), messages by partition and offset. */
export async function inspect(topic: string, filter?: string): Promise<Inspected> {
  const r = await runCli(['dlq', 'inspect', `kafka:${topic}`, '--json', ...(filter ? ['--filter', filter] : [])], {
    timeoutMs: 90_000,
  })
  expect(r.code, r.stderr).toBe(0)
  const result = jsonOf<Inspected>(r).result
  result.messages.sort(
    (a, b) =>
      (a.meta?.partition ?? 0) - (b.meta?.partition ?? 0) ||
      Number(BigInt(a.meta?.offset ?? '0') - BigInt(b.meta?.offset ?? '0')),
  )
  return result
}

/** The envelope's bytes in the JSON contract: text is UTF-8, anything else is tagged base64. */
function envelopeBytes(v: Envelope['key'] | HeaderValue | Envelope['body'] | undefined): string | null {
  if (v === undefined || v === null) return null
  if (typeof v === 'string') return Buffer.from(v, 'utf8').toString('base64')
  if ('utf8' in v) return Buffer.from(v.utf8, 'utf8').toString('base64')
  if ('base64' in v) return v.base64
  if ('bytes' in v) return v.bytes
  throw new Error(`unexpected value in a Kafka envelope: ${JSON.stringify(v)}`)
}

/** mailroom's messages are the Java consumer's records: positions, key, value and every header, byte for byte. */
export function expectSameRecords(messages: Envelope[], raw: KafkaRecord[]): void {
  const seen = messages.map((m) => ({
    partition: m.meta?.partition,
    offset: m.meta?.offset,
    key: envelopeBytes(m.key),
    value: envelopeBytes(m.body),
    headers: m.headers.map(([name, value]) => [name, envelopeBytes(value)]),
  }))
  expect(seen).toEqual(
    raw.map(({partition, offset, key, value, headers}) => ({partition, offset, key, value, headers})),
  )
  expect(seen.length).toBeGreaterThan(0)
}
