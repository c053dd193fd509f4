// `mailroom dlq replay` end to end on the real brokers, with dead letters the brokers made themselves where they
// can (RabbitMQ rejects into a DLX, JetStream MaxDeliver advisories captured by `dlq capture`).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {AckPolicy, connect as natsConnect, nanos} from 'nats'
import {afterAll, describe, expect, it, vi} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf} from '../helpers/cli.js'
import {
  idOf,
  kafkaDeadLetters,
  kafkaDelete,
  kafkaEnvelopes,
  kafkaTopics,
  natsDelete,
  natsIds,
  natsMessages,
  natsStream,
  rabbitDeadLetters,
  rabbitDelete,
  rabbitEnvelopes,
  rabbitIds,
  runCliWithState,
  stateHome,
} from '../integration/replay-fixtures.js'

// Several CLI runs per test on a busy 2-core machine.
vi.setConfig({testTimeout: 120_000})

const queues: string[] = []
const topics: string[] = []
const streams: string[] = []

afterAll(async () => {
  await rabbitDelete(...queues)
  await kafkaDelete(...topics).catch(() => undefined)
  await natsDelete(...streams)
})

async function rabbitFixture(n: number): Promise<{work: string; dlq: string; ids: string[]}> {
  const [work, dlq] = [uniqueName('re-work'), uniqueName('re-dlq')]
  queues.push(work, dlq)
  return {work, dlq, ids: await rabbitDeadLetters(work, dlq, n)}
}

