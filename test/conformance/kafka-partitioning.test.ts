// Where mailroom puts Kafka records, against where Kafka's Java producer puts the same keys. A real KafkaProducer
// (kafka-clients 4.1.1, default partitioner) writes every key to a twin topic; a Java KafkaConsumer (kafka-truth.ts)
// then reads back every topic, so both placements come from the broker as the Java client sees it, never from
// mailroom or kafkajs.
// Keys are bytes: ASCII, other UTF-8, empty, and bytes that are not UTF-8 at all.
import {randomBytes} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import kafkajs from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {murmur2} from '../../src/adapters/kafka/partitioner.js'
import {kafkaDeadLetters} from '../integration/replay-fixtures.js'
import {uniqueName} from '../helpers/brokers.js'
import {runCli} from '../helpers/cli.js'
import {parseNdjson} from '../helpers/messaging.js'
import {runJavaOk} from './java.js'
import {BOOTSTRAP, kafkaRecords, utf8} from './kafka-truth.js'

const PARTITIONS = 3
const DEAD_LETTERS = 26

interface Placed {
  topic: string
  partition: number
  offset: string
  /** Hex of the key's bytes, "-" for none. */
  key: string
  value: string
}

/** Keys as bytes: text keys, an empty key, and keys that are not valid UTF-8. */
const TEXT_KEYS = [...Array.from({length: 40}, (_, i) => `order-${i}`), 'ключ-7', '注文-42', 'emoji-🚚', '']
const BINARY_KEYS = [
  Buffer.from([0xff, 0x00, 0xfe]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0x80]),
  Buffer.from('8badf00ddeadbeef01', 'hex'),
]
/** Keys published one CLI run each with --key. */
const FLAG_KEYS = ['order-7', 'ключ-7', 'customer-3141', '']
/** The keys kafkaDeadLetters gives its records (key-0 ... key-12). */
const DEAD_LETTER_KEYS = Array.from({length: 13}, (_, i) => `key-${i}`)

const hexOf = (key: Buffer) => key.toString('hex')
const allKeys = [
  ...TEXT_KEYS.map((k) => Buffer.from(k)),
  ...BINARY_KEYS,
  ...FLAG_KEYS.map((k) => Buffer.from(k)),
  ...DEAD_LETTER_KEYS.map((k) => Buffer.from(k)),
]

const topics = {
  javaTwin: uniqueName('conf.part.java'),
  ndjson: uniqueName('conf.part.ndjson'),
  flagKey: uniqueName('conf.part.flagkey'),
  imported: uniqueName('conf.part.import'),
  unkeyed: uniqueName('conf.part.unkeyed'),
  origin: uniqueName('conf.part.origin'),
  dlt: uniqueName('conf.part.dlt'),
  keptOrigin: uniqueName('conf.part.kept'),
  keptDlt: uniqueName('conf.part.kept.dlt'),
}

const admin = new kafkajs.Kafka({brokers: [BOOTSTRAP], logLevel: kafkajs.logLevel.NOTHING}).admin()
let placed: Placed[] = []
let javaPlacement = new Map<string, number>()
let tailed: {key: string; partition: number; offset: string}[] = []

const recordsOf = (topic: string) => placed.filter((p) => p.topic === topic)

/** Publishes one NDJSON envelope per key (two records per key), keys that are not UTF-8 as {bytes: base64}. */
function keyedEnvelopes(): string {
  const keys = [
    ...TEXT_KEYS.map((k) => ({key: k as string | {bytes: string}})),
    ...BINARY_KEYS.map((b) => ({key: {bytes: b.toString('base64')}})),
  ]
  return (
    keys
      .flatMap(({key}, i) => [0, 1].map((n) => JSON.stringify({v: 1, key, headers: [], body: {utf8: `k${i}-${n}`}})))
      .join('\n') + '\n'
  )
}

async function cliOk(args: string[], input?: string): Promise<string> {
  const r = await runCli([...args, '--kafka-brokers', BOOTSTRAP], {input, timeoutMs: 120_000})
  if (r.code !== 0) throw new Error(`mailroom ${args.join(' ')} exited ${r.code}\n${r.stderr}`)
  return r.stdout
}

beforeAll(async () => {
  await admin.connect()
  await admin.createTopics({
    topics: Object.values(topics).map((topic) => ({topic, numPartitions: PARTITIONS})),
    waitForLeaders: true,
  })

  // The Java producer's placement of every key, read back by the Java consumer.
  const lines = allKeys.map((k, i) => `${hexOf(k)}\tjava-${i}`).join('\n')
  expect(
    await runJavaOk('KafkaPlacement', ['produce', BOOTSTRAP, topics.javaTwin], {
      input: `${lines}\n`,
      timeoutMs: 120_000,
    }),
  ).toContain(`produced ${allKeys.length}`)

  const file = join(mkdtempSync(join(tmpdir(), 'mailroom-conf-')), 'keyed.ndjson')
  writeFileSync(file, keyedEnvelopes())
  await kafkaDeadLetters(topics.origin, topics.dlt, DEAD_LETTERS)
  await kafkaDeadLetters(topics.keptOrigin, topics.keptDlt, DEAD_LETTERS)
  await cliOk(['publish', `kafka:${topics.ndjson}`, '--input', 'ndjson', '--file', file])
  await cliOk(['dlq', 'import', file, '--to', `kafka:${topics.imported}`, '--yes'])
  await cliOk(['publish', `kafka:${topics.unkeyed}`, 'no key', '--count', '300'])
  for (const key of FLAG_KEYS)
    await cliOk(['publish', `kafka:${topics.flagKey}`, `flag ${key}`, '--key', key, '--count', '2'])
  await cliOk(['dlq', 'replay', `kafka:${topics.dlt}`, '--yes'])
  await cliOk(['dlq', 'replay', `kafka:${topics.keptDlt}`, '--keep-partition', '--yes'])
  const tail = await cliOk(['tail', `kafka:${topics.javaTwin}`, '--from', 'earliest', '--until-end', '-o', 'ndjson'])
  tailed = parseNdjson(tail).map((e) => ({key: keyHex(e.key), partition: e.meta!.partition!, offset: e.meta!.offset!}))

  const read = await kafkaRecords(...Object.values(topics))
  placed = [...read.values()].flat().map(({topic, partition, offset, key, value}) => ({
    topic,
    partition,
    offset,
    key: key === null ? '-' : hexOf(Buffer.from(key, 'base64')),
    value: utf8(value)!,
  }))
  javaPlacement = new Map(recordsOf(topics.javaTwin).map((p) => [p.key, p.partition]))
}, 600_000)

