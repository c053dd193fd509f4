// `mailroom lag` and `mailroom check` through the built CLI, on real lag created on the local brokers: a Kafka group
// that committed part of a topic, a live group falling behind, a RabbitMQ queue without consumer, and one whose
// consumer holds unacked messages.
import {randomUUID} from 'node:crypto'
import amqp, {type Channel, type ChannelModel} from 'amqplib'
import {type Admin, type Consumer, Kafka, logLevel, type Producer} from 'kafkajs'
import {AckPolicy, connect as natsConnect} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'

const kafka = new Kafka({clientId: 'lag-e2e', brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
let admin: Admin
let producer: Producer
let amqpConnection: ChannelModel
let setup: Channel
const topics: string[] = []
const groups: string[] = []
const queues: string[] = []

/** A topic of 2 partitions with 6 records each (the first 2 minutes old), and a group that committed 2 and 6. */
let topic: string
let group: string
/** A queue with 7 messages and no consumer; a queue with 5 messages whose consumer holds 3 unacked. */
let idleQueue: string
let heldQueue: string

beforeAll(async () => {
  admin = kafka.admin()
  producer = kafka.producer({allowAutoTopicCreation: false})
  await Promise.all([admin.connect(), producer.connect()])
  amqpConnection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
  setup = await amqpConnection.createChannel()

  topic = `mailroom-lag-e2e-${randomUUID()}`
  group = `mailroom-lag-e2e-${randomUUID()}`
  topics.push(topic)
  groups.push(group)
  await admin.createTopics({topics: [{topic, numPartitions: 2}], waitForLeaders: true})
  const old = String(Date.now() - 120_000)
  for (const partition of [0, 1]) {
    await producer.send({
      topic,
      messages: Array.from({length: 6}, (_, i) => ({value: `m${i}`, partition, timestamp: old})),
    })
  }
  await admin.setOffsets({
    groupId: group,
    topic,
    partitions: [
      {partition: 0, offset: '2'},
      {partition: 1, offset: '6'},
    ],
  })

  idleQueue = await declare('lag-e2e-idle')
  for (let i = 0; i < 7; i++) setup.sendToQueue(idleQueue, Buffer.from(`m${i}`))
  heldQueue = await declare('lag-e2e-held')
  for (let i = 0; i < 5; i++) setup.sendToQueue(heldQueue, Buffer.from(`m${i}`))
  const holder = await amqpConnection.createChannel()
  await holder.prefetch(3)
  await holder.consume(heldQueue, () => undefined, {noAck: false})
  // The management API publishes queue statistics every few seconds, and not every figure in the same round (seen:
  // the 3 unacknowledged before the consumer that holds them).
  await waitFor(
    async () => {
      const r = jsonOf(await runCli(['lag', '--broker', 'rabbitmq', '--json']))
      const rows = r.result.rows as {target: string; lag: number; unacked?: number; consumers?: number}[]
      return (
        rows.some((x) => x.target === idleQueue && x.lag === 7) &&
        rows.some((x) => x.target === heldQueue && x.unacked === 3 && x.consumers === 1)
      )
    },
    {timeoutMs: 20_000, intervalMs: 1000},
  )
}, 60_000)

afterAll(async () => {
  for (const q of queues) await setup.deleteQueue(q).catch(() => undefined)
  await amqpConnection.close().catch(() => undefined)
  await admin.deleteGroups(groups).catch(() => undefined)
  await admin.deleteTopics({topics}).catch(() => undefined)
  await producer.disconnect()
  await admin.disconnect()
})

async function declare(prefix: string): Promise<string> {
  const name = uniqueName(prefix)
  await setup.assertQueue(name, {durable: false})
  queues.push(name)
  return name
}

describe('mailroom lag', () => {
  it('a Kafka group that committed part of a topic: exact lag per partition, lag in seconds, STOP without members', async () => {
    const r = await runCli(['lag', `kafka:${group}`, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const {result} = jsonOf(r)
    expect(result.rows).toHaveLength(1)
    const row = result.rows[0]
    expect(row).toMatchObject({
      broker: 'kafka',
      target: topic,
      consumer: group,
      lag: 4,
      consumers: 0,
      status: 'STOP',
      reason: '4 waiting and no consumer',
    })
    expect(row.partitions).toEqual([
      {partition: 0, committed: 2, end: 6, start: 0, lag: 4, lagSeconds: expect.any(Number)},
      {partition: 1, committed: 6, end: 6, start: 0, lag: 0},
    ])
    expect(row.lagSeconds).toBeGreaterThanOrEqual(119)
    expect(row.lagSeconds).toBeLessThan(200)
    expect(result.failures).toEqual([])
  })

  it('RabbitMQ: a queue without consumer is STOP, one whose consumer holds unacked messages is STALL', async () => {
    const r = await runCli(['lag', '--broker', 'rabbitmq', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const rows = jsonOf(r).result.rows as any[]
    expect(rows.find((x) => x.target === idleQueue)).toMatchObject({lag: 7, consumers: 0, unacked: 0, status: 'STOP'})
    expect(rows.find((x) => x.target === heldQueue)).toMatchObject({
      lag: 5,
      consumers: 1,
      unacked: 3,
      status: 'STALL',
      reason: '3 unacknowledged, no acknowledgement',
      details: {ready: 2, unacked: 3, type: 'classic'},
    })
    expect(rows.find((x) => x.target === idleQueue).lagSeconds).toBeUndefined()
  })

  it('prints a table for humans with "unknown" where the head age cannot be read, and filters --only-lagging', async () => {
    const r = await runCli(['lag', `rabbitmq:${idleQueue}`])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`rabbitmq:${idleQueue}\\s+-\\s+STOP\\s+7\\s+unknown\\s+0\\s`))
    const wide = await runCli(['lag', `kafka:${group}`, '-o', 'wide', '--only-lagging'])
    expect(wide.stdout).toMatch(/0:2\/6 1:6\/6/)
  })

  it('--watch, piped: one JSON line per snapshot; a live group falling behind turns WARN', async () => {
    const liveTopic = `mailroom-lag-e2e-${randomUUID()}`
    const liveGroup = `mailroom-lag-e2e-${randomUUID()}`
    topics.push(liveTopic)
    groups.push(liveGroup)
    await admin.createTopics({topics: [{topic: liveTopic, numPartitions: 1}], waitForLeaders: true})
    await producer.send({topic: liveTopic, messages: [{value: 'first'}]})
    const consumer = await stuckMember(liveTopic, liveGroup)
    const feeding = setInterval(
      () => void producer.send({topic: liveTopic, messages: [{value: 'more'}]}).catch(() => undefined),
      100,
    )
    try {
      const r = await runCli([
        'lag',
        `kafka:${liveGroup}`,
        '--watch',
        '500ms',
        '--count',
        '4',
        '-o',
        'json',
        '--stall-after',
        '1h',
      ])
      expect(r.code, r.stderr).toBe(0)
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(lines).toHaveLength(4)
      const rows = lines.map((l) => l.rows[0])
      expect(rows.map((x) => x.consumers)).toEqual([1, 1, 1, 1])
      for (let i = 1; i < rows.length; i++) expect(rows[i].lag).toBeGreaterThan(rows[i - 1].lag)
      expect(rows[3]).toMatchObject({status: 'WARN', outRate: 0})
      expect(rows[3].reason).toMatch(/^lag grew from \d+ to \d+ over \ds$/)
      expect(rows[3].trend).toBeGreaterThan(0)
      expect(rows[3].inRate).toBeGreaterThan(0)
      expect(rows[3].windowSeconds).toBeGreaterThan(1)
    } finally {
      clearInterval(feeding)
      await consumer.disconnect()
    }
  })

  it('an unknown group or queue exits 4', async () => {
    const r = await runCli(['lag', `kafka:no-such-group-${randomUUID()}`])
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/no consumer, group, queue or consumed target named kafka:no-such-group/)
    expect((await runCli(['lag', `rabbitmq:${uniqueName('no-such-queue')}`])).code).toBe(4)
  })

  it('a broker down gives an ERR row while the others are reported; exit 3 only when nothing could be read, or with --strict', async () => {
    const down = {MAILROOM_RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:1'}
    const mixed = await runCli(['lag', '--broker', 'rabbitmq', '--broker', 'kafka', '--json'], {env: down})
    expect(mixed.code, mixed.stderr).toBe(0)
    const {result} = jsonOf(mixed)
    expect(result.rows.find((x: any) => x.broker === 'rabbitmq')).toMatchObject({
      status: 'ERR',
      target: '*',
      error: {code: 'CONNECTION'},
    })
    expect(result.rows.some((x: any) => x.broker === 'kafka' && x.consumer === group)).toBe(true)
    expect((await runCli(['lag', '--broker', 'rabbitmq', '--broker', 'kafka', '--strict'], {env: down})).code).toBe(3)
    const alone = await runCli(['lag', '--broker', 'rabbitmq'], {env: down})
    expect(alone.code).toBe(3)
    expect(alone.stdout).toMatch(/ERR/)
  })

  it('without the management plugin: ERR with how to enable it', async () => {
    const r = await runCli(['lag', '--broker', 'rabbitmq', '--json'], {
      env: {MAILROOM_RABBITMQ_MANAGEMENT_URL: 'http://127.0.0.1:1'},
    })
    expect(r.code).toBe(3)
    const {result} = jsonOf(r)
    expect(result.failures[0].error.suggestions.join(' ')).toContain('rabbitmq-plugins enable rabbitmq_management')
  })
})

describe('mailroom check', () => {
  it('exit 7 when a threshold is breached, 0 when all hold', async () => {
    const breached = await runCli(['check', `kafka:${group}`, '--max-lag', '3'])
    expect(breached.code, breached.stderr).toBe(7)
    expect(breached.stdout).toContain(`BREACH max-lag kafka:${topic} (${group}): lag 4 > 3`)
    expect(breached.stdout).toMatch(/FAILED: 1 breach\(es\) over 1 consumer\(s\)/)
    const fine = await runCli(['check', `kafka:${group}`, '--max-lag', '4'])
    expect(fine.code, fine.stderr).toBe(0)
    expect(fine.stdout).toContain('OK: 1 consumer(s) within thresholds')
  })

  // Longer than the default 30 s: once in a full CI run (load ~10) this check took over 30 s where it takes under 1 s
  // alone; the cause is not found yet (an open issue). What it asserts is unchanged.
  it('--max-lag-seconds, --require-consumers and --json', {timeout: 90_000}, async () => {
    const r = await runCli(['check', `kafka:${group}`, '--max-lag-seconds', '1m', '--require-consumers', '--json'], {
      timeoutMs: 80_000,
    })
    expect(r.code).toBe(7)
    const {status, result} = jsonOf(r)
    expect(status).toBe(7)
    expect(result.ok).toBe(false)
    expect(result.breaches.map((b: any) => [b.threshold, b.target, b.limit])).toEqual([
      ['max-lag-seconds', topic, 60],
      ['require-consumers', topic, 1],
    ])
  })

  it('-o prometheus: gauges per consumer, status series, broker up, breach counts', async () => {
    const r = await runCli(['check', `rabbitmq:${heldQueue}`, '--max-lag', '4', '-o', 'prometheus'])
    expect(r.code).toBe(7)
    const labels = `broker="rabbitmq",target="${heldQueue}",consumer="${heldQueue}"`
    expect(r.stdout).toContain('# TYPE mailroom_consumer_lag_messages gauge\n')
    expect(r.stdout).toContain(`mailroom_consumer_lag_messages{${labels}} 5\n`)
    expect(r.stdout).toContain(`mailroom_consumer_consumers{${labels}} 1\n`)
    expect(r.stdout).toContain(`mailroom_consumer_status{${labels},status="STALL"} 1\n`)
    expect(r.stdout).toContain(`mailroom_consumer_status{${labels},status="OK"} 0\n`)
    expect(r.stdout).toContain('mailroom_broker_up{broker="rabbitmq"} 1\n')
    expect(r.stdout).toContain('mailroom_check_breaches{threshold="max-lag"} 1\n')
    expect(r.stdout).not.toMatch(/BREACH|FAILED/)
  })

  it('--max-dlq-depth over the DLQs found by name', async () => {
    const dlq = await declare('lag-e2e-orders')
    const dlqName = `${dlq}.dlq`
    await setup.assertQueue(dlqName, {durable: false})
    queues.push(dlqName)
    setup.sendToQueue(dlqName, Buffer.from('dead'))
    setup.sendToQueue(dlqName, Buffer.from('dead'))
    const r = await waitFor(
      async () => {
        const run = await runCli(['check', `rabbitmq:${dlqName}`, '--max-dlq-depth', '1', '--json'])
        return run.code === 7 ? run : undefined
      },
      {timeoutMs: 20_000, intervalMs: 1000},
    )
    const {result} = jsonOf(r)
    expect(result.breaches).toEqual([
      {threshold: 'max-dlq-depth', broker: 'rabbitmq', target: dlqName, value: 2, limit: 1, message: 'DLQ depth 2 > 1'},
    ])
    expect((await runCli(['check', `rabbitmq:${dlqName}`, '--max-dlq-depth', '2'])).code).toBe(0)
  })

  it('usage error without a threshold; exit 4 for an unknown consumer', async () => {
    expect((await runCli(['check'])).code).toBe(2)
    expect((await runCli(['check', `kafka:no-such-group-${randomUUID()}`, '--max-lag', '1'])).code).toBe(4)
  })
})

describe('mailroom lag on JetStream', () => {
  it('a consumer with pending messages and nobody pulling is STOP; one holding unacked messages turns STALL over the window', async () => {
    const nc = await natsConnect({servers: '127.0.0.1:4222'})
    const jsm = await nc.jetstreamManager()
    const stream = uniqueName('LAGE2E').replace(/-/g, '_')
    try {
      await jsm.streams.add({name: stream, subjects: [`${stream}.>`]})
      const js = nc.jetstream()
      for (let i = 0; i < 4; i++) await js.publish(`${stream}.x`, new TextEncoder().encode(`m${i}`))
      await jsm.consumers.add(stream, {durable_name: 'idle', ack_policy: AckPolicy.Explicit})
      await jsm.consumers.add(stream, {durable_name: 'holding', ack_policy: AckPolicy.Explicit})
      for await (const m of await (await js.consumers.get(stream, 'holding')).fetch({max_messages: 3, expires: 2000}))
        void m

      const once = await runCli(['lag', `nats:${stream}`, '--json'])
      expect(once.code, once.stderr).toBe(0)
      const rows = jsonOf(once).result.rows as any[]
      expect(rows.find((r) => r.consumer === 'idle')).toMatchObject({
        target: stream,
        lag: 4,
        consumers: 0,
        status: 'STOP',
      })
      expect(rows.find((r) => r.consumer === 'holding')).toMatchObject({lag: 4, unacked: 3, consumers: 1, status: 'OK'})

      const watched = await runCli([
        'lag',
        `nats:${stream}/holding`,
        '--watch',
        '400ms',
        '--count',
        '3',
        '--stall-after',
        '700ms',
        '-o',
        'json',
      ])
      expect(watched.code, watched.stderr).toBe(0)
      const last = JSON.parse(watched.stdout.trim().split('\n').at(-1)!).rows[0]
      expect(last).toMatchObject({consumer: 'holding', status: 'STALL', lag: 4})
      // Which STALL rule speaks first depends on how long the CLI took to start (the consumer info says both).
      expect(last.reason).toMatch(
        /^(nothing acknowledged or committed for \d+s with 4 waiting|3 unacknowledged, no acknowledgement for \d+s)$/,
      )

      const prom = await runCli(['check', `nats:${stream}/idle`, '--require-consumers', '-o', 'prometheus'])
      expect(prom.code).toBe(7)
      expect(prom.stdout).toContain(
        `mailroom_consumer_lag_messages{broker="nats",target="${stream}",consumer="idle"} 4\n`,
      )
      expect(prom.stdout).toContain(
        `mailroom_consumer_status{broker="nats",target="${stream}",consumer="idle",status="STOP"} 1\n`,
      )
      expect(prom.stdout).toContain('mailroom_check_breaches{threshold="require-consumers"} 1\n')
    } finally {
      await jsm.streams.delete(stream).catch(() => undefined)
      await nc.close()
    }
  })
})

/** A group member that receives but never commits (a consumer stuck in processing). */
async function stuckMember(topicName: string, groupId: string): Promise<Consumer> {
  const consumer = kafka.consumer({groupId})
  await consumer.connect()
  await consumer.subscribe({topics: [topicName], fromBeginning: true})
  let joined = false
  consumer.on(consumer.events.GROUP_JOIN, () => void (joined = true))
  await consumer.run({autoCommit: false, eachMessage: async () => undefined})
  await waitFor(() => joined, {timeoutMs: 20_000})
  await admin.fetchTopicOffsets(topicName)
  await consumer.commitOffsets([{topic: topicName, partition: 0, offset: '1'}])
  return consumer
}
