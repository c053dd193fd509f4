// The Kafka adapter against the real broker on 127.0.0.1:9092. The raw kafkajs client sets up and checks state.
import {randomBytes, randomUUID} from 'node:crypto'
import {type AddressInfo, createServer, type Socket} from 'node:net'
import {type Admin, Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {KafkaAdapter} from '../../src/adapters/kafka/adapter.js'
import {THROWAWAY_GROUP_PREFIX} from '../../src/adapters/kafka/read.js'
import type {Delivery, PublishReceipt} from '../../src/adapters/types.js'
import {MailroomError, isMailroomError} from '../../src/model/errors.js'
import type {Envelope, Header} from '../../src/model/envelope/types.js'

const BROKER = '127.0.0.1:9092'
const raw = new Kafka({clientId: 'kafka-adapter-test', brokers: [BROKER], logLevel: logLevel.NOTHING})
let rawAdmin: Admin
const createdTopics: string[] = []

function newAdapter(brokers = [BROKER], timeoutMs = 5000): KafkaAdapter {
  return new KafkaAdapter({brokers}, timeoutMs)
}

async function createTopic(partitions = 1, config: Record<string, string> = {}): Promise<string> {
  const topic = `mailroom-test-${randomUUID()}`
  const configEntries = Object.entries(config).map(([name, value]) => ({name, value}))
  await rawAdmin.createTopics({topics: [{topic, numPartitions: partitions, configEntries}], waitForLeaders: true})
  createdTopics.push(topic)
  return topic
}

async function pollUntil<T>(fn: () => Promise<T>, ok: (v: T) => boolean, deadlineMs = 15_000): Promise<T> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 200))
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

async function errorOf(p: Promise<unknown>): Promise<MailroomError> {
  try {
    await p
  } catch (e) {
    if (isMailroomError(e)) return e
    throw new Error(`expected a MailroomError, got ${String(e)}`)
  }
  throw new Error('expected an error')
}

/** Throwaway groups left by earlier runs on this broker (a killed process cannot delete its own). */
let leftBefore = new Set<string>()

/** Throwaway groups made since this file started: ours, or those of tests running alongside (gone when they end). */
async function throwawayGroups(): Promise<string[]> {
  const {groups} = await rawAdmin.listGroups()
  return groups.map((g) => g.groupId).filter((id) => id.startsWith(THROWAWAY_GROUP_PREFIX) && !leftBefore.has(id))
}

beforeAll(async () => {
  rawAdmin = raw.admin()
  await rawAdmin.connect()
  leftBefore = new Set(await throwawayGroups())
})

afterAll(async () => {
  if (createdTopics.length) await rawAdmin.deleteTopics({topics: createdTopics}).catch(() => undefined)
  await rawAdmin.disconnect()
})

describe('KafkaAdapter connection', () => {
  it('connects, reports the server, and closes idempotently (also without connecting)', async () => {
    const never = newAdapter()
    await never.close()
    await never.close()

    const adapter = newAdapter()
    await adapter.connect()
    await adapter.connect()
    const info = await adapter.serverInfo()
    expect(info.product).toBe('Apache Kafka')
    expect(info.latencyMs).toBeGreaterThanOrEqual(0)
    expect(adapter.kind).toBe('kafka')
    expect(adapter.capabilities).toEqual({settle: false})
    await adapter.close()
    await adapter.close()
    await adapter[Symbol.asyncDispose]()
  })

  it('fails with CONNECTION within the timeout on an unreachable port', async () => {
    const adapter = newAdapter(['127.0.0.1:1'], 2000)
    const started = Date.now()
    const err = await errorOf(adapter.connect())
    const elapsed = Date.now() - started
    expect(err.code).toBe('CONNECTION')
    expect(err.message).toContain('connection refused at 127.0.0.1:1')
    expect(elapsed).toBeLessThan(2500)
    await adapter.close()
  })

  it('fails with CONNECTION within the timeout on a server that accepts but never answers', async () => {
    const sockets: Socket[] = []
    const silent = createServer((s) => sockets.push(s))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const {port} = silent.address() as AddressInfo
    try {
      const adapter = newAdapter([`127.0.0.1:${port}`], 1500)
      const started = Date.now()
      const err = await errorOf(adapter.connect())
      expect(err.code).toBe('CONNECTION')
      expect(err.message).toContain(`127.0.0.1:${port}`)
      expect(Date.now() - started).toBeLessThan(2500)
    } finally {
      for (const s of sockets) s.destroy()
      silent.close()
    }
  })

  it('says host not found for an unknown host', async () => {
    const err = await errorOf(newAdapter(['no-such-host.invalid:9092'], 3000).connect())
    expect(err.code).toBe('CONNECTION')
    expect(err.message).toContain('host not found')
  })

  it('refuses SASL PLAIN without TLS as a CONFIG error that does not show the password', async () => {
    const adapter = new KafkaAdapter(
      {brokers: [BROKER], sasl: {mechanism: 'plain', username: 'u', password: 's3cret-pw'}},
      2000,
    )
    const err = await errorOf(adapter.connect())
    expect(err.code).toBe('CONFIG')
    expect(err.message).not.toContain('s3cret-pw')
  })
})

