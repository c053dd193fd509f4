// The dlq commands as a user runs them (built CLI, real brokers): list, inspect, capture, export | import byte for
// byte on each broker, and purge's guard rails (no TTY without --yes, read-only context, audit line without secrets).
import {mkdtempSync, readFileSync, writeFileSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import amqp, {type Channel, type ChannelModel} from 'amqplib'
import {Kafka, logLevel} from 'kafkajs'
import {
  AckPolicy,
  connect as natsConnect,
  headers as natsHeaders,
  type JetStreamManager,
  type NatsConnection,
} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {decodeEnvelopeLine} from '../../src/model/envelope/ndjson.js'
import type {Envelope} from '../../src/model/envelope/types.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'

const home = mkdtempSync(join(tmpdir(), 'mailroom-dlq-e2e-'))
const auditLog = join(home, 'audit.log')
const env = {XDG_CONFIG_HOME: join(home, 'config'), MAILROOM_AUDIT_LOG: auditLog}

// Each test runs several CLI processes; on a loaded 2-core machine one takes seconds.
const SLOW = {timeout: 180_000}

function envelopes(ndjson: string): Envelope[] {
  return ndjson
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => decodeEnvelopeLine(l, i + 1))
}

/** What must survive export | import: the message itself, not where it was read from. */
function payload(e: Envelope, withKey: boolean) {
  return {body: e.body, headers: e.headers, properties: e.properties, ...(withKey ? {key: e.key} : {})}
}

