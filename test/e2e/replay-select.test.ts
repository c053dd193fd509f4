// What `dlq replay` selects, checked against the brokers' own view (nats.js JetStream API, Kafka's Java client,
// the RabbitMQ management API), never against mailroom's reading:
// - a JetStream replay judges the dead message (as inspect shows it), not the advisory stored in the DLQ stream;
// - a filtered Kafka replay leaves the records it did not select replayable by a later run;
// - a destination that does not exist is refused before anything moves.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import amqp from 'amqplib'
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  connect as natsConnect,
  headers as natsHeaders,
  nanos,
} from 'nats'
import {afterAll, describe, expect, it, vi} from 'vitest'

import {committedOffsets, headerText, topicNames, topicRecords} from '../conformance/kafka-truth.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {type CliResult, jsonOf} from '../helpers/cli.js'
import {
  kafkaDeadLetters,
  kafkaDelete,
  kafkaTopics,
  natsDelete,
  rabbitDeadLetters,
  rabbitDelete,
  runCliWithState,
  stateHome,
} from '../integration/replay-fixtures.js'

vi.setConfig({testTimeout: 180_000})

const NATS_URL = 'nats://127.0.0.1:4222'
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672'
const streams: string[] = []
const queues: string[] = []
const topics: string[] = []

afterAll(async () => {
  await natsDelete(...streams)
  await rabbitDelete(...queues)
  await kafkaDelete(...topics).catch(() => undefined)
})

// ---------------------------------------------------------------------------------------------------------------
// JetStream, through nats.js

interface StoredMessage {
  seq: number
  subject: string
  headers: Record<string, string>
  body: string
}

async function withJsm<T>(
  fn: (jsm: JetStreamManager, nc: Awaited<ReturnType<typeof natsConnect>>) => Promise<T>,
): Promise<T> {
  const nc = await natsConnect({servers: NATS_URL})
  try {
    return await fn(await nc.jetstreamManager(), nc)
  } finally {
    await nc.close()
  }
}

/** Every message a stream stores, by sequence, read with the JetStream manager's direct get. */
async function storedMessages(stream: string): Promise<StoredMessage[]> {
  return withJsm(async (jsm) => {
    const {state} = await jsm.streams.info(stream)
    const out: StoredMessage[] = []
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, {seq}).catch(() => undefined)
      if (!m) continue
      const headers: Record<string, string> = {}
      for (const [name, values] of m.header ?? []) headers[name] = values[0] ?? ''
      out.push({seq, subject: m.subject, headers, body: Buffer.from(m.data).toString('utf8')})
    }
    return out
  })
}

/** The tenants of the dead messages the DLQ stream's advisories point at (fetched from the source stream). */
async function deadTenants(dlq: string, source: string): Promise<string[]> {
  const bySeq = new Map((await storedMessages(source)).map((m) => [m.seq, m]))
  return (await storedMessages(dlq))
    .map((a) => bySeq.get(JSON.parse(a.body).stream_seq as number)?.headers.tenant ?? '?')
    .sort()
}

/** Replayed copies in the source stream: tenant and mailroom-replay-count. */
async function replayedCopies(source: string): Promise<string[]> {
  return (await storedMessages(source))
    .filter((m) => m.headers['mailroom-replay-id'])
    .map((m) => `${m.headers.tenant}#${m.headers['mailroom-replay-count']}`)
    .sort()
}

/** Naks what `consumer` delivers until the DLQ stream holds `entries` advisories (MaxDeliver reached). */
async function killUntil(stream: string, consumer: string, dlq: string, entries: number): Promise<void> {
  await withJsm(async (jsm, nc) => {
    const c = await nc.jetstream().consumers.get(stream, consumer)
    await waitFor(
      async () => {
        const batch = await c.fetch({max_messages: 10, expires: 1000})
        for await (const m of batch) m.nak()
        return (await jsm.streams.info(dlq)).state.messages >= entries
      },
      {timeoutMs: 30_000},
    )
    await jsm.consumers.delete(stream, consumer)
  })
}

