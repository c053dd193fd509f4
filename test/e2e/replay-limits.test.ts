// How much a replay job moves, counted by the brokers themselves (amqplib, Kafka's Java client, nats.js's JetStream
// manager), never by mailroom: --limit bounds the job across its --resume attempts (and its filter still applies),
// and what the dry run and the confirmation promise for a Kafka topic leaves out what the replay cursor marks moved.
import amqp from 'amqplib'
import kafkajs from 'kafkajs'
import {connect as natsConnect, headers as natsHeaders} from 'nats'
import {afterAll, describe, expect, it, vi} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf} from '../helpers/cli.js'
import {type KafkaRecord, headerText, topicRecords, utf8} from '../conformance/kafka-truth.js'
import {
  journalIds,
  journaledCount,
  kafkaDeadLetters,
  kafkaDelete,
  kafkaTopics,
  natsDelete,
  rabbitConsumersGone,
  rabbitDelete,
  rabbitIds,
  rabbitQueue,
  runCliWithState,
  startCli,
  stateHome,
} from '../integration/replay-fixtures.js'

vi.setConfig({testTimeout: 300_000})

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672'
const NATS_URL = 'nats://127.0.0.1:4222'
const queues: string[] = []
const topics: string[] = []
const streams: string[] = []

afterAll(async () => {
  await rabbitDelete(...queues)
  await natsDelete(...streams)
  await kafkaDelete(...topics).catch(() => undefined)
})

const replay = (args: string[], state: string) => runCliWithState(['dlq', 'replay', ...args], state)

/**
 * A job with --limit and a filter whose first attempt is interrupted (Ctrl-C) after its first confirmation, then
 * resumed twice: the first resume moves what the limit has left, the second finds the job complete. `moved` asks
 * the broker how many messages reached the destination.
 */
async function interruptedJob(
  source: string,
  to: string[],
  filter: string,
  limit: number,
  moved: () => Promise<number>,
): Promise<void> {
  const state = stateHome()
  const first = startCli(
    ['dlq', 'replay', source, ...to, '-F', filter, '--limit', String(limit), '--rate', '1', '--yes'],
    state,
  )
  let exited = false
  void first.done.then(() => (exited = true))
  const confirmedSoFar = () => journalIds(state).map((id) => journaledCount(state, id))[0] ?? 0
  await waitFor(() => exited || confirmedSoFar() >= 1, {timeoutMs: 120_000, intervalMs: 5})
  process.kill(first.pid, 'SIGINT')
  const interrupted = await first.done
  expect(interrupted.code, interrupted.stderr).toBe(130)
  const [replayId] = journalIds(state)
  const confirmed = journaledCount(state, replayId!)
  expect(confirmed).toBeGreaterThan(0)
  expect(confirmed).toBeLessThan(limit)

  const resumed = await replay(['--resume', replayId!, '--yes'], state)
  expect(resumed.code, resumed.stderr).toBe(0)
  expect(await moved(), 'at the destination after the resume').toBe(limit)
  expect(resumed.stderr).toContain(`move up to ${limit - confirmed} messages out of ${source}`)
  const again = await replay(['--resume', replayId!, '--yes'], state)
  expect(again.code, again.stderr).toBe(0)
  expect(await moved(), 'at the destination after resuming the complete job').toBe(limit)
  expect(again.stdout).toContain(
    `replay ${replayId} was already complete (it replayed ${limit} message(s), its --limit of ${limit})`,
  )
}

describe("--resume keeps the job's --limit and filter", () => {
  it('RabbitMQ: a job with --limit 3 moves 3 matching messages in all, however often it is resumed', async () => {
    const [dlq, dest] = [uniqueName('rl-dlq'), uniqueName('rl-dest')]
    queues.push(dlq, dest)
    await rabbitQueue(dest)
    const c = await amqp.connect(AMQP_URL)
    try {
      const ch = await c.createConfirmChannel()
      await ch.assertQueue(dlq, {durable: true})
      for (let i = 0; i < 20; i++) {
        const tenant = i % 2 === 0 ? 'acme' : 'other'
        ch.sendToQueue(dlq, Buffer.from('{}'), {persistent: true, headers: {id: `${i}-${tenant}`, tenant}})
      }
      await ch.waitForConfirms()
    } finally {
      await c.close()
    }

    await interruptedJob(
      `rabbitmq:${dlq}`,
      ['--to', `rabbitmq:${dest}`],
      'headers.tenant == "acme"',
      3,
      async () => (await rabbitIds(dest)).length,
    )

    await rabbitConsumersGone(dlq)
    const moved = await rabbitIds(dest)
    expect(moved).toHaveLength(3)
    expect(
      moved.every((id) => id.endsWith('-acme')),
      moved.join(' '),
    ).toBe(true)
    expect(await rabbitIds(dlq)).toHaveLength(17)
  })

  it('Kafka: the same job replays 3 records in all, as a Java consumer reads the destination', async () => {
    const [origin, dlt] = [uniqueName('rl-orders'), uniqueName('rl-orders-DLT')]
    topics.push(origin, dlt)
    await kafkaTopics([
      {topic: origin, partitions: 2},
      {topic: dlt, partitions: 2},
    ])
    await kafkaDeadLetters(origin, dlt, 30) // keys key-(i % 13)

    const replayed = async () =>
      (await topicRecords(origin)).filter((r) => headerText(r, 'mailroom-replay-id') !== undefined)
    await interruptedJob(`kafka:${dlt}`, [], 'key != "key-1"', 3, async () => (await replayed()).length)

    const records = await replayed()
    expect(records).toHaveLength(3)
    expect(records.map((r) => utf8(r.key))).not.toContain('key-1')
  })

  it('JetStream: the same job moves 3 messages in all, as the streams report', async () => {
    const [dlq, dest] = [uniqueName('RL_DLQ').replace(/-/g, '_'), uniqueName('RL_DEST').replace(/-/g, '_')]
    streams.push(dlq, dest)
    const nc = await natsConnect({servers: NATS_URL})
    try {
      const jsm = await nc.jetstreamManager()
      await jsm.streams.add({name: dlq, subjects: [`${dlq}.>`]})
      await jsm.streams.add({name: dest, subjects: [`${dest}.>`]})
      const js = nc.jetstream()
      for (let i = 0; i < 20; i++) {
        const h = natsHeaders()
        h.set('tenant', i % 2 === 0 ? 'acme' : 'other')
        await js.publish(`${dlq}.dead`, Buffer.from('{}'), {headers: h})
      }

      await interruptedJob(
        `nats:${dlq}`,
        ['--to', `nats:${dest}.retry`],
        'headers.tenant == "acme"',
        3,
        async () => (await jsm.streams.info(dest)).state.messages,
      )

      expect((await jsm.streams.info(dlq)).state.messages).toBe(17)
      const {state} = await jsm.streams.info(dest)
      expect(state.messages).toBe(3)
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        expect((await jsm.streams.getMessage(dest, {seq})).header.get('tenant')).toBe('acme')
      }
    } finally {
      await nc.close()
    }
  })
})