describe('dlq on RabbitMQ', SLOW, () => {
  let model: ChannelModel
  let ch: Channel
  const id = uniqueName('e2edlq')
  const work = `${id}.work`
  const dlq = `${id}.dlq`
  const copy = `${id}.copy`
  const purged = `${id}.purge`
  const binary = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f, 0x0a])

  beforeAll(async () => {
    model = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
    ch = await model.createChannel()
    await ch.assertQueue(dlq)
    await ch.assertQueue(copy)
    await ch.assertQueue(work, {arguments: {'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq}})
    ch.sendToQueue(work, binary, {
      messageId: 'bin-1',
      contentType: 'application/octet-stream',
      headers: {
        'x-attempt': 3,
        'x-when': {'!': 'timestamp', value: 1_700_000_000},
        'x-raw': Buffer.from([0xc3, 0x28]),
        'x-nested': {a: [1, 'two', true]},
      },
    })
    ch.sendToQueue(work, Buffer.from('{"order":7}'), {messageId: 'json-1'})
    for (let i = 0; i < 2; i++) {
      const m = await waitFor(async () => ch.get(work, {noAck: false}))
      ch.reject(m as amqp.Message, false)
    }
    await waitFor(async () => (await ch.checkQueue(dlq)).messageCount === 2)
  })

  afterAll(async () => {
    for (const q of [work, dlq, copy, purged]) await ch.deleteQueue(q).catch(() => {})
    await model.close()
  })

  it('dlq list shows the queue behind the dead-letter route, its depth and origin', async () => {
    const r = await runCli(['dlq', 'list', '-b', 'rabbitmq', '--json'], {env})
    expect(r.code).toBe(0)
    const row = jsonOf(r).result.dlqs.find((d: {name: string}) => d.name === dlq)
    expect(row).toMatchObject({
      broker: 'rabbitmq',
      depth: 2,
      origins: [work],
      detectedBy: ['dead-letter-exchange', 'pattern *.dlq'],
    })
    const table = await runCli(['dlq', 'list', '-b', 'rabbitmq'], {env})
    expect(table.stdout).toMatch(
      new RegExp(`rabbitmq:${dlq.replace(/\./g, '\\.')}\\s.*\\s2\\s.*unknown.*${work.replace(/\./g, '\\.')}`),
    )
  })

  it('dlq inspect groups by origin and reason and shows each death', async () => {
    const r = await runCli(['dlq', 'inspect', `rabbitmq:${dlq}`, '--json'], {env})
    expect(r.code).toBe(0)
    const result = jsonOf(r).result
    expect(result.groups).toEqual([
      expect.objectContaining({origin: `rabbitmq:${work}`, reason: 'rejected', error: '-', count: 2}),
    ])
    expect(result.messages.map((m: Envelope) => m.death?.reason)).toEqual(['rejected', 'rejected'])
    const table = await runCli(['dlq', 'inspect', `rabbitmq:${dlq}`, '--filter', 'json.order == 7'], {env})
    expect(table.stdout).toContain('1 message(s) matched of 2 read')
    expect(table.stdout).toMatch(/rejected/)
    expect(table.stderr).toMatch(/redelivered/) // the peek's side effect is said
  })

  it('dlq export | dlq import reproduces body, typed headers and properties byte for byte', async () => {
    const exported = await runCli(['dlq', 'export', `rabbitmq:${dlq}`], {env})
    expect(exported.code).toBe(0)
    const original = envelopes(exported.stdout)
    expect(original).toHaveLength(2)
    expect(original[0].death?.origin?.target).toBe(work)
    const imported = await runCli(['dlq', 'import', '-', '--to', `rabbitmq:${copy}`, '--yes', '--json'], {
      env,
      input: exported.stdout,
    })
    expect(jsonOf(imported).result).toMatchObject({published: 2, failed: 0})
    const again = envelopes((await runCli(['dlq', 'export', `rabbitmq:${copy}`], {env})).stdout)
    expect(again.map((e) => payload(e, false))).toEqual(original.map((e) => payload(e, false)))
    expect(Buffer.from((again[0].body as {base64: string}).base64, 'base64').equals(binary)).toBe(true)
  })

  it('purge: refused without a TTY and --yes, refused in a read-only context, audited when done', async () => {
    // A queue of its own, filled here: the test passes alone (-t) and in any order.
    const copy = purged
    await ch.assertQueue(copy)
    ch.sendToQueue(copy, binary, {messageId: 'bin-1'})
    ch.sendToQueue(copy, Buffer.from('{"order":7}'), {messageId: 'json-1'})
    await waitFor(async () => (await ch.checkQueue(copy)).messageCount === 2)
    const noYes = await runCli(['dlq', 'purge', `rabbitmq:${copy}`], {env})
    expect(noYes.code).toBe(9)
    expect(noYes.stderr).toMatch(/--yes/)
    // A config home of its own: the first context set becomes the current one.
    const roEnv = {...env, XDG_CONFIG_HOME: join(home, 'config-ro'), RO_PW: 'guest'}
    expect(
      (
        await runCli(
          [
            'context',
            'set',
            'ro',
            '--rabbitmq-url',
            'amqp://guest@127.0.0.1:5672',
            '--rabbitmq-password-env',
            'RO_PW',
            '--read-only',
          ],
          {env: roEnv},
        )
      ).code,
    ).toBe(0)
    const readOnly = await runCli(['dlq', 'purge', `rabbitmq:${copy}`, '--yes', '--context', 'ro'], {env: roEnv})
    expect(readOnly.code).toBe(9)
    expect(readOnly.stderr).toMatch(/read-only/)
    expect((await ch.checkQueue(copy)).messageCount).toBe(2)
    const dry = await runCli(['dlq', 'purge', `rabbitmq:${copy}`, '--dry-run', '--filter', 'json.order == 7'], {env})
    expect(dry.stdout).toContain(`would purge 1 message(s) from rabbitmq:${copy}; 1 kept`)
    const before = existsSync(auditLog) ? readFileSync(auditLog, 'utf8') : ''
    const done = await runCli(['dlq', 'purge', `rabbitmq:${copy}`, '--yes', '--filter', 'json.order == 7', '--json'], {
      env,
    })
    expect(jsonOf(done).result).toMatchObject({purged: 1, kept: 1})
    await waitFor(async () => (await ch.checkQueue(copy)).messageCount === 1)
    const left = await ch.get(copy, {noAck: true})
    expect(left && left.properties.messageId).toBe('bin-1')
    const line = JSON.parse(readFileSync(auditLog, 'utf8').slice(before.length).trim())
    expect(line).toMatchObject({
      command: 'dlq purge',
      target: `rabbitmq:${copy}`,
      counts: {purged: 1, kept: 1},
      outcome: 'ok',
    })
    expect(JSON.stringify(line)).not.toMatch(/amqp:|guest:guest/)
  })
})

describe('dlq on Kafka', SLOW, () => {
  const raw = new Kafka({clientId: 'dlq-e2e', brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
  const admin = raw.admin()
  const origin = uniqueName('payments')
  const dlt = `${origin}.DLT`
  const copy = `${origin}-copy.DLT`
  const purged = `${origin}-purge.DLT`

  beforeAll(async () => {
    await admin.connect()
    await admin.createTopics({
      topics: [origin, dlt, copy, purged].map((topic) => ({topic, numPartitions: 1})),
      waitForLeaders: true,
    })
    const producer = raw.producer()
    await producer.connect()
    const partition = Buffer.alloc(4)
    partition.writeInt32BE(2)
    const offset = Buffer.alloc(8)
    offset.writeBigInt64BE(1234n)
    await producer.send({
      topic: dlt,
      messages: [
        {
          key: Buffer.from([0xff, 0x00, 0x01]),
          value: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00]),
          headers: {
            'kafka_dlt-original-topic': origin,
            'kafka_dlt-original-partition': partition,
            'kafka_dlt-original-offset': offset,
            'kafka_dlt-exception-fqcn': 'java.lang.NullPointerException',
            'kafka_dlt-exception-message': 'boom',
          },
        },
      ],
    })
    await producer.disconnect()
  })

  afterAll(async () => {
    await admin.deleteTopics({topics: [origin, dlt, copy, purged]}).catch(() => {})
    await admin.disconnect()
  })

  it('inspect explains a Spring DLT record; export | import is byte-exact (binary key, headers and body)', async () => {
    const inspect = jsonOf(await runCli(['dlq', 'inspect', `kafka:${dlt}`, '--json'], {env})).result
    expect(inspect.groups).toEqual([
      expect.objectContaining({
        origin: `kafka:${origin}`,
        reason: 'exception',
        error: 'java.lang.NullPointerException: boom',
        count: 1,
      }),
    ])
    expect(inspect.messages[0].death.origin).toMatchObject({partition: 2, offset: '1234'})
    const exported = await runCli(['dlq', 'export', `kafka:${dlt}`], {env})
    const imported = await runCli(['dlq', 'import', '-', '--to', `kafka:${copy}`, '--yes'], {
      env,
      input: exported.stdout,
    })
    expect(imported.code).toBe(0)
    const again = envelopes((await runCli(['dlq', 'export', `kafka:${copy}`], {env})).stdout)
    expect(again.map((e) => payload(e, true))).toEqual(envelopes(exported.stdout).map((e) => payload(e, true)))
    expect(again[0].death?.origin?.target).toBe(origin)
  })

  it('purge with a filter is unsupported (exit 5); without one it deletes to the end', async () => {
    // A topic of its own, filled here: the test passes alone (-t) and in any order.
    const producer = raw.producer()
    await producer.connect()
    await producer.send({topic: purged, messages: [{value: 'dead'}]})
    await producer.disconnect()
    const filtered = await runCli(['dlq', 'purge', `kafka:${purged}`, '--filter', 'true', '--yes'], {env})
    expect(filtered.code).toBe(5)
    expect(filtered.stderr).toMatch(/append-only/)
    expect(await admin.fetchTopicOffsets(purged)).toMatchObject([{low: '0', high: '1'}])
    const all = await runCli(['dlq', 'purge', `kafka:${purged}`, '--yes', '--json'], {env})
    expect(jsonOf(all).result).toMatchObject({purged: 1, method: 'purge'})
    expect(await admin.fetchTopicOffsets(purged)).toMatchObject([{low: '1', high: '1'}])
  })
})

describe('dlq on NATS JetStream', SLOW, () => {
  let nc: NatsConnection
  let jsm: JetStreamManager
  const stream = uniqueName('E2EDLQ').toUpperCase().replace(/-/g, '_')
  const subject = `${stream.toLowerCase()}.jobs`
  const copy = `${stream}_COPY`

  beforeAll(async () => {
    nc = await natsConnect({servers: 'nats://127.0.0.1:4222'})
    jsm = await nc.jetstreamManager()
    await jsm.streams.add({name: stream, subjects: [subject]})
  })

  afterAll(async () => {
    for (const name of [stream, `${stream}_DLQ`, copy]) await jsm.streams.delete(name).catch(() => {})
    await nc.close()
  })

  it('capture, MaxDeliver reached, list, inspect, export | import byte-exact', async () => {
    const capture = await runCli(['dlq', 'capture', `nats:${stream}`, '--json'], {env})
    expect(jsonOf(capture).result).toMatchObject({name: `${stream}_DLQ`, created: true})
    expect(jsonOf(await runCli(['dlq', 'capture', `nats:${stream}`, '--json'], {env})).result.created).toBe(false)
    const js = nc.jetstream()
    const h = natsHeaders()
    h.append('job-id', '42')
    await js.publish(subject, Buffer.from([0x01, 0xfe, 0x00]), {headers: h})
    await jsm.consumers.add(stream, {durable_name: 'runner', ack_policy: AckPolicy.Explicit, max_deliver: 2})
    const consumer = await js.consumers.get(stream, 'runner')
    await waitFor(
      async () => {
        const m = await consumer.next({expires: 1000})
        m?.nak()
        return (await jsm.streams.info(`${stream}_DLQ`)).state.messages === 1
      },
      {timeoutMs: 20_000},
    )

    const list = jsonOf(await runCli(['dlq', 'list', '-b', 'nats', '--json'], {env})).result
    expect(list.dlqs.find((d: {name: string}) => d.name === `${stream}_DLQ`)).toMatchObject({
      depth: 1,
      origins: [stream],
    })
    const inspect = jsonOf(await runCli(['dlq', 'inspect', `nats:${stream}_DLQ`, '--json'], {env})).result
    expect(inspect.groups).toEqual([
      expect.objectContaining({origin: `nats:${stream}`, reason: 'max_deliveries', count: 1}),
    ])
    expect(inspect.messages[0].death).toMatchObject({count: 2, origin: {sequence: 1, consumer: 'runner', subject}})

    const exported = await runCli(['dlq', 'export', `nats:${stream}_DLQ`, '--output-file', join(home, 'nats.ndjson')], {
      env,
    })
    expect(exported.code).toBe(0)
    const original = envelopes(readFileSync(join(home, 'nats.ndjson'), 'utf8'))
    // Streams cannot share subjects: the dead message goes back under its subject into a stream that now owns it.
    await jsm.streams.delete(stream)
    await jsm.streams.add({name: copy, subjects: [subject]})
    writeFileSync(join(home, 'nats-bad.ndjson'), `not json\n${readFileSync(join(home, 'nats.ndjson'), 'utf8')}`)
    const imported = await runCli(
      ['dlq', 'import', join(home, 'nats-bad.ndjson'), '--to', `nats:${copy}`, '--yes', '--skip-invalid', '--json'],
      {env},
    )
    expect(jsonOf(imported).result).toMatchObject({published: 1, skipped: 1})
    const again = envelopes((await runCli(['dlq', 'export', `nats:${copy}`], {env})).stdout)
    expect(again.map((e) => payload(e, true))).toEqual(original.map((e) => payload(e, true)))
  })
})
