// publish / tail / peek / request of the built CLI on the real Kafka broker.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {AssignerProtocol, Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import type {Envelope} from '../../src/model/envelope/types.js'
import {kafkaOffsets, topicProducers} from '../conformance/kafka-truth.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'
import {base64Body, content, ndjson, parseNdjson, pipeCli, randomBinary, startCli} from '../helpers/messaging.js'

// Each test runs several CLI processes against real brokers; on a loaded 2-core machine that takes a while.
vi.setConfig({testTimeout: 120_000})

const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
const admin = kafka.admin()
const topics: string[] = []
const dir = mkdtempSync(join(tmpdir(), 'mailroom-kafka-e2e-'))

async function newTopic(
  prefix: string,
  partitions = 3,
  configEntries?: {name: string; value: string}[],
): Promise<string> {
  const topic = uniqueName(prefix)
  await admin.createTopics({topics: [{topic, numPartitions: partitions, configEntries}], waitForLeaders: true})
  topics.push(topic)
  return topic
}

/** Every record of a topic, read with the raw client (not through mailroom). */
async function tailAll(topic: string): Promise<Envelope[]> {
  const r = await runCli(['tail', `kafka:${topic}`, '--until-end', '-o', 'ndjson'])
  expect(r.code, r.stderr).toBe(0)
  return parseNdjson(r.stdout)
}

/** Envelopes in topic order per key; Kafka orders only within a partition, so compare sorted by content. */
const sorted = (list: Partial<Envelope>[]) => [...list].map((e) => JSON.stringify(e)).sort()

beforeAll(async () => {
  await admin.connect()
})

afterAll(async () => {
  await admin.deleteTopics({topics}).catch(() => undefined)
  await admin.disconnect()
})

describe('kafka: publish -> tail', () => {
  it('reproduces random binary bodies, keys and non-UTF-8 header values exactly', async () => {
    const topic = await newTopic('e2e-pub')
    const sent: Envelope[] = Array.from({length: 25}, (_, i) => ({
      v: 1,
      key: i % 3 === 0 ? {bytes: randomBinary(4, 8).toString('base64')} : `key-${i % 5}`,
      // Repeated names stay adjacent: kafkajs writes the values of one name together.
      headers: [
        ['trace', `t-${i}`],
        ['trace', 'second value, same name'],
        ['raw', {bytes: randomBinary(1, 16).toString('base64')}],
        ['empty', ''],
      ],
      body: base64Body(randomBinary(1, 300)),
    }))
    const pub = await runCli(['publish', `kafka:${topic}`, '--input', 'ndjson'], {input: ndjson(sent)})
    expect(pub.code, pub.stderr).toBe(0)
    expect(pub.stderr).toContain('published 25')
    const got = await tailAll(topic)
    expect(got).toHaveLength(25)
    expect(sorted(got.map((e) => content(e)))).toEqual(sorted(sent.map((e) => content(e))))
    // Within a partition the order is the publish order.
    const p0 = got.filter((e) => e.meta?.partition === 0).map((e) => Number(e.meta!.offset))
    expect(p0).toEqual([...p0].sort((a, b) => a - b))
  })

  it('publishes a raw binary body from a file with -H headers, --key and --partition', async () => {
    const topic = await newTopic('e2e-raw')
    const body = randomBinary(500, 500)
    const file = join(dir, 'body.bin')
    writeFileSync(file, body)
    const r = await runCli([
      'publish',
      `kafka:${topic}`,
      '--file',
      file,
      '-H',
      'a=1',
      '-H',
      'b=x=y',
      '--key',
      'k',
      '--partition',
      '2',
      '--count',
      '3',
      '-o',
      'ndjson',
    ])
    expect(r.code, r.stderr).toBe(0)
    const receipts = parseNdjson(r.stdout) as unknown as {ok: boolean; meta: {partition: number; offset: string}}[]
    expect(receipts.map((x) => [x.ok, x.meta.partition, x.meta.offset])).toEqual([
      [true, 2, '0'],
      [true, 2, '1'],
      [true, 2, '2'],
    ])
    const got = await tailAll(topic)
    expect(
      got.map((e) => [Buffer.from((e.body as {base64: string}).base64, 'base64').equals(body), e.key, e.headers]),
    ).toEqual(
      Array(3).fill([
        true,
        'k',
        [
          ['a', '1'],
          ['b', 'x=y'],
        ],
      ]),
    )
  })

  it('tail -o ndjson | publish --input ndjson copies a topic byte for byte', async () => {
    const source = await newTopic('e2e-src')
    const copy = await newTopic('e2e-copy')
    const sent: Envelope[] = Array.from({length: 30}, (_, i) => ({
      v: 1,
      key: `k${i % 4}`,
      partition: i % 3,
      headers: [['h', {bytes: randomBinary(2, 6).toString('base64')}]],
      body: base64Body(randomBinary(1, 100)),
    }))
    expect((await runCli(['publish', `kafka:${source}`, '--input', 'ndjson'], {input: ndjson(sent)})).code).toBe(0)
    const {left, right} = await pipeCli(
      ['tail', `kafka:${source}`, '--until-end', '-o', 'ndjson'],
      ['publish', `kafka:${copy}`, '--input', 'ndjson'],
    )
    expect(left.code, left.stderr).toBe(0)
    expect(right.code, right.stderr).toBe(0)
    const original = await tailAll(source)
    const copied = await tailAll(copy)
    // Same key, headers, body and timestamp; partition follows the key with the same partitioner.
    const keep: (keyof Envelope)[] = ['key', 'headers', 'body', 'timestamp']
    expect(sorted(copied.map((e) => content(e, keep)))).toEqual(sorted(original.map((e) => content(e, keep))))
  })
})

