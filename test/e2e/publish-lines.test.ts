// publish --input lines (issue 18 item 6): one message per stdin line, keyed with --key-separator, as kcat -P / -K.
// What arrived is read with each broker's own means: Kafka's Java consumer (KafkaTruth), amqplib's basic.get, and
// the JetStream API (stream message by sequence) — never through mailroom.
//
// kcat's behaviour, from its producer (kcat.c producer_run and input.c inbuf_read_to_delimeter, edenhill/kcat):
// - messages are delimited by -D, default "\n"; the delimiter is not part of the message, so a CR of a CRLF stays;
// - at EOF the bytes after the last delimiter are a message of their own (a final line without newline counts);
// - an empty message (`if (len == 0) continue`) is skipped;
// - with -K the key is what precedes the first occurrence of the delimiter (rd_strnstr) and the value what follows;
//   a line without it is produced as a value with no key, or with the fixed -k key when one was given;
// - bytes are passed through unchanged (no text decoding).
import amqp, {type Channel, type ChannelModel} from 'amqplib'
import {Kafka, logLevel} from 'kafkajs'
import {connect, type JetStreamManager, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {topicRecords} from '../conformance/kafka-truth.js'
import {uniqueName} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'

vi.setConfig({testTimeout: 180_000})

const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x00, 0x80])

/** The same input for every broker: `<key><sep><value>` lines with every edge kcat defines. */
function input(sep: string, keys: string[]): Buffer {
  const [k1, k2, k3, k4, k5] = keys
  return Buffer.concat([
    Buffer.from(`${k1}${sep}paid\n`), // key, value
    Buffer.from(`${k2}${sep}b${sep}c\n`), // split at the first separator: the value keeps the second
    Buffer.from('no separator here\n'), // no key of its own
    Buffer.from('\n'), // empty: skipped, as kcat does
    Buffer.from(`${k3}${sep}crlf\r\n`), // the CR stays in the value
    Buffer.from(`${k4}${sep}`),
    NOT_UTF8, // bytes stay bytes
    Buffer.from('\n'),
    Buffer.from(`${k5}${sep}no newline at the end`), // the last line without newline is a message
  ])
}

/** What kcat -K would produce from input(): [key or null, value], in order. */
function expected(sep: string, keys: string[]): Array<[string | null, Buffer]> {
  const [k1, k2, k3, k4, k5] = keys
  return [
    [k1, Buffer.from('paid')],
    [k2, Buffer.from(`b${sep}c`)],
    [null, Buffer.from('no separator here')],
    [k3, Buffer.from('crlf\r')],
    [k4, NOT_UTF8],
    [k5, Buffer.from('no newline at the end')],
  ]
}