describe('dlq replay on JetStream judges the dead message, as inspect shows it', () => {
  it('a filter on its headers selects it, a negated one does not select everything, --max-replays refuses a message replayed that often', async () => {
    const stream = uniqueName('RESEL').replace(/-/g, '_')
    const dlq = `${stream}_DLQ`
    streams.push(stream, dlq)
    const state = stateHome()
    await withJsm((jsm) => jsm.streams.add({name: stream, subjects: [`${stream}.>`]}))
    const capture = await runCliWithState(['dlq', 'capture', `nats:${stream}`, '--json'], state)
    expect(capture.code, capture.stderr).toBe(0)
    await withJsm(async (jsm, nc) => {
      const js = nc.jetstream()
      for (const tenant of ['a', 'b', 'c', 'd']) {
        const h = natsHeaders()
        h.set('tenant', tenant)
        await js.publish(`${stream}.orders.${tenant}`, Buffer.from(JSON.stringify({tenant})), {headers: h})
      }
      await jsm.consumers.add(stream, {
        durable_name: 'worker',
        ack_policy: AckPolicy.Explicit,
        max_deliver: 2,
        ack_wait: nanos(500),
      })
    })
    await killUntil(stream, 'worker', dlq, 4)
    expect(await deadTenants(dlq, stream)).toEqual(['a', 'b', 'c', 'd'])

    // (a) inspect and replay select the same message.
    const onlyA = 'headers.tenant == "a"'
    const inspect = await runCliWithState(['dlq', 'inspect', `nats:${dlq}`, '-F', onlyA, '--json'], state)
    expect(jsonOf(inspect).result).toMatchObject({read: 4, matched: 1})
    const a = await runCliWithState(
      ['dlq', 'replay', `nats:${dlq}`, '-F', onlyA, '--max-replays', '1', '--yes', '--json'],
      state,
    )
    expect(a.code, a.stderr).toBe(0)
    expect(jsonOf(a).result.counts).toMatchObject({replayed: 1, filtered: 3})
    expect(await deadTenants(dlq, stream)).toEqual(['b', 'c', 'd'])
    expect(await replayedCopies(stream)).toEqual(['a#1'])

    // (b) a negated filter selects what inspect's negated filter matches, not everything.
    const notB = 'not (headers.tenant == "b")'
    expect(
      jsonOf(await runCliWithState(['dlq', 'inspect', `nats:${dlq}`, '-F', notB, '--json'], state)).result,
    ).toMatchObject({read: 3, matched: 2})
    const rest = await runCliWithState(['dlq', 'replay', `nats:${dlq}`, '-F', notB, '--yes', '--json'], state)
    expect(rest.code, rest.stderr).toBe(0)
    expect(jsonOf(rest).result.counts).toMatchObject({replayed: 2, filtered: 1})
    expect(await deadTenants(dlq, stream)).toEqual(['b'])
    expect(await replayedCopies(stream)).toEqual(['a#1', 'c#1', 'd#1'])

    // (c) the replayed copy of a dies again: replayed once already, --max-replays 1 refuses it and it stays.
    const copyOfA = (await storedMessages(stream)).find(
      (m) => m.headers['mailroom-replay-id'] && m.headers.tenant === 'a',
    )!
    await withJsm((jsm) =>
      jsm.consumers.add(stream, {
        durable_name: 'worker2',
        ack_policy: AckPolicy.Explicit,
        max_deliver: 2,
        ack_wait: nanos(500),
        filter_subject: `${stream}.orders.a`,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: copyOfA.seq,
      }),
    )
    await killUntil(stream, 'worker2', dlq, 2)
    expect(await deadTenants(dlq, stream)).toEqual(['a', 'b'])
    const refused = await runCliWithState(
      ['dlq', 'replay', `nats:${dlq}`, '-F', onlyA, '--max-replays', '1', '--yes', '--json'],
      state,
    )
    expect(refused.code, refused.stderr).toBe(8)
    expect(jsonOf(refused).result).toMatchObject({
      counts: {replayed: 0, skipped: 1},
      skippedBy: {'max-replays': 1},
      leftBehind: 1,
    })
    expect(await deadTenants(dlq, stream)).toEqual(['a', 'b'])
    expect(await replayedCopies(stream)).toEqual(['a#1', 'c#1', 'd#1'])
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Kafka: what a filter (or --limit) did not select stays replayable

describe('a filtered Kafka replay leaves what it did not select to later runs', () => {
  it('-F with --limit, another -F, then none: every record reaches its origin exactly once, as a Java consumer reads it', async () => {
    const [origin, dlt] = [uniqueName('rs-orders'), uniqueName('rs-orders-DLT')]
    topics.push(origin, dlt)
    await kafkaTopics([
      {topic: origin, partitions: 2},
      {topic: dlt, partitions: 2},
    ])
    const ids = await kafkaDeadLetters(origin, dlt, 40) // keys key-(i % 13)
    const keyOf = new Map(ids.map((id, i) => [id, `key-${i % 13}`]))
    const state = stateHome()
    const replayed = async () =>
      (await topicRecords(origin))
        .filter((r) => headerText(r, 'mailroom-replay-id'))
        .map((r) => headerText(r, 'id')!)
        .sort()
    const run = async (...args: string[]) => {
      const r = await runCliWithState(['dlq', 'replay', `kafka:${dlt}`, ...args, '--yes', '--json'], state)
      expect(r.code, r.stderr).toBe(0)
      return jsonOf(r).result
    }

    // The README's shape: one kind of failure, a few at most.
    expect((await run('-F', 'key == "key-1"', '--limit', '2')).counts.replayed).toBe(2)
    const first = await replayed()
    expect(first.map((id) => keyOf.get(id))).toEqual(['key-1', 'key-1'])

    // Another filter still finds its records, wherever they lie relative to the first run's.
    const key2 = ids.filter((id) => keyOf.get(id) === 'key-2')
    expect((await run('-F', 'key == "key-2"')).counts.replayed).toBe(key2.length)
    expect(await replayed()).toEqual([...first, ...key2].sort())

    // No filter: everything not replayed yet, and nothing twice.
    const plan = jsonOf(await runCliWithState(['dlq', 'replay', `kafka:${dlt}`, '--dry-run', '--json'], state)).result
    expect(plan.wouldReplay).toBe(40 - first.length - key2.length)
    expect((await run()).counts.replayed).toBe(40 - first.length - key2.length)
    expect(await replayed()).toEqual([...ids].sort())
    expect((await run()).counts).toMatchObject({examined: 0, replayed: 0})

    // The replay group's cursor, as Kafka's Admin client reports it: at the end of each partition.
    const ends: Record<string, number> = {}
    for (const r of await topicRecords(dlt)) ends[r.partition] = Math.max(ends[r.partition] ?? 0, Number(r.offset) + 1)
    expect(await committedOffsets(`mailroom-replay.${dlt}`, dlt)).toEqual(ends)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Destinations that do not exist

/** Ready messages and consumers of a queue, as the broker answers a passive declare (404: undefined). */
async function queueState(queue: string): Promise<{messages: number; consumers: number} | undefined> {
  const c = await amqp.connect(AMQP_URL)
  try {
    const ch = await c.createChannel()
    ch.on('error', () => undefined)
    const q = await ch.checkQueue(queue).catch(() => undefined)
    return q && {messages: q.messageCount, consumers: q.consumerCount}
  } finally {
    await c.close().catch(() => undefined)
  }
}

/** Exit 4 with one line naming the destination (and one suggestion), no stack trace. */
function expectRefusedMissing(r: CliResult, destination: string): void {
  expect(r.code, r.stderr).toBe(4)
  const lines = r.stderr.trim().split('\n')
  expect(lines[0]).toContain(`destination ${destination} does not exist`)
  expect(
    lines.slice(1).every((l) => l.startsWith('  Try: ')),
    r.stderr,
  ).toBe(true)
  expect(r.stderr).not.toMatch(/\n\s+at /)
}

describe('a destination that does not exist is refused before anything moves', () => {
  it('dlq replay --to, its dry run and dlq import exit 4; the DLQ keeps everything and nothing is created', async () => {
    const [work, dlq] = [uniqueName('rs-work'), uniqueName('rs-dlq')]
    queues.push(work, dlq)
    await rabbitDeadLetters(work, dlq, 5)
    const state = stateHome()
    const [missingQueue, missingTopic, missingSubject] = [
      uniqueName('rs-missing'),
      uniqueName('rs-missing'),
      `${uniqueName('rs-missing')}.x`,
    ]
    for (const to of [`rabbitmq:${missingQueue}`, `kafka:${missingTopic}`, `nats:${missingSubject}`]) {
      expectRefusedMissing(await runCliWithState(['dlq', 'replay', `rabbitmq:${dlq}`, '--to', to, '--yes'], state), to)
      expectRefusedMissing(
        await runCliWithState(['dlq', 'replay', `rabbitmq:${dlq}`, '--to', to, '--dry-run'], state),
        to,
      )
    }
    const file = join(state, 'one.ndjson')
    writeFileSync(file, `${JSON.stringify({v: 1, headers: [['id', 'x']], body: {utf8: 'hello'}})}\n`)
    for (const to of [`rabbitmq:${missingQueue}`, `kafka:${missingTopic}`, `nats:${missingSubject}`]) {
      expectRefusedMissing(await runCliWithState(['dlq', 'import', file, '--to', to, '--yes'], state), to)
    }
    await waitFor(async () => (await queueState(dlq))?.consumers === 0)
    expect(await queueState(dlq)).toEqual({messages: 5, consumers: 0})
    expect(await queueState(work)).toEqual({messages: 0, consumers: 0})
    expect(await queueState(missingQueue)).toBeUndefined()
    expect(await topicNames()).not.toContain(missingTopic)
    expect(await withJsm((jsm) => jsm.streams.names(missingSubject).next())).toEqual([])
  })

  it('a plain queue whose messages have no origin: exit 8, they stay, and the advice is --to, not --resume', async () => {
    const queue = uniqueName('rs-plain')
    queues.push(queue)
    const c = await amqp.connect(AMQP_URL)
    try {
      const ch = await c.createConfirmChannel()
      await ch.assertQueue(queue, {durable: true})
      for (let i = 0; i < 3; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`), {persistent: true})
      await ch.waitForConfirms()
    } finally {
      await c.close()
    }
    const r = await runCliWithState(['dlq', 'replay', `rabbitmq:${queue}`, '--yes'], stateHome())
    expect(r.code, r.stderr).toBe(8)
    expect(r.stderr).toContain(
      `3 have no known origin: give them a destination with mailroom dlq replay rabbitmq:${queue} --to <broker>:<target>`,
    )
    expect(r.stderr).not.toContain('--resume')
    await waitFor(async () => (await queueState(queue))?.consumers === 0)
    expect(await queueState(queue)).toEqual({messages: 3, consumers: 0})
  })
})