describe('KafkaAdapter targets and stats', () => {
  let adapter: KafkaAdapter
  beforeAll(async () => {
    adapter = newAdapter()
    await adapter.connect()
  })
  afterAll(() => adapter.close())

  it('lists a topic created with the raw driver, without internal topics unless asked', async () => {
    const topic = await createTopic(3)
    // A committed group offset makes sure the internal __consumer_offsets topic exists.
    const group = `mailroom-test-group-${randomUUID()}`
    await rawAdmin.setOffsets({groupId: group, topic, partitions: [{partition: 0, offset: '0'}]})
    await rawAdmin.deleteGroups([group])
    const targets = await adapter.listTargets()
    const mine = targets.find((t) => t.name === topic)
    expect(mine).toMatchObject({broker: 'kafka', kind: 'topic', partitions: 3, depth: 0})
    expect(targets.some((t) => t.name.startsWith('__'))).toBe(false)
    const all = await adapter.listTargets({includeInternal: true})
    expect(all.some((t) => t.name === '__consumer_offsets')).toBe(true)
  })

  it('the listing and describe reflect messages produced with the raw driver', async () => {
    const topic = await createTopic(2, {'retention.ms': '3600000'})
    const producer = raw.producer()
    await producer.connect()
    await producer.send({topic, messages: [0, 1, 2, 3, 4].map((i) => ({value: `m${i}`, partition: i % 2}))})
    await producer.disconnect()

    const listed = await pollUntil(
      () => adapter.listTargets(),
      (s) => s.find((t) => t.name === topic)?.depth === 5,
    )
    expect(listed.find((t) => t.name === topic)).toMatchObject({broker: 'kafka', kind: 'topic', depth: 5})

    const described = await adapter.describeTarget(topic)
    expect(described).toMatchObject({name: topic, partitions: 2, depth: 5})
    const details = described.details as {
      partitions: {partition: number; low: string; high: string; leader: number}[]
      config: Record<string, string>
    }
    expect(details.partitions.map((p) => [p.partition, p.low, p.high])).toEqual([
      [0, '0', '3'],
      [1, '0', '2'],
    ])
    expect(details.partitions[0].leader).toBeGreaterThanOrEqual(0)
    expect(details.config['retention.ms']).toBe('3600000')
  })

  it('keeps working after a topic it has already used is deleted', async () => {
    const doomed = await createTopic(1)
    const survivor = await createTopic(1)
    const one = (body: string): Envelope[] => [{v: 1, headers: [], body: {utf8: body}}]
    await collect(adapter.publish(doomed, one('x')))
    await adapter.describeTarget(doomed)
    await rawAdmin.deleteTopics({topics: [doomed]})
    await pollUntil(
      () => rawAdmin.listTopics(),
      (names) => !names.includes(doomed),
    )

    expect((await adapter.describeTarget(survivor)).name).toBe(survivor)
    expect((await collect(adapter.publish(survivor, one('y'))))[0].ok).toBe(true)
    expect((await adapter.listTargets()).some((t) => t.name === survivor)).toBe(true)
    expect(await collect(adapter.read(survivor, {untilEnd: true}))).toHaveLength(1)
  })

  it('describeTarget of a missing topic is NOT_FOUND and does not create it', async () => {
    const name = `mailroom-missing-${randomUUID()}`
    const err = await errorOf(adapter.describeTarget(name))
    expect(err.code).toBe('NOT_FOUND')
    expect(err.message).toContain(name)
    expect(await rawAdmin.listTopics()).not.toContain(name)
  })
})

function randomHeaders(): Header[] {
  return [
    ['text', `v-${randomUUID()}`],
    ['binary', {bytes: Buffer.from([0xff, 0xfe, 0x00, 0x80, ...randomBytes(8)]).toString('base64')}],
    ['dup', 'first'],
    ['dup', 'second'],
    ['empty', ''],
  ]
}

