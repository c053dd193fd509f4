// `dlq replay --filter` and `dlq purge --filter` read decoded values (json.<field>), against the real schema registry
// and real brokers: Avro records framed as Confluent's serializers frame them, produced with the raw clients; what
// was replayed or purged is read back with the raw clients. A replay's journal records how its filter decoded, and a
// resume selects with it.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import amqp from 'amqplib'
import avro from 'avsc'
import {Kafka, logLevel} from 'kafkajs'
import {connect as natsConnect} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf} from '../helpers/cli.js'
import {confluentFrame, REGISTRY_URL, registerSchema} from '../helpers/schema-registry.js'
import {
  journalEnded,
  journalIds,
  journaledCount,
  kafkaDelete,
  kafkaTopics,
  natsDelete,
  rabbitDelete,
  runCliWithState,
  startCli,
  stateHome,
} from '../integration/replay-fixtures.js'

vi.setConfig({testTimeout: 300_000, hookTimeout: 180_000})

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672'
const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
const registry = ['--schema-registry', REGISTRY_URL]
const AMOUNT_OVER_100 = 'json.amount > 100'
// A namespace of this run's own: a registry that outlives a run must not answer with another run's subject.
const NS = `mr_srp_${Date.now().toString(36)}`
const ORDER_SCHEMA = {
  type: 'record',
  name: 'Order',
  namespace: NS,
  fields: [
    {name: 'id', type: 'string'},
    {name: 'amount', type: 'int'},
  ],
}
const order = avro.Type.forSchema(ORDER_SCHEMA as avro.Schema)
/** Amounts of the framed Avro records; the filter picks those over 100. Read as JSON, their bytes are not JSON. */
const AMOUNTS = [150, 50, 300, 120, 80, 200]
const topics: string[] = []
const streams: string[] = []
const queues: string[] = []
let orderId: number

/** The records every test starts from: framed Avro orders, then one unframed JSON body that no filter here picks. */
function records(): {id: string; value: Buffer}[] {
  return [
    ...AMOUNTS.map((amount, i) => ({
      id: `o-${i}`,
      value: confluentFrame(orderId, order.toBuffer({id: `o-${i}`, amount})),
    })),
    {id: 'plain', value: Buffer.from('{"id":"plain","amount":5}')},
  ]
}

const overHundred = () => records().filter((_, i) => (AMOUNTS[i] ?? 0) > 100)

beforeAll(async () => {
  orderId = await registerSchema(`${NS}-order-value`, JSON.stringify(ORDER_SCHEMA), {schemaType: 'AVRO'})
})

afterAll(async () => {
  await kafkaDelete(...topics)
  await natsDelete(...streams)
  await rabbitDelete(...queues)
})

describe('dlq replay --filter on decoded values (kafka)', () => {
  it('the dry run and the replay select by the decoded field; the journal records the decoding, and a killed replay resumes with it; the bytes arrive untouched', async () => {
    const dlt = uniqueName('srp-dlt')
    const dest = uniqueName('srp-dest')
    topics.push(dlt, dest)
    await kafkaTopics([
      {topic: dlt, partitions: 1},
      {topic: dest, partitions: 1},
    ])
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({topic: dlt, acks: -1, messages: records().map(({id, value}) => ({key: id, value}))})
    await producer.disconnect()
    const state = stateHome()
    const replay = ['dlq', 'replay', `kafka:${dlt}`, '--to', `kafka:${dest}`, '-F', AMOUNT_OVER_100]

    const plan = await runCliWithState([...replay, '--dry-run', '--json', ...registry], state)
    expect(plan.code, plan.stderr).toBe(0)
    expect(jsonOf(plan).result).toMatchObject({wouldReplay: 4, filtered: 3})
    // Without decoding the same filter reads the bodies as JSON: no Avro record is picked.
    const undecoded = await runCliWithState([...replay, '--dry-run', '--json', '--decode', 'none', ...registry], state)
    expect(jsonOf(undecoded).result).toMatchObject({wouldReplay: 0, filtered: 7})

    // One message a second, so the run can be killed after its first confirmed replay.
    const run = startCli([...replay, '--rate', '1', '--window', '1', '--yes', ...registry], state)
    await waitFor(async () => journalIds(state).length === 1 && journaledCount(state, journalIds(state)[0]) >= 1, {
      timeoutMs: 120_000,
      intervalMs: 50,
    })
    const [replayId] = journalIds(state)
    expect(journalEnded(state, replayId), 'the run ended before it could be killed').toBe(false)
    run.kill()
    await run.done
    const start = JSON.parse(
      readFileSync(join(state, 'mailroom', 'replays', `${replayId}.jsonl`), 'utf8').split('\n')[0],
    )
    expect(start.request).toMatchObject({filter: AMOUNT_OVER_100, decode: {mode: 'auto'}})

    // The job decodes: resumed without a registry it would select other messages, so it is refused.
    const refused = await runCliWithState(['dlq', 'replay', '--resume', replayId, '--yes', '--json'], state)
    expect(refused.code).toBe(2)
    expect(jsonOf(refused).error?.message).toMatch(/decoded through a schema registry \(--decode auto\)/)
    // --decode cannot be changed on resume either.
    const changed = await runCliWithState(
      ['dlq', 'replay', '--resume', replayId, '--decode', 'none', '--yes', '--json', ...registry],
      state,
    )
    expect(changed.code).toBe(2)

    const resumed = await runCliWithState(
      ['dlq', 'replay', '--resume', replayId, '--yes', '--json', ...registry],
      state,
    )
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(jsonOf(resumed).result.counts.replayed).toBeGreaterThanOrEqual(1)

    const got = await rawValues(dest, 4)
    const unique = new Set(got.map((v) => v.toString('base64')))
    expect([...unique].sort()).toEqual(
      overHundred()
        .map((r) => r.value.toString('base64'))
        .sort(),
    )
    // A kill with a window of 1 may deliver one message twice, never more.
    expect(got.length - unique.size).toBeLessThanOrEqual(1)
  })
})