afterAll(async () => {
  await admin.deleteTopics({topics: Object.values(topics)}).catch(() => undefined)
  await admin.disconnect()
})

function keyHex(key: string | {bytes: string} | null | undefined): string {
  if (key == null) return '-'
  return typeof key === 'string' ? hexOf(Buffer.from(key)) : hexOf(Buffer.from(key.bytes, 'base64'))
}

/** Each record's partition next to the one the Java producer chose for its key. */
function placementVsJava(topic: string): {mailroom: [string, number][]; java: [string, number][]} {
  const records = recordsOf(topic)
  return {
    mailroom: records.map((r) => [r.key, r.partition]),
    java: records.map((r) => [r.key, javaPlacement.get(r.key) ?? -1]),
  }
}

describe("Kafka partitioning, against the Java client's placement", () => {
  it('the Java producer spread the keys over every partition (the comparison below means something)', () => {
    expect(javaPlacement.size).toBe(new Set(allKeys.map(hexOf)).size)
    expect(new Set(javaPlacement.values())).toEqual(new Set([0, 1, 2]))
  })

  it('publish --input ndjson puts each keyed record where the Java producer puts its key, non-UTF-8 keys included', () => {
    const {mailroom, java} = placementVsJava(topics.ndjson)
    expect(mailroom).toHaveLength((TEXT_KEYS.length + BINARY_KEYS.length) * 2)
    expect(mailroom).toEqual(java)
  })

  it('publish --key puts records where the Java producer puts the key', () => {
    const {mailroom, java} = placementVsJava(topics.flagKey)
    expect(mailroom).toHaveLength(FLAG_KEYS.length * 2)
    expect(mailroom).toEqual(java)
  })

  it('dlq import puts keyed records where the Java producer puts their keys', () => {
    const {mailroom, java} = placementVsJava(topics.imported)
    expect(mailroom).toHaveLength((TEXT_KEYS.length + BINARY_KEYS.length) * 2)
    expect(mailroom).toEqual(java)
  })

  it("dlq replay without --keep-partition puts each record on its key's partition of the origin topic", () => {
    const {mailroom, java} = placementVsJava(topics.origin)
    expect(mailroom).toHaveLength(DEAD_LETTERS)
    expect(mailroom).toEqual(java)
  })

  it('dlq replay --keep-partition puts each record back on the partition named in its dead-letter record', () => {
    const records = recordsOf(topics.keptOrigin)
    expect(records).toHaveLength(DEAD_LETTERS)
    // kafkaDeadLetters gives record i the original partition i % 2 and the id "<dlt>-<i>".
    const expected = records.map((r) => Number((JSON.parse(r.value) as {id: string}).id.split('-').at(-1)) % 2)
    expect(records.map((r) => r.partition)).toEqual(expected)
  })

  it('publish without a key spreads records round-robin over all partitions (300 records: 100 on each)', () => {
    const counts = [0, 1, 2].map((p) => recordsOf(topics.unkeyed).filter((r) => r.partition === p).length)
    expect(counts).toEqual([100, 100, 100])
    expect(recordsOf(topics.unkeyed).every((r) => r.key === '-')).toBe(true)
  })

  it("hashes 2000 random byte strings (every length 1 to 40) exactly as Kafka's Utils.murmur2", async () => {
    const keys = Array.from({length: 2000}, (_, i) => randomBytes(1 + (i % 40)))
    const java = await runJavaOk('KafkaPlacement', ['murmur2'], {
      input: keys.map(hexOf).join('\n') + '\n',
      timeoutMs: 120_000,
    })
    expect(keys.map((k) => `${hexOf(k)}\t${murmur2(k)}`)).toEqual(java.trim().split('\n'))
  })

  it('tail shows each record of a Java producer on the partition and offset the Java client reads it at', () => {
    const java = recordsOf(topics.javaTwin).map((r) => ({key: r.key, partition: r.partition, offset: r.offset}))
    const byPosition = (a: {partition: number; offset: string}, b: {partition: number; offset: string}) =>
      a.partition - b.partition || Number(a.offset) - Number(b.offset)
    expect(tailed.sort(byPosition)).toEqual(java.sort(byPosition))
    expect(tailed).toHaveLength(allKeys.length)
  })
})