describe('kafka: publishing is idempotent', () => {
  it('the broker tracks the publish as one producer id with sequence numbers on each partition: a resend is not stored twice', async () => {
    const topic = await newTopic('mr-idem')
    const r = await runCli(['publish', `kafka:${topic}`, '--count', '600', '--json', '{"n": 1}'])
    expect(r.code, r.stderr).toBe(0)
    const [{topics: held}, producers] = await Promise.all([kafkaOffsets([topic]), topicProducers(topic)])
    const perPartition = Object.entries(held[topic]!).filter(([, [, latest]]) => latest > 0)
    expect(perPartition.length).toBeGreaterThan(0)
    const ids = new Set<number>()
    for (const [partition, [, latest]] of perPartition) {
      // Idempotent writes carry sequence numbers from 0: the last one is the partition's record count less one.
      expect(producers[partition], `partition ${partition}`).toHaveLength(1)
      expect(producers[partition]![0]!.lastSequence).toBe(latest - 1)
      ids.add(producers[partition]![0]!.producerId)
    }
    expect(ids.size).toBe(1)
  })
})

describe('kafka: peek and --until-end', () => {
  it('peek shows the first messages and leaves offsets and groups as they were', async () => {
    const topic = await newTopic('e2e-peek', 1)
    await runCli(['publish', `kafka:${topic}`, '--input', 'ndjson'], {
      input: ndjson(['a', 'b', 'c', 'd'].map((t) => ({v: 1, headers: [], body: {utf8: t}}))),
    })
    const before = await admin.fetchTopicOffsets(topic)
    const groupsBefore = new Set((await admin.listGroups()).groups.map((g) => g.groupId))
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['peek', `kafka:${topic}`, '-n', '3', '-o', 'ndjson'])
      expect(r.code, r.stderr).toBe(0)
      expect(parseNdjson(r.stdout).map((e) => (e.body as {utf8: string}).utf8)).toEqual(['a', 'b', 'c'])
      expect(r.stderr).not.toContain('warning')
    }
    expect(await admin.fetchTopicOffsets(topic)).toEqual(before)
    // Peek's throwaway groups are deleted when it ends. Tests running alongside may hold their own for a moment,
    // so wait for every throwaway group that appeared since to be gone.
    const throwawayGroupsSince = async () =>
      (await admin.listGroups()).groups.filter(
        (g) => g.groupId.startsWith('mailroom-tail-') && !groupsBefore.has(g.groupId),
      )
    await waitFor(async () => (await throwawayGroupsSince()).length === 0 || undefined, {timeoutMs: 20_000})
  })

  it('tail --until-end stops on an empty topic and on a topic with empty partitions', async () => {
    const empty = await newTopic('e2e-empty', 2)
    const r1 = await runCli(['tail', `kafka:${empty}`, '--until-end', '-o', 'ndjson'], {timeoutMs: 20_000})
    expect(r1.code, r1.stderr).toBe(0)
    expect(r1.stdout).toBe('')
    const some = await newTopic('e2e-some', 3)
    await runCli(['publish', `kafka:${some}`, 'only-in-p1', '--partition', '1'])
    const r2 = await runCli(['tail', `kafka:${some}`, '--until-end', '-o', 'ndjson'], {timeoutMs: 20_000})
    expect(r2.code, r2.stderr).toBe(0)
    expect(parseNdjson(r2.stdout).map((e) => e.body)).toEqual([{utf8: 'only-in-p1'}])
    expect(r2.stderr).toContain('stopped: end')
  })
})