describe('publish --input lines on Kafka', () => {
  const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
  const admin = kafka.admin()
  const topics: string[] = []
  async function newTopic(prefix: string, configEntries?: {name: string; value: string}[]): Promise<string> {
    const topic = uniqueName(prefix)
    await admin.createTopics({topics: [{topic, numPartitions: 1, configEntries}], waitForLeaders: true})
    topics.push(topic)
    return topic
  }
  beforeAll(() => admin.connect())
  afterAll(async () => {
    await admin.deleteTopics({topics}).catch(() => {})
    await admin.disconnect()
  })

  it('one record per line, key before the first separator, in order and byte for byte, as kcat -P -K', async () => {
    const topic = await newTopic('e2e-lines')
    const keys = ['order-7', 'a', 'crlf', 'bin', 'last']
    const r = await runCli(['publish', `kafka:${topic}`, '--input', 'lines', '--key-separator', ':', '--json'], {
      input: input(':', keys),
    })
    expect(r.code, r.stderr).toBe(0)
    expect(jsonOf(r).result).toMatchObject({published: 6, failed: 0, emptyLines: 1})
    const records = await topicRecords(topic)
    const got = records.map((rec) => [
      rec.key === null ? null : Buffer.from(rec.key, 'base64').toString('utf8'),
      Buffer.from(rec.value ?? '', 'base64'),
    ])
    expect(got).toEqual(expected(':', keys))
    expect(records.map((rec) => rec.value)).not.toContain(null)
  })

  it('without --key-separator the whole line is the value; --key is the key of every line (kcat -k)', async () => {
    const topic = await newTopic('e2e-lines-nokey')
    const r = await runCli(['publish', `kafka:${topic}`, '--input', 'lines', '--key', 'fixed'], {input: 'a:1\nb:2\n'})
    expect(r.code, r.stderr).toBe(0)
    const records = await topicRecords(topic)
    expect(
      records.map((rec) => [Buffer.from(rec.key!, 'base64').toString(), Buffer.from(rec.value!, 'base64').toString()]),
    ).toEqual([
      ['fixed', 'a:1'],
      ['fixed', 'b:2'],
    ])
  })

  it('a line over max.message.bytes is reported like any oversized message (exit 8, the limit named); the others arrive', async () => {
    const topic = await newTopic('e2e-lines-big', [{name: 'max.message.bytes', value: '2048'}])
    const r = await runCli(['publish', `kafka:${topic}`, '--input', 'lines'], {
      input: `first\n${'x'.repeat(5000)}\nlast\n`,
    })
    expect(r.code, r.stderr).toBe(8)
    expect(r.stderr).toMatch(/2048/)
    expect(r.stderr).toMatch(/message #2 was not published/)
    const records = await topicRecords(topic)
    expect(records.map((rec) => Buffer.from(rec.value!, 'base64').toString())).toEqual(['first', 'last'])
  })

  it('--key-separator without --input lines, or empty, is a usage error (exit 2)', async () => {
    const a = await runCli(['publish', 'kafka:whatever', 'body', '--key-separator', ':'])
    expect(a.code).toBe(2)
    expect(a.stderr).toMatch(/--input lines/)
    const b = await runCli(['publish', 'kafka:whatever', '--input', 'lines', '--key-separator', ''], {input: 'x\n'})
    expect(b.code).toBe(2)
  })
})

describe('publish --input lines on NATS JetStream: the key is the subject', () => {
  let nc: NatsConnection
  let jsm: JetStreamManager
  let stream: string
  beforeAll(async () => {
    nc = await connect({servers: '127.0.0.1:4222'})
    jsm = await nc.jetstreamManager()
    stream = uniqueName('e2e-lines').replaceAll('-', '_').toUpperCase()
    await jsm.streams.add({name: stream, subjects: [`${stream}.>`]})
  })
  afterAll(async () => {
    await jsm.streams.delete(stream).catch(() => {})
    await nc.close()
  })

  it('each line to the subject before the tab; a line without one goes to --key', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => `${stream}.${k}`)
    const r = await runCli(
      ['publish', `nats:${stream}`, '--input', 'lines', '--key-separator', '\t', '--key', `${stream}.default`],
      {input: input('\t', keys)},
    )
    expect(r.code, r.stderr).toBe(0)
    const info = await jsm.streams.info(stream)
    expect(info.state.messages).toBe(6)
    const got: Array<[string, Buffer]> = []
    for (let seq = 1; seq <= 6; seq++) {
      const m = await jsm.streams.getMessage(stream, {seq})
      got.push([m.subject, Buffer.from(m.data)])
    }
    expect(got).toEqual(expected('\t', keys).map(([k, v]) => [k ?? `${stream}.default`, v]))
  })
})

describe('publish --input lines on RabbitMQ: the key is the routing key with --exchange', () => {
  let conn: ChannelModel
  let ch: Channel
  const exchange = uniqueName('e2e-lines-x')
  const queue = uniqueName('e2e-lines-q')
  beforeAll(async () => {
    conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
    ch = await conn.createChannel()
    await ch.assertExchange(exchange, 'topic', {durable: false})
    await ch.assertQueue(queue, {durable: true})
    await ch.bindQueue(queue, exchange, '#')
  })
  afterAll(async () => {
    await ch.deleteQueue(queue).catch(() => {})
    await ch.deleteExchange(exchange).catch(() => {})
    await conn.close()
  })

  it('each line routed by the key before "=", in order and byte for byte', async () => {
    const keys = ['eu.paid', 'eu.b', 'eu.crlf', 'eu.bin', 'eu.last']
    const r = await runCli(
      [
        'publish',
        `rabbitmq:${queue}`,
        '--exchange',
        exchange,
        '--input',
        'lines',
        '--key-separator',
        '=',
        '--key',
        'eu.default',
      ],
      {
        input: input('=', keys),
      },
    )
    expect(r.code, r.stderr).toBe(0)
    const got: Array<[string, Buffer]> = []
    for (let m = await ch.get(queue, {noAck: true}); m; m = await ch.get(queue, {noAck: true}))
      got.push([m.fields.routingKey, m.content])
    expect(got).toEqual(expected('=', keys).map(([k, v]) => [k ?? 'eu.default', v]))
  })
})