/** DLT records the replay moved: those at the destination carrying mailroom's provenance, read by Java. */
function notYetReplayed(dltRecords: KafkaRecord[], atOrigin: KafkaRecord[]): number {
  return dltRecords.length - atOrigin.filter((r) => headerText(r, 'mailroom-replay-id') !== undefined).length
}

describe('a Kafka replay promises what its cursor has not replayed yet', () => {
  it('after a filtered run, --dry-run, the confirmation and the run agree with what a Java consumer reads', async () => {
    const [origin, dlt] = [uniqueName('rc-orders'), uniqueName('rc-orders-DLT')]
    topics.push(origin, dlt)
    await kafkaTopics([
      {topic: origin, partitions: 2},
      {topic: dlt, partitions: 2},
    ])
    await kafkaDeadLetters(origin, dlt, 40)
    const state = stateHome()
    const filtered = await replay([`kafka:${dlt}`, '-F', 'key == "key-1" or key == "key-5"', '--yes', '--json'], state)
    expect(filtered.code, filtered.stderr).toBe(0)

    const dltRecords = await topicRecords(dlt)
    const remaining = notYetReplayed(dltRecords, await topicRecords(origin))
    expect(remaining).toBeLessThan(40) // records above the cursor's committed offset were replayed

    const plan = jsonOf(await replay([`kafka:${dlt}`, '--dry-run', '--json'], state)).result
    expect(plan).toMatchObject({total: remaining, wouldReplay: remaining})
    const unconfirmed = await replay([`kafka:${dlt}`], state)
    expect(unconfirmed.code).toBe(9)
    expect(unconfirmed.stderr).toContain(
      `refusing to move up to ${remaining} messages out of kafka:${dlt} to their origins without confirmation`,
    )
    const limited = await replay([`kafka:${dlt}`, '--limit', '5'], state)
    expect(limited.stderr).toContain(`refusing to move up to 5 messages out of kafka:${dlt}`)

    const rest = await replay([`kafka:${dlt}`, '--yes', '--json'], state)
    expect(rest.code, rest.stderr).toBe(0)
    expect(jsonOf(rest).result.counts.replayed).toBe(remaining)
    expect(notYetReplayed(dltRecords, await topicRecords(origin))).toBe(0)
  })

  it("the dry run warns where a run would stop at the cursor's 20,000-record span, and the run stops exactly there", async () => {
    const [dlt, dest] = [uniqueName('rc-span-DLT'), uniqueName('rc-span-dest')]
    topics.push(dlt, dest)
    await kafkaTopics([
      {topic: dlt, partitions: 1},
      {topic: dest, partitions: 1},
    ])
    const N = 20_010 // offset 0 is held back by the filter: offsets over 20,000 lie beyond what the cursor remembers
    const producer = new kafkajs.Kafka({brokers: ['127.0.0.1:9092'], logLevel: kafkajs.logLevel.NOTHING}).producer()
    await producer.connect()
    try {
      for (let i = 0; i < N; i += 1000) {
        const messages = Array.from({length: Math.min(1000, N - i)}, (_, j) => ({
          key: i + j === 0 ? 'hold' : 'go',
          value: String(i + j),
        }))
        await producer.send({topic: dlt, acks: -1, messages})
      }
    } finally {
      await producer.disconnect()
    }
    const state = stateHome()
    const args = [`kafka:${dlt}`, '--to', `kafka:${dest}`, '-F', 'key == "go"']

    const dry = await replay([...args, '--dry-run'], state)
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('would replay 20000, filtered out 1')
    expect(dry.stdout).toContain(
      'note: a replay would stop short: 9 in partition 0 were not read: they lie over 20000 records past a record no replay has moved yet',
    )

    const run = await replay([...args, '--yes', '--json'], state)
    expect(run.code, run.stderr).toBe(8)
    expect(jsonOf(run).result.stopped.message).toContain('9 in partition 0 were not read')
    const landed = await topicRecords(dest)
    expect(landed).toHaveLength(20_000)
    expect(Math.max(...landed.map((r) => Number(utf8(r.value))))).toBe(20_000)
  })
})