describe('kafka: request', () => {
  it('gets the correlated reply from a responder on the reply topic', async () => {
    const requests = await newTopic('e2e-req', 1)
    const replies = await newTopic('e2e-rep', 2)
    const responder = kafka.consumer({groupId: uniqueName('e2e-responder')})
    const producer = kafka.producer()
    await Promise.all([responder.connect(), producer.connect()])
    await responder.subscribe({topics: [requests], fromBeginning: true})
    await responder.run({
      eachMessage: async ({message}) => {
        const h = message.headers!
        // A stray reply with another correlation id first: it must be skipped.
        await producer.send({
          topic: String(h.kafka_replyTopic),
          messages: [{value: 'not yours', headers: {kafka_correlationId: 'other'}}],
        })
        await producer.send({
          topic: String(h.kafka_replyTopic),
          messages: [
            {
              value: Buffer.concat([Buffer.from('re:'), message.value!]),
              headers: {kafka_correlationId: h.kafka_correlationId!},
            },
          ],
        })
      },
    })
    try {
      const r = await runCli([
        'request',
        `kafka:${requests}`,
        'ping',
        '--reply-topic',
        replies,
        '--correlation-id',
        'corr-1',
        '--json',
        '--timeout',
        '20s',
      ])
      expect(r.code, r.stderr).toBe(0)
      const {result} = jsonOf<{correlationId: string; reply: Envelope}>(r)
      expect(result.correlationId).toBe('corr-1')
      expect(result.reply.body).toEqual({utf8: 're:ping'})
      expect(result.reply.headers).toEqual([['kafka_correlationId', 'corr-1']])
    } finally {
      await Promise.all([responder.disconnect(), producer.disconnect()])
    }
  })

  it('times out with exit 6 when no reply comes, and needs --reply-topic', async () => {
    const requests = await newTopic('e2e-req-silent', 1)
    const replies = await newTopic('e2e-rep-silent', 1)
    const r = await runCli(['request', `kafka:${requests}`, 'ping', '--reply-topic', replies, '--timeout', '1500ms'])
    expect(r.code, r.stderr).toBe(6)
    expect(r.stderr).toMatch(/no reply on .* within 1500 ms/)
    const usage = await runCli(['request', `kafka:${requests}`, 'ping'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('--reply-topic')
  })
})

describe('kafka: Ctrl-C', () => {
  it('tail exits 130 on SIGINT and deletes its throwaway consumer group', async () => {
    const topic = await newTopic('e2e-sigint', 2)
    const producer = kafka.producer()
    await producer.connect()
    const tail = startCli(['tail', `kafka:${topic}`, '-o', 'ndjson'])
    try {
      // Publish until the tail prints: then it is certainly consuming.
      await waitFor(
        async () => {
          await producer.send({topic, messages: [{value: 'tick'}]})
          return tail.stdout().length > 0
        },
        {timeoutMs: 20_000, intervalMs: 500},
      )
      const group = await waitFor(() => groupReading(topic))
      tail.child.kill('SIGINT')
      const r = await tail.exited
      expect(r.code, r.stderr).toBe(130)
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(group)
    } finally {
      tail.child.kill('SIGKILL')
      await producer.disconnect()
    }
  })
})

async function groupReading(topic: string): Promise<string | undefined> {
  const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith('mailroom-tail-'))
  if (ids.length === 0) return undefined
  const {groups} = await admin.describeGroups(ids)
  return groups.find((g) =>
    g.members.some(
      (m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] !== undefined,
    ),
  )?.groupId
}

describe('kafka: bad input', () => {
  it('names an invalid NDJSON line and publishes nothing after it; --skip-invalid skips and counts', async () => {
    const topic = await newTopic('e2e-bad', 1)
    const good = (t: string) => JSON.stringify({v: 1, headers: [], body: {utf8: t}})
    const input = [good('one'), good('two'), '{"v":1,"body":', good('four')].join('\n') + '\n'
    const r = await runCli(['publish', `kafka:${topic}`, '--input', 'ndjson'], {input})
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('line 3')
    // What came before the bad line is confirmed and counted; nothing after it is published.
    expect(r.stderr).toContain('published 2')
    expect((await tailAll(topic)).map((e) => (e.body as {utf8: string}).utf8)).toEqual(['one', 'two'])
    const skip = await runCli(['publish', `kafka:${topic}`, '--input', 'ndjson', '--skip-invalid', '--json'], {input})
    expect(skip.code, skip.stderr).toBe(0)
    expect(jsonOf(skip).result).toMatchObject({published: 3, skipped: 1})
    expect(jsonOf(skip).warnings.join('\n')).toContain('line 3')
  })

  it('a nonexistent topic is exit 4 for publish, tail, peek and request', async () => {
    const missing = uniqueName('e2e-missing')
    for (const args of [
      ['publish', `kafka:${missing}`, 'x'],
      ['tail', `kafka:${missing}`],
      ['peek', `kafka:${missing}`],
      ['request', `kafka:${missing}`, 'x', '--reply-topic', missing],
    ]) {
      const r = await runCli(args)
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(4)
      expect(r.stderr).toContain(missing)
    }
    expect((await admin.listTopics()).includes(missing)).toBe(false)
  })

  it('a message over the topic max.message.bytes is not published: exit 8, the limit named', async () => {
    const topic = await newTopic('e2e-big', 1, [{name: 'max.message.bytes', value: '2048'}])
    const r = await runCli(['publish', `kafka:${topic}`, 'x'.repeat(5000)])
    expect(r.code, r.stderr).toBe(8)
    expect(r.stderr).toMatch(/2048/)
    expect(await tailAll(topic)).toEqual([])
  })

  it('an invalid filter is exit 2 and shows where', async () => {
    const topic = await newTopic('e2e-filter', 1)
    const r = await runCli(['tail', `kafka:${topic}`, '--filter', 'json.amount >'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/filter/i)
    expect(r.stderr).toContain('^')
  })
})