describe('dlq purge --filter on decoded values', () => {
  it('JetStream: deletes exactly the records whose decoded field matches (dry run first)', async () => {
    const stream = uniqueName('SRP').replace(/[^A-Za-z0-9_]/g, '_')
    streams.push(stream)
    const nc = await natsConnect({servers: '127.0.0.1:4222'})
    try {
      const jsm = await nc.jetstreamManager()
      await jsm.streams.add({name: stream, subjects: [`${stream}.>`]})
      for (const {value} of records()) await nc.jetstream().publish(`${stream}.orders`, value)
      const purge = ['dlq', 'purge', `nats:${stream}`, '-F', AMOUNT_OVER_100, '--json', ...registry]
      const dry = await runCliWithState([...purge, '--dry-run'], stateHome())
      expect(dry.code, dry.stderr).toBe(0)
      expect(jsonOf(dry).result).toMatchObject({purged: 4, kept: 3})
      const r = await runCliWithState([...purge, '--yes'], stateHome())
      expect(r.code, r.stderr).toBe(0)
      expect(jsonOf(r).result).toMatchObject({purged: 4, kept: 3})
      expect(await natsValues(jsm, stream)).toEqual(
        records()
          .filter((_, i) => !((AMOUNTS[i] ?? 0) > 100))
          .map((x) => x.value),
      )
    } finally {
      await nc.close()
    }
  })

  it('RabbitMQ: acks exactly the messages whose decoded field matches and requeues the rest', async () => {
    const queue = uniqueName('srp-purge')
    queues.push(queue)
    const c = await amqp.connect(AMQP_URL)
    try {
      const ch = await c.createConfirmChannel()
      await ch.assertQueue(queue, {durable: true})
      for (const {value} of records()) ch.sendToQueue(queue, value, {persistent: true})
      await ch.waitForConfirms()
      const r = await runCliWithState(
        ['dlq', 'purge', `rabbitmq:${queue}`, '-F', AMOUNT_OVER_100, '--yes', '--json', ...registry],
        stateHome(),
      )
      expect(r.code, r.stderr).toBe(0)
      expect(jsonOf(r).result).toMatchObject({purged: 4, kept: 3, method: 'consume-and-ack'})
      const left: Buffer[] = []
      await waitFor(async () => (await ch.checkQueue(queue)).messageCount === 3, {timeoutMs: 30_000})
      for (let msg = await ch.get(queue, {noAck: true}); msg; msg = await ch.get(queue, {noAck: true}))
        left.push(msg.content)
      const kept = records().filter((_, i) => !((AMOUNTS[i] ?? 0) > 100))
      expect(left.map((b) => b.toString('base64')).sort()).toEqual(kept.map((x) => x.value.toString('base64')).sort())
    } finally {
      await c.close()
    }
  })

  it('--decode without --filter is a usage error', async () => {
    const r = await runCliWithState(
      ['dlq', 'purge', 'nats:NOPE', '--decode', 'avro', '--yes', ...registry],
      stateHome(),
    )
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--decode and --value-subject choose how --filter reads values/)
  })
})

/** The topic's record values as the raw client reads them (not through mailroom), once at least `count` arrived. */
async function rawValues(topic: string, count: number): Promise<Buffer[]> {
  const consumer = kafka.consumer({groupId: uniqueName('srp-check')})
  const got: Buffer[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({topic, fromBeginning: true})
    await consumer.run({eachMessage: async ({message}) => void got.push(message.value ?? Buffer.alloc(0))})
    await waitFor(async () => got.length >= count, {timeoutMs: 60_000})
    // Anything beyond (a duplicate) arrives with the same fetch; give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 2000))
  } finally {
    await consumer.disconnect()
  }
  return got
}

/** The stream's message bodies in order, read with the raw client's direct get. */
async function natsValues(
  jsm: Awaited<ReturnType<Awaited<ReturnType<typeof natsConnect>>['jetstreamManager']>>,
  stream: string,
): Promise<Buffer[]> {
  const info = await jsm.streams.info(stream)
  const out: Buffer[] = []
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, {seq}).catch(() => undefined)
    if (m) out.push(Buffer.from(m.data))
  }
  return out
}