describe('dlq replay on RabbitMQ', () => {
  it('dry run: plans per destination with header changes, and changes nothing', async () => {
    const {work, dlq, ids} = await rabbitFixture(12)
    const r = await runCliWithState(['dlq', 'replay', `rabbitmq:${dlq}`, '--dry-run', '--json'], stateHome())
    expect(r.code, r.stderr).toBe(0)
    const plan = jsonOf(r).result
    expect(plan).toMatchObject({
      wouldReplay: 12,
      examined: 12,
      destinations: [{destination: `rabbitmq:${work}`, count: 12}],
    })
    expect(plan.headerChanges.removed).toEqual(
      expect.arrayContaining(['x-death', 'x-first-death-queue', 'x-first-death-reason']),
    )
    expect(plan.headerChanges.added).toEqual(expect.arrayContaining(['mailroom-replay-id', 'mailroom-replay-count']))
    expect(plan.samples).toHaveLength(3)
    expect((await rabbitIds(dlq)).sort()).toEqual([...ids].sort())
    expect(await rabbitIds(work)).toEqual([])
  })

  it('replays to the origin queue as a safe move: clean headers, provenance, journal and audit line', async () => {
    const {work, dlq, ids} = await rabbitFixture(30)
    const state = stateHome()
    const r = await runCliWithState(['dlq', 'replay', `rabbitmq:${dlq}`, '--yes', '--json'], state)
    expect(r.code, r.stderr).toBe(0)
    const report = jsonOf(r).result
    expect(report).toMatchObject({
      counts: {examined: 30, replayed: 30, failed: 0, skipped: 0},
      byDestination: {[`rabbitmq:${work}`]: 30},
      leftBehind: 0,
    })
    expect(await rabbitIds(dlq)).toEqual([])
    const back = await rabbitEnvelopes(work)
    expect(back.map(idOf).sort()).toEqual([...ids].sort())
    for (const e of back) {
      const names = e.headers.map(([n]) => n)
      expect(names).not.toContain('x-death')
      // The message id names the DLQ it came from; the replay id begins with the job's start time.
      expect(e.headers.find(([n]) => n === 'mailroom-replay-msg-id')?.[1]).toMatch(
        new RegExp(`^rabbitmq:${dlq.replace(/\./g, '\\.')}/[0-9a-f]{24}$`),
      )
      expect(e.headers).toContainEqual(['mailroom-replay-id', report.replayId])
      expect(names).not.toContain('mailroom-replayed-from')
      expect(e.headers).toContainEqual(['mailroom-replay-count', '1'])
      expect(e.properties?.messageId).toBe(idOf(e))
    }
    const journal = readFileSync(report.journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(journal[0]).toMatchObject({
      t: 'start',
      replayId: report.replayId,
      source: {strategy: 'consume-queue', bound: {kind: 'depth', depth: 30}},
    })
    expect(journal.at(-1)).toMatchObject({t: 'end', outcome: 'ok'})
    const audit = readFileSync(join(state, 'mailroom', 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(audit.at(-1)).toMatchObject({
      command: 'dlq replay',
      target: `rabbitmq:${dlq}`,
      replayId: report.replayId,
      outcome: 'ok',
      counts: {replayed: 30},
    })
  })

  it('refuses messages replayed too often unless --force, and exits 8 while they stay in the DLQ', async () => {
    const {work, dlq} = await rabbitFixture(4)
    const state = stateHome()
    expect((await runCliWithState(['dlq', 'replay', `rabbitmq:${dlq}`, '--yes', '--json'], state)).code).toBe(0)
    // They fail again: the broker dead-letters the replayed copies (carrying mailroom-replay-count 1).
    const {default: amqp} = await import('amqplib')
    const c = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
    const ch = await c.createChannel()
    for (let m = await ch.get(work); m; m = await ch.get(work)) ch.reject(m, false)
    await c.close()
    await waitFor(async () => (await rabbitIds(dlq)).length === 4)

    const refused = await runCliWithState(
      ['dlq', 'replay', `rabbitmq:${dlq}`, '--max-replays', '1', '--yes', '--json'],
      state,
    )
    expect(refused.code).toBe(8)
    expect(jsonOf(refused).result).toMatchObject({
      counts: {replayed: 0, skipped: 4},
      skippedBy: {'max-replays': 4},
      leftBehind: 4,
    })
    expect(await rabbitIds(dlq)).toHaveLength(4)

    const forced = await runCliWithState(
      ['dlq', 'replay', `rabbitmq:${dlq}`, '--max-replays', '1', '--force', '--yes', '--json'],
      state,
    )
    expect(forced.code).toBe(0)
    expect(await rabbitIds(dlq)).toEqual([])
    const back = await rabbitEnvelopes(work)
    expect(back.every((e) => e.headers.some(([n, v]) => n === 'mailroom-replay-count' && v === '2'))).toBe(true)
  })

  it('filters and limits: the rest stays in the DLQ', async () => {
    const {work, dlq, ids} = await rabbitFixture(20)
    const r = await runCliWithState(
      ['dlq', 'replay', `rabbitmq:${dlq}`, '-F', `json.id != "${ids[0]}"`, '--limit', '5', '--yes', '--json'],
      stateHome(),
    )
    expect(r.code, r.stderr).toBe(0)
    expect(jsonOf(r).result.counts).toMatchObject({replayed: 5})
    expect(await rabbitIds(dlq)).toHaveLength(15)
    expect(await rabbitIds(work)).toHaveLength(5)
    expect(await rabbitIds(work)).not.toContain(ids[0])
  })

  it('guard rails: no terminal without --yes and a read-only context both exit 9 and change nothing; --copy is refused on a queue', async () => {
    const {dlq} = await rabbitFixture(3)
    const state = stateHome()
    const noYes = await runCliWithState(['dlq', 'replay', `rabbitmq:${dlq}`], state)
    expect(noYes.code).toBe(9)
    expect(noYes.stderr).toMatch(/without confirmation/)
    // The password comes from the environment, as the README says a context keeps it (never in config.yaml).
    const password = {MAILROOM_TEST_RABBIT_PASSWORD: 'guest'}
    const set = await runCliWithState(
      [
        'context',
        'set',
        'ro',
        '--rabbitmq-url',
        'amqp://guest@127.0.0.1:5672',
        '--rabbitmq-password-env',
        'MAILROOM_TEST_RABBIT_PASSWORD',
        '--rabbitmq-management-url',
        'http://127.0.0.1:15672',
        '--read-only',
      ],
      state,
    )
    expect(set.code, set.stderr).toBe(0)
    const readOnly = await runCliWithState(
      ['dlq', 'replay', `rabbitmq:${dlq}`, '--context', 'ro', '--yes'],
      state,
      password,
    )
    expect(readOnly.code).toBe(9)
    expect(readOnly.stderr).toMatch(/read-only/)
    const copy = await runCliWithState(
      ['dlq', 'replay', `rabbitmq:${dlq}`, '--copy', '--to', 'rabbitmq:x', '--yes'],
      state,
      password,
    )
    expect(copy.code).toBe(5)
    expect(await rabbitIds(dlq)).toHaveLength(3)
  })

  it('across brokers: a RabbitMQ DLQ into a Kafka topic, AMQP properties and x-death carried as headers', async () => {
    const {dlq, ids} = await rabbitFixture(10)
    const topic = uniqueName('re-retry')
    topics.push(topic)
    await kafkaTopics([{topic, partitions: 1}])
    const r = await runCliWithState(
      ['dlq', 'replay', `rabbitmq:${dlq}`, '--to', `kafka:${topic}`, '--yes', '--json'],
      stateHome(),
    )
    expect(r.code, r.stderr).toBe(0)
    expect(await rabbitIds(dlq)).toEqual([])
    const landed = await kafkaEnvelopes(topic)
    expect(landed.map(idOf).sort()).toEqual([...ids].sort())
    const e = landed[0]!
    expect(e.headers.find(([n]) => n === 'amqp-message-id')?.[1]).toBe(idOf(e))
    expect(JSON.parse(e.headers.find(([n]) => n === 'x-death')![1] as string)[0]).toMatchObject({reason: 'rejected'})
  })
})

describe('dlq replay on Kafka', () => {
  it('replays Spring DLT records to their original topic, and the replay group remembers how far it got', async () => {
    const [origin, dlt] = [uniqueName('re-orders'), uniqueName('re-orders-DLT')]
    topics.push(origin, dlt)
    await kafkaTopics([
      {topic: origin, partitions: 2},
      {topic: dlt, partitions: 2},
    ])
    const ids = await kafkaDeadLetters(origin, dlt, 40)
    const state = stateHome()
    const first = await runCliWithState(
      ['dlq', 'replay', `kafka:${dlt}`, '--limit', '15', '--keep-partition', '--yes', '--json'],
      state,
    )
    expect(first.code, first.stderr).toBe(0)
    expect(jsonOf(first).result.byDestination).toEqual({[`kafka:${origin}`]: 15})
    const plan = jsonOf(await runCliWithState(['dlq', 'replay', `kafka:${dlt}`, '--dry-run', '--json'], state)).result
    expect(plan.wouldReplay).toBe(25)
    const rest = await runCliWithState(['dlq', 'replay', `kafka:${dlt}`, '--keep-partition', '--yes', '--json'], state)
    expect(jsonOf(rest).result.counts.replayed).toBe(25)
    const landed = await kafkaEnvelopes(origin)
    expect(landed.map(idOf).sort()).toEqual([...ids].sort())
    // --keep-partition: the Spring header said partition i % 2.
    for (const e of landed) expect(e.meta?.partition).toBe(Number(idOf(e).split('-').at(-1)) % 2)
    expect(
      jsonOf(await runCliWithState(['dlq', 'replay', `kafka:${dlt}`, '--dry-run', '--json'], state)).result.wouldReplay,
    ).toBe(0)
  })
})

describe('dlq replay on JetStream', () => {
  it('replays messages that reached MaxDeliver (captured advisories) to their subject, deleting the DLQ entries', async () => {
    const stream = uniqueName('REWORK').replace(/-/g, '_')
    streams.push(stream, `${stream}_DLQ`)
    await natsStream(stream, `${stream}.>`)
    const state = stateHome()
    const capture = await runCliWithState(['dlq', 'capture', `nats:${stream}`, '--json'], state)
    expect(capture.code, capture.stderr).toBe(0)
    const nc = await natsConnect({servers: 'nats://127.0.0.1:4222'})
    try {
      const js = nc.jetstream()
      for (let i = 0; i < 3; i++) await js.publish(`${stream}.orders`, Buffer.from(JSON.stringify({id: i})))
      const jsm = await nc.jetstreamManager()
      await jsm.consumers.add(stream, {
        durable_name: 'worker',
        ack_policy: AckPolicy.Explicit,
        max_deliver: 2,
        ack_wait: nanos(500),
      })
      const consumer = await js.consumers.get(stream, 'worker')
      await waitFor(
        async () => {
          const batch = await consumer.fetch({max_messages: 10, expires: 1000})
          for await (const m of batch) m.nak()
          return (await jsm.streams.info(`${stream}_DLQ`)).state.messages >= 3
        },
        {timeoutMs: 20_000},
      )
    } finally {
      await nc.close()
    }
    const r = await runCliWithState(['dlq', 'replay', `nats:${stream}_DLQ`, '--yes', '--json'], state)
    expect(r.code, r.stderr).toBe(0)
    expect(jsonOf(r).result).toMatchObject({counts: {replayed: 3}, byDestination: {[`nats:${stream}`]: 3}})
    expect(await natsIds(`${stream}_DLQ`)).toEqual([])
    const copies = (await natsMessages(stream))
      .filter((m) => m.header('mailroom-replay-id') !== '')
      .map((m) => `${m.subject} ${m.text}`)
    expect(copies.sort()).toEqual([0, 1, 2].map((i) => `${stream}.orders {"id":${i}}`))
  })
})