function randomEnvelope(i: number): Envelope {
  const body = i % 2 === 0 ? randomBytes(1 + (i % 50)) : Buffer.from(`text body ${i} ✓`)
  const utf8 = !body.includes(0xff) && Buffer.from(body.toString('utf8'), 'utf8').equals(body)
  return {
    v: 1,
    key:
      i % 3 === 0 ? null : i % 3 === 1 ? `key-${i}` : {bytes: Buffer.from([0xc3, 0x28, i & 0xff]).toString('base64')},
    headers: randomHeaders(),
    body: utf8 ? {utf8: body.toString('utf8')} : {base64: body.toString('base64')},
    timestamp: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  }
}

describe('KafkaAdapter publish and read', () => {
  let adapter: KafkaAdapter
  beforeAll(async () => {
    adapter = newAdapter()
    await adapter.connect()
  })
  afterAll(() => adapter.close())

  it('round-trips random binary bodies, keys, headers and timestamps byte-exact, then leaves no group behind', async () => {
    const topic = await createTopic(3)
    const sent = Array.from({length: 200}, (_, i) => randomEnvelope(i))
    const receipts = await collect(adapter.publish(topic, sent, {window: 64}))
    expect(receipts.map((r) => r.index)).toEqual(sent.map((_, i) => i))
    expect(receipts.every((r) => r.ok)).toBe(true)

    const deliveries = await collect(adapter.read(topic, {untilEnd: true}))
    expect(deliveries).toHaveLength(200)
    const byPosition = new Map(
      deliveries.map((d) => [`${d.envelope.meta?.partition}/${d.envelope.meta?.offset}`, d.envelope]),
    )
    receipts.forEach((r: PublishReceipt, i) => {
      const got = byPosition.get(`${r.meta?.partition}/${r.meta?.offset}`)
      expect(got, `message ${i}`).toBeDefined()
      expect(got).toMatchObject({
        broker: 'kafka',
        target: topic,
        key: sent[i].key,
        headers: sent[i].headers,
        body: sent[i].body,
        timestamp: sent[i].timestamp,
      })
    })
    expect(await pollUntil(throwawayGroups, (g) => g.length === 0)).toEqual([])
  })

  it('keeps header order except what kafkajs cannot express: interleaved duplicates are grouped', async () => {
    const topic = await createTopic(1)
    const headers: Header[] = [
      ['b', '1'],
      ['a', '2'],
      ['b', '3'],
      ['nul', {null: true}],
    ]
    await collect(adapter.publish(topic, [{v: 1, headers, body: {utf8: 'h'}}]))
    const [d] = await collect(adapter.read(topic, {untilEnd: true}))
    // A null header value is written as empty bytes: kafkajs 2.2.4 cannot encode a null one.
    expect(d.envelope.headers).toEqual([
      ['b', '1'],
      ['b', '3'],
      ['a', '2'],
      ['nul', ''],
    ])
  })

  it('cross-checks receipts with offsets the raw driver reports', async () => {
    const topic = await createTopic(1)
    const receipts = await collect(
      adapter.publish(
        topic,
        (async function* () {
          for (let i = 0; i < 1000; i++) yield {v: 1, headers: [], body: {utf8: `m${i}`}} as Envelope
        })(),
      ),
    )
    expect(receipts.map((r) => r.meta?.offset)).toEqual(Array.from({length: 1000}, (_, i) => String(i)))
    const [p0] = await rawAdmin.fetchTopicOffsets(topic)
    expect(p0.high).toBe('1000')
  })

  it('untilEnd finishes at once on an empty topic and on a topic with empty partitions', async () => {
    const empty = await createTopic(2)
    expect(await collect(adapter.read(empty, {untilEnd: true}))).toEqual([])

    const sparse = await createTopic(4)
    await collect(adapter.publish(sparse, [{v: 1, partition: 2, headers: [], body: {utf8: 'only'}}]))
    const got = await collect(adapter.read(sparse, {untilEnd: true}))
    expect(got.map((d) => [d.envelope.meta?.partition, d.envelope.body])).toEqual([[2, {utf8: 'only'}]])
    expect(await pollUntil(throwawayGroups, (g) => g.length === 0)).toEqual([])
  })

  it('untilEnd stops at the end captured at start even while more arrives', async () => {
    const topic = await createTopic(1)
    await collect(
      adapter.publish(
        topic,
        Array.from({length: 10}, (_, i) => ({v: 1, headers: [], body: {utf8: `a${i}`}}) as Envelope),
      ),
    )
    const seen: string[] = []
    for await (const d of adapter.read(topic, {untilEnd: true, prefetch: 2})) {
      seen.push((d.envelope.body as {utf8: string}).utf8)
      if (seen.length === 1) await collect(adapter.publish(topic, [{v: 1, headers: [], body: {utf8: 'late'}}]))
    }
    expect(seen).toEqual(Array.from({length: 10}, (_, i) => `a${i}`))
  })

  it('starts at an offset, at a time, and at the latest position', async () => {
    const topic = await createTopic(1)
    const sent = Array.from(
      {length: 6},
      (_, i) =>
        ({
          v: 1,
          headers: [],
          body: {utf8: `t${i}`},
          timestamp: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
        }) as Envelope,
    )
    await collect(adapter.publish(topic, sent))
    const bodies = (ds: Delivery[]) => ds.map((d) => (d.envelope.body as {utf8: string}).utf8)
    expect(bodies(await collect(adapter.read(topic, {untilEnd: true, from: {kind: 'offset', value: 4n}})))).toEqual([
      't4',
      't5',
    ])
    expect(
      bodies(
        await collect(
          adapter.read(topic, {untilEnd: true, from: {kind: 'time', value: new Date(Date.UTC(2024, 0, 1, 0, 3))}}),
        ),
      ),
    ).toEqual(['t3', 't4', 't5'])
    expect(await collect(adapter.read(topic, {untilEnd: true, from: {kind: 'latest'}}))).toEqual([])
  })

  it('stops cleanly when the reader breaks out or the signal aborts, leaving no group behind', async () => {
    const topic = await createTopic(1)
    await collect(
      adapter.publish(
        topic,
        Array.from({length: 50}, (_, i) => ({v: 1, headers: [], body: {utf8: `b${i}`}}) as Envelope),
      ),
    )
    let n = 0
    for await (const _ of adapter.read(topic, {prefetch: 5})) if (++n === 3) break
    expect(n).toBe(3)

    const ac = new AbortController()
    let m = 0
    for await (const _ of adapter.read(topic, {signal: ac.signal})) if (++m === 50) ac.abort()
    expect(m).toBe(50)
    expect(await pollUntil(throwawayGroups, (g) => g.length === 0)).toEqual([])
  })

  it('consumes with a named group: ack commits offset+1, unacked messages are read again', async () => {
    const topic = await createTopic(1)
    const group = `mailroom-test-group-${randomUUID()}`
    await collect(
      adapter.publish(
        topic,
        Array.from({length: 5}, (_, i) => ({v: 1, headers: [], body: {utf8: `c${i}`}}) as Envelope),
      ),
    )
    for await (const d of adapter.read(topic, {consume: true, group, untilEnd: true})) {
      if (d.envelope.meta?.offset === '3') break
      await d.settle('ack')
    }
    const [committed] = await rawAdmin.fetchOffsets({groupId: group, topics: [topic]})
    expect(committed.partitions[0].offset).toBe('3')
    const rest = await collect(adapter.read(topic, {consume: true, group, untilEnd: true}))
    expect(rest.map((d) => d.envelope.meta?.offset)).toEqual(['3', '4'])
    await rawAdmin.deleteGroups([group])
  })

  it('reading or publishing to a missing topic is NOT_FOUND and creates nothing', async () => {
    const name = `mailroom-missing-${randomUUID()}`
    expect((await errorOf(collect(adapter.read(name, {untilEnd: true})))).code).toBe('NOT_FOUND')
    expect((await errorOf(collect(adapter.publish(name, [{v: 1, headers: [], body: {utf8: 'x'}}])))).code).toBe(
      'NOT_FOUND',
    )
    expect(await rawAdmin.listTopics()).not.toContain(name)
  })

  it('a message over max.message.bytes fails alone with an error naming the limit', async () => {
    const topic = await createTopic(1, {'max.message.bytes': '2000'})
    const big = randomBytes(5000).toString('base64')
    const receipts = await collect(
      adapter.publish(topic, [
        {v: 1, headers: [], body: {utf8: 'small-1'}},
        {v: 1, headers: [], body: {base64: big}},
        {v: 1, headers: [], body: {utf8: 'small-2'}},
      ]),
    )
    expect(receipts.map((r) => r.ok)).toEqual([true, false, true])
    expect(receipts[1].error?.code).toBe('PROTOCOL')
    expect(receipts[1].error?.message).toMatch(/exceeds the broker's max\.message\.bytes \(2000\)/)
  })
})
