// Durations and sizes for people in `targets describe` and `lag` (issue 18 item 7): table and yaml show `2m0s` and
// `1.5 MiB`, --json and -o json the exact numbers. The settings are made with the brokers' own clients (nats.js's
// JetStream manager, amqplib) and read back from the brokers' APIs, to compare with what mailroom shows.
import amqp, {type Channel, type ChannelModel} from 'amqplib'
import {AckPolicy, connect, type JetStreamManager, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {uniqueName} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'

vi.setConfig({testTimeout: 120_000})

const TWO_MINUTES_NANOS = 120_000_000_000
const ONE_AND_A_HALF_MIB = 1_572_864

describe('targets describe and lag on a JetStream stream with a duplicate window and max bytes', () => {
  let nc: NatsConnection
  let jsm: JetStreamManager
  let stream: string
  beforeAll(async () => {
    nc = await connect({servers: '127.0.0.1:4222'})
    jsm = await nc.jetstreamManager()
    stream = uniqueName('e2e-human').replaceAll('-', '_').toUpperCase()
    await jsm.streams.add({
      name: stream,
      subjects: [`${stream}.>`],
      duplicate_window: TWO_MINUTES_NANOS,
      max_bytes: ONE_AND_A_HALF_MIB,
    })
    await jsm.consumers.add(stream, {durable_name: 'slow', ack_policy: AckPolicy.Explicit})
    await nc.jetstream().publish(`${stream}.a`, Buffer.from('x'))
  })
  afterAll(async () => {
    await jsm.streams.delete(stream).catch(() => {})
    await nc.close()
  })

  it('table and yaml show 2m0s and 1.5 MiB; --json keeps the nanoseconds and bytes the server holds', async () => {
    const config = (await jsm.streams.info(stream)).config
    expect([config.duplicate_window, config.max_bytes]).toEqual([TWO_MINUTES_NANOS, ONE_AND_A_HALF_MIB])
    for (const output of ['table', 'yaml']) {
      const r = await runCli(['targets', 'describe', `nats:${stream}`, '-o', output])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/^ {2}duplicateWindow: 2m0s$/m)
      expect(r.stdout).toMatch(/^ {2}maxBytes: 1.5 MiB$/m)
      expect(r.stdout).toMatch(/^ {2}maxAge: unlimited$/m)
      expect(r.stdout).not.toMatch(/Nanos|120000000000/)
    }
    const json = jsonOf(await runCli(['targets', 'describe', `nats:${stream}`, '--json'])).result
    expect(json.details).toMatchObject({
      duplicateWindowNanos: config.duplicate_window,
      maxBytes: config.max_bytes,
      maxAgeNanos: 0,
    })
  })

  it('lag -o yaml shows the lag age as a duration, lag --json the seconds', async () => {
    const yaml = await runCli(['lag', `nats:${stream}`, '-o', 'yaml'])
    expect(yaml.code, yaml.stderr).toBe(0)
    expect(yaml.stdout).toMatch(/^ {2}lagAge: (\d+m)?\d+(\.\d+)?s$/m)
    expect(yaml.stdout).toMatch(/^ {2}window: 0s$/m)
    expect(yaml.stdout).not.toMatch(/Seconds/)
    const rows = jsonOf(await runCli(['lag', `nats:${stream}`, '--json'])).result.rows
    expect(rows[0]).toMatchObject({lag: 1, lagSeconds: expect.any(Number), windowSeconds: 0})
  })
})

describe('targets describe on a RabbitMQ queue with x-message-ttl and x-max-length-bytes', () => {
  let conn: ChannelModel
  let ch: Channel
  const queue = uniqueName('e2e-human-q')
  beforeAll(async () => {
    conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
    ch = await conn.createChannel()
    await ch.assertQueue(queue, {durable: true, arguments: {'x-message-ttl': 90_000, 'x-max-length-bytes': 1_048_576}})
  })
  afterAll(async () => {
    await ch.deleteQueue(queue).catch(() => {})
    await conn.close()
  })

  it('yaml shows 1m30s and 1 MiB; --json the milliseconds and bytes the management API reports', async () => {
    const res = await fetch(`http://127.0.0.1:15672/api/queues/%2F/${encodeURIComponent(queue)}`, {
      headers: {authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`},
    })
    const {arguments: args} = (await res.json()) as {arguments: Record<string, number>}
    expect(args).toEqual({'x-message-ttl': 90_000, 'x-max-length-bytes': 1_048_576})
    const r = await runCli(['targets', 'describe', `rabbitmq:${queue}`, '-o', 'yaml'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^ {4}x-message-ttl: 1m30s$/m)
    expect(r.stdout).toMatch(/^ {4}x-max-length-bytes: 1 MiB$/m)
    const json = jsonOf(await runCli(['targets', 'describe', `rabbitmq:${queue}`, '-o', 'json', '--json'])).result
    expect(json.details.arguments).toEqual(args)
  })
})
