// `publish --count N --rate R` interrupted by Ctrl-C (SIGINT) on all three brokers: exit 130, one summary on stderr
// naming how many were published (each confirmed) and how many were not sent, the same --json result fields on all
// three, and the published count equal to what the broker holds: Kafka's end offsets read by Kafka's Java consumer,
// the queue depth from RabbitMQ's management API, the stream's message count from JetStream's stream info.
import kafkajs from 'kafkajs'
import {connect, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {heldRecords} from '../conformance/kafka-truth.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {type CliResult} from '../helpers/cli.js'
import {startCli} from '../helpers/messaging.js'

vi.setConfig({testTimeout: 180_000})

const COUNT = 100_000
const RATE = '500'
const MANAGEMENT = 'http://127.0.0.1:15672/api'
const AUTH = {authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`}
const kafkaAdmin = new kafkajs.Kafka({brokers: ['127.0.0.1:9092'], logLevel: kafkajs.logLevel.NOTHING}).admin()
let nc: NatsConnection
const cleanups: (() => Promise<unknown>)[] = []

/** What the broker holds for the target (the ground truth the summary must match). */
interface Broker {
  target: string
  args: string[]
  held(): Promise<number>
}

async function kafkaTopic(): Promise<Broker> {
  const topic = uniqueName('pub.int')
  await kafkaAdmin.createTopics({topics: [{topic, numPartitions: 3}], waitForLeaders: true})
  cleanups.push(() => kafkaAdmin.deleteTopics({topics: [topic]}))
  return {
    target: `kafka:${topic}`,
    args: [],
    // Kafka's Java Admin client's latest offsets: no record was deleted, so the records held are their sum.
    held: () => heldRecords(topic),
  }
}

async function rabbitQueue(): Promise<Broker> {
  const queue = uniqueName('pub.int')
  const url = `${MANAGEMENT}/queues/%2F/${encodeURIComponent(queue)}`
  expect(
    (
      await fetch(url, {
        method: 'PUT',
        headers: {...AUTH, 'content-type': 'application/json'},
        body: JSON.stringify({durable: true}),
      })
    ).ok,
  ).toBe(true)
  cleanups.push(() => fetch(url, {method: 'DELETE', headers: AUTH}))
  return {
    target: `rabbitmq:${queue}`,
    args: [],
    held: async () => ((await (await fetch(url, {headers: AUTH})).json()) as {messages?: number}).messages ?? 0,
  }
}

async function natsStream(): Promise<Broker> {
  const stream = uniqueName('PUB_INT').replaceAll('-', '_').toUpperCase()
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({name: stream, subjects: [`${stream}.>`]})
  cleanups.push(() => jsm.streams.delete(stream))
  return {
    target: `nats:${stream}`,
    args: ['--key', `${stream}.load`],
    held: async () => (await jsm.streams.info(stream)).state.messages,
  }
}

/** Starts a long paced publish, lets some messages reach the broker, then presses Ctrl-C. */
async function interruptedPublish(broker: Broker, json: boolean): Promise<CliResult> {
  const before = await broker.held()
  const cli = startCli([
    'publish',
    broker.target,
    'hello',
    ...broker.args,
    '--count',
    String(COUNT),
    '--rate',
    RATE,
    ...(json ? ['--json'] : []),
  ])
  // When to press Ctrl-C only: well under way, far from done.
  await waitFor(async () => (await quickCount(broker)) > before + 200, {timeoutMs: 60_000, intervalMs: 250})
  cli.child.kill('SIGINT')
  return cli.exited
}

/** A cheap reading of progress (for timing the Ctrl-C, not for the assertions): no JVM start per poll for Kafka. */
async function quickCount(broker: Broker): Promise<number> {
  if (!broker.target.startsWith('kafka:')) return broker.held()
  const offsets = await kafkaAdmin.fetchTopicOffsets(broker.target.slice('kafka:'.length))
  return offsets.reduce((n, p) => n + Number(p.high), 0)
}

/** RabbitMQ's management API refreshes queue figures every few seconds: wait for the figure to settle on `expected`. */
async function heldSettled(broker: Broker, expected: number): Promise<number> {
  let last = -1
  await waitFor(async () => (last = await broker.held()) === expected, {timeoutMs: 30_000, intervalMs: 1000}).catch(
    () => undefined,
  )
  return last
}

const jsonResults = new Map<string, Record<string, unknown>>()

beforeAll(async () => {
  await kafkaAdmin.connect()
  nc = await connect({servers: '127.0.0.1:4222'})
})

afterAll(async () => {
  await Promise.allSettled(cleanups.map((c) => c()))
  await kafkaAdmin.disconnect()
  await nc.close()
})

describe.each([
  ['kafka', kafkaTopic],
  ['rabbitmq', rabbitQueue],
  ['nats', natsStream],
] as const)('publish interrupted by Ctrl-C on %s', (name, make) => {
  it('exits 130 and says how many were published (what the broker holds) and how many were not sent', async () => {
    const broker = await make()
    const r = await interruptedPublish(broker, false)
    expect(r.code, r.stderr).toBe(130)
    const summary = r.stderr.match(
      /^published (\d+) to (\S+) in \d+ ms .*; interrupted: each one published was confirmed by the broker, the other (\d+) were not sent$/m,
    )
    expect(summary, r.stderr).not.toBeNull()
    const published = Number(summary![1])
    expect(summary![2]).toBe(broker.target)
    expect(published).toBeGreaterThan(0)
    expect(Number(summary![3])).toBe(COUNT - published)
    expect(await heldSettled(broker, published)).toBe(published)
    expect(r.stdout).toBe('')
    // The summary is all it prints (no warning per paced message).
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('with --json: status 130 and the same result fields, the published count being what the broker holds', async () => {
    const broker = await make()
    const r = await interruptedPublish(broker, true)
    expect(r.code, r.stderr).toBe(130)
    const out = JSON.parse(r.stdout) as {status: number; result: Record<string, unknown>}
    expect(out.status).toBe(130)
    expect(out.result).toMatchObject({target: broker.target, failed: 0, interrupted: true})
    expect(await heldSettled(broker, out.result.published as number)).toBe(out.result.published)
    jsonResults.set(name, out.result)
  })
})

describe('publish interrupted by Ctrl-C, across brokers', () => {
  it('gives the same --json result fields on all three', () => {
    const fields = [...jsonResults].map(([broker, result]) => [broker, Object.keys(result).sort()])
    expect(fields).toHaveLength(3)
    expect(fields.map(([, keys]) => keys)).toEqual(
      Array(3).fill([
        'duplicates',
        'elapsedMs',
        'failed',
        'failures',
        'interrupted',
        'perSecond',
        'possibleDuplicates',
        'published',
        'target',
      ]),
    )
  })
})
