// Kafka DLT records as Spring's DeadLetterPublishingRecoverer and Kafka Connect write them (exact header encodings:
// Spring's partition / offset / timestamp are big-endian binary ints, Connect's are UTF-8 strings), discovered by
// pattern, explained by the DLQ core, and purged (DeleteRecords to the end; a filter is refused).
import {type Admin, Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {KafkaAdapter} from '../../src/adapters/kafka/adapter.js'
import {MailroomError} from '../../src/model/errors.js'
import {discoverDlqs} from '../../src/core/dlq/discover.js'
import {purgeDeadLetters} from '../../src/core/dlq/purge.js'
import {readDeadLetters} from '../../src/core/dlq/read.js'
import {dlqSettings} from '../../src/core/dlq/settings.js'
import type {Envelope} from '../../src/model/envelope/types.js'
import {compileFilter} from '../../src/core/filter.js'
import {localSettings, uniqueName} from '../helpers/brokers.js'

const raw = new Kafka({clientId: 'dlq-kafka-test', brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
let admin: Admin
let adapter: KafkaAdapter
const origin = uniqueName('orders')
const springDlt = `${origin}.DLT`
const connectDlq = `${origin}-dlq`

function int32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigInt64BE(n)
  return b
}

const ORIGINAL_TS = 1_767_225_600_123n
// Partition 0x41 ("\0\0\0A") is valid UTF-8 and reaches the envelope as a string; offset 2^40 + 0xfe is not.
const SPRING_HEADERS = {
  'kafka_dlt-original-topic': origin,
  'kafka_dlt-original-partition': int32(0x41),
  'kafka_dlt-original-offset': int64(2n ** 40n + 0xfen),
  'kafka_dlt-original-timestamp': int64(ORIGINAL_TS),
  'kafka_dlt-original-timestamp-type': 'CreateTime',
  'kafka_dlt-original-consumer-group': 'billing',
  'kafka_dlt-exception-fqcn': 'org.springframework.kafka.listener.ListenerExecutionFailedException',
  'kafka_dlt-exception-cause-fqcn': 'java.lang.IllegalStateException',
  'kafka_dlt-exception-message': 'Listener failed; amount < 0',
  'kafka_dlt-exception-stacktrace': 'java.lang.IllegalStateException: amount < 0\n\tat Billing.on(Billing.java:42)',
}

const CONNECT_HEADERS = {
  '__connect.errors.topic': origin,
  '__connect.errors.partition': '3',
  '__connect.errors.offset': '9007199254740993',
  '__connect.errors.connector.name': 'pg-sink',
  '__connect.errors.task.id': '0',
  '__connect.errors.stage': 'VALUE_CONVERTER',
  '__connect.errors.class.name': 'org.apache.kafka.connect.json.JsonConverter',
  '__connect.errors.exception.class.name': 'org.apache.kafka.connect.errors.DataException',
  '__connect.errors.exception.message': 'Converting byte[] to Kafka Connect data failed due to serialization error',
}

// Three records over two partitions, written at set times (recent: retention must not take them): the oldest in
// partition 1, the newest in partition 0.
const agesDlt = `${origin}.ages.DLT`
const HOUR = 3_600_000
const writtenAt = Math.floor(Date.now() / 1000) * 1000 - 2 * HOUR
const WRITTEN = {first: new Date(writtenAt).toISOString(), last: new Date(writtenAt + HOUR).toISOString()}
const AGES_RECORDS = [
  {partition: 0, value: 'a', timestamp: String(writtenAt + HOUR / 2)},
  {partition: 0, value: 'b', timestamp: String(writtenAt + HOUR)},
  {partition: 1, value: 'c', timestamp: String(writtenAt)},
]

function listingOf(listing: {dlqs: {name: string}[]}, name: string) {
  return listing.dlqs.find((d) => d.name === name)
}

async function collect(it: AsyncIterable<Envelope>): Promise<Envelope[]> {
  const out: Envelope[] = []
  for await (const e of it) out.push(e)
  return out
}

beforeAll(async () => {
  admin = raw.admin()
  await admin.connect()
  await admin.createTopics({
    topics: [origin, springDlt, connectDlq].map((topic) => ({topic, numPartitions: 1})),
    waitForLeaders: true,
  })
  await admin.createTopics({topics: [{topic: agesDlt, numPartitions: 2}], waitForLeaders: true})
  const producer = raw.producer()
  await producer.connect()
  await producer.send({
    topic: springDlt,
    messages: [
      {key: 'order-1', value: Buffer.from('{"amount":-5}'), headers: SPRING_HEADERS},
      {
        key: 'order-2',
        value: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
        headers: {...SPRING_HEADERS, 'kafka_dlt-original-offset': int64(7n)},
      },
    ],
  })
  await producer.send({
    topic: connectDlq,
    messages: [{key: null, value: Buffer.from('not json'), headers: CONNECT_HEADERS}],
  })
  await producer.send({topic: agesDlt, messages: AGES_RECORDS})
  await producer.disconnect()
  adapter = new KafkaAdapter(localSettings().kafka!, 5000)
  await adapter.connect()
})

afterAll(async () => {
  await admin.deleteTopics({topics: [origin, springDlt, connectDlq, agesDlt]}).catch(() => {})
  await admin.disconnect()
  await adapter.close()
})

describe('Kafka DLT records (Spring and Kafka Connect conventions)', () => {
  it('decodes Spring binary headers by width, also when the bytes happen to be valid UTF-8', async () => {
    const [first, second] = await collect(readDeadLetters(adapter, springDlt, {}))
    expect(first.headers.find(([n]) => n === 'kafka_dlt-original-partition')![1]).toBe('\u0000\u0000\u0000A')
    expect(first.death).toEqual({
      source: 'spring',
      reason: 'exception',
      firstTime: new Date(Number(ORIGINAL_TS)).toISOString(),
      lastTime: first.timestamp,
      origin: {
        broker: 'kafka',
        target: origin,
        partition: 0x41,
        offset: String(2n ** 40n + 0xfen),
        consumer: 'billing',
      },
      error: {
        class: 'java.lang.IllegalStateException',
        message: 'amount < 0',
        wrapper: {
          class: 'org.springframework.kafka.listener.ListenerExecutionFailedException',
          message: 'Listener failed',
        },
      },
    })
    expect(second.death?.origin?.offset).toBe('7')
    expect(second.body).toEqual({base64: Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64')})
  })

  it('reads Kafka Connect context headers', async () => {
    const [record] = await collect(readDeadLetters(adapter, connectDlq, {}))
    expect(record.death).toMatchObject({
      source: 'kafka-connect',
      reason: 'VALUE_CONVERTER',
      origin: {broker: 'kafka', target: origin, partition: 3, offset: '9007199254740993', consumer: 'pg-sink'},
      error: {
        class: 'org.apache.kafka.connect.errors.DataException',
        component: 'org.apache.kafka.connect.json.JsonConverter',
      },
    })
  })

  it('lists DLTs by naming pattern with the origin topic they are named after', async () => {
    const listing = await discoverDlqs([adapter], dlqSettings({}))
    expect(listing.dlqs.find((d) => d.name === springDlt)).toMatchObject({
      depth: 2,
      origins: [origin],
      detectedBy: ['pattern *.DLT'],
    })
    expect(listing.dlqs.find((d) => d.name === connectDlq)).toMatchObject({
      depth: 1,
      origins: [origin],
      detectedBy: ['pattern *-dlq'],
    })
    expect(listing.dlqs.find((d) => d.name === origin)).toBeUndefined()
  })

  it('gives the ages of the oldest and newest record from their timestamps, across partitions, without a group', async () => {
    const groupsBefore = (await admin.listGroups()).groups.length
    const dlt = listingOf(await discoverDlqs([adapter], dlqSettings({}), Date.parse(WRITTEN.last) + 90_000), agesDlt)
    expect(dlt).toMatchObject({depth: 3, oldestAgeSeconds: 3690, newestAgeSeconds: 90})
    expect(await adapter.messageTimes(agesDlt)).toEqual(WRITTEN)
    expect((await admin.listGroups()).groups.length).toBe(groupsBefore)
  })

  it('refuses a filtered purge (append-only log) and purges everything up to the end without one', async () => {
    const error = await purgeDeadLetters(adapter, springDlt, {filter: compileFilter('key == "order-1"')}).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(MailroomError)
    expect((error as MailroomError).code).toBe('UNSUPPORTED')
    expect(await purgeDeadLetters(adapter, springDlt, {dryRun: true})).toMatchObject({purged: 2, dryRun: true})
    expect(await purgeDeadLetters(adapter, springDlt, {})).toMatchObject({purged: 2, method: 'purge'})
    const [offsets] = await admin.fetchTopicOffsets(springDlt)
    expect([offsets.low, offsets.high]).toEqual(['2', '2'])
    expect(await collect(readDeadLetters(adapter, springDlt, {}))).toEqual([])
  })
})
