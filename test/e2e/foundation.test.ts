// The built CLI against the real local brokers: what a new user sees from ping, targets and bad input.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import amqp from 'amqplib'
import {Kafka, logLevel} from 'kafkajs'
import {connect} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {isolatedConfigHome, jsonOf, runCli} from '../helpers/cli.js'
import {uniqueName} from '../helpers/brokers.js'

describe('mailroom ping', () => {
  it('reports RabbitMQ, Kafka and NATS up with version, latency and capabilities', async () => {
    const r = await runCli(['ping', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const {status, result} = jsonOf<{brokers: any[]}>(r)
    expect(status).toBe(0)
    expect(result.brokers.map((b) => [b.broker, b.up])).toEqual([
      ['rabbitmq', true],
      ['kafka', true],
      ['nats', true],
    ])
    for (const b of result.brokers) {
      // kafkajs cannot ask a broker for its release; RabbitMQ and NATS report theirs
      if (b.broker !== 'kafka') expect(b.version).toMatch(/\d+\.\d+/)
      expect(b.product).toBeTruthy()
      expect(b.latencyMs).toBeGreaterThanOrEqual(0)
      expect(b.capabilities.length).toBeGreaterThan(0)
    }
  })

  it('exits 3 within seconds when NATS is unreachable, saying why', async () => {
    const r = await runCli(['ping', '--broker', 'nats', '--connect-timeout', '2000'], {
      env: {MAILROOM_NATS_URL: 'nats://127.0.0.1:1'},
    })
    expect(r.code).toBe(3)
    // Never hangs: bounded by the connect timeout plus process start (generous for a loaded 2-core machine).
    expect(r.ms).toBeLessThan(10_000)
    expect(r.stdout).toMatch(/nats\s+│?\s*DOWN/)
    expect(r.stdout).toMatch(/CONNECTION: .*refused/i)
  })

  it('reports one broker down in its row while the others are up', async () => {
    const r = await runCli(['ping', '--json', '--connect-timeout', '3000'], {
      env: {MAILROOM_KAFKA_BROKERS: '127.0.0.1:1'},
    })
    expect(r.code).toBe(3)
    const {status, result} = jsonOf<{brokers: any[]}>(r)
    expect(status).toBe(3)
    const kafka = result.brokers.find((b) => b.broker === 'kafka')
    expect(kafka).toMatchObject({up: false, error: {code: 'CONNECTION'}})
    expect(result.brokers.filter((b) => b.up).map((b) => b.broker)).toEqual(['rabbitmq', 'nats'])
  })

  it('says the credentials were refused, exit 3, without echoing the password', async () => {
    const r = await runCli(['ping', '-b', 'rabbitmq', '--json'], {
      env: {MAILROOM_RABBITMQ_URL: 'amqp://guest:hunter2-wrong@127.0.0.1:5672'},
    })
    expect(r.code).toBe(3)
    const {result} = jsonOf<{brokers: any[]}>(r)
    expect(result.brokers[0].error.code).toBe('AUTH')
    expect(r.stdout + r.stderr).not.toContain('hunter2-wrong')
  })
})

describe('mailroom targets', () => {
  const queue = uniqueName('e2e-q')
  const topic = uniqueName('e2e-topic')
  const stream = uniqueName('E2E_S').replaceAll('-', '_')
  const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})

  beforeAll(async () => {
    const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
    const ch = await conn.createChannel()
    await ch.assertQueue(queue, {durable: false})
    ch.sendToQueue(queue, Buffer.from('x'))
    await ch.close()
    await conn.close()
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({topics: [{topic, numPartitions: 3}], waitForLeaders: true})
    await admin.disconnect()
    const nc = await connect({servers: '127.0.0.1:4222'})
    await (await nc.jetstreamManager()).streams.add({name: stream, subjects: [`${stream}.>`]})
    await nc.close()
  })

  afterAll(async () => {
    const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
    const ch = await conn.createChannel()
    await ch.deleteQueue(queue)
    await conn.close()
    const admin = kafka.admin()
    await admin.connect()
    await admin.deleteTopics({topics: [topic]})
    await admin.disconnect()
    const nc = await connect({servers: '127.0.0.1:4222'})
    await (await nc.jetstreamManager()).streams.delete(stream)
    await nc.close()
  })

  it('lists a queue, a topic and a stream in a status-0 envelope', async () => {
    const r = await runCli(['targets', 'list', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const {status, result} = jsonOf<{targets: any[]}>(r)
    expect(status).toBe(0)
    expect(result.targets).toContainEqual(
      expect.objectContaining({broker: 'rabbitmq', name: queue, kind: 'classic-queue'}),
    )
    expect(result.targets).toContainEqual(
      expect.objectContaining({broker: 'kafka', name: topic, kind: 'topic', partitions: 3}),
    )
    expect(result.targets).toContainEqual(expect.objectContaining({broker: 'nats', name: stream, kind: 'stream'}))
  })

  it('renders a table and YAML', async () => {
    const table = await runCli(['targets', 'list', '-b', 'kafka'])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/TARGET\s.*KIND/)
    expect(table.stdout).toContain(`kafka:${topic}`)
    const yaml = await runCli(['targets', 'list', '-b', 'nats', '-o', 'yaml'])
    expect(yaml.stdout).toContain(`name: ${stream}`)
  })

  it('describes a topic, and says a missing target is not found (exit 4)', async () => {
    const r = await runCli(['targets', 'describe', `kafka:${topic}`, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(jsonOf(r).result).toMatchObject({name: topic, partitions: 3})
    const missing = await runCli(['targets', 'describe', `rabbitmq:${queue}-missing`])
    expect(missing.code).toBe(4)
    expect(missing.stderr).toMatch(/^Error: .*not found/im)
  })
})

describe('help', () => {
  it('lists every topic with its own description', async () => {
    const r = await runCli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^ {2}dlq +Find, inspect, replay, purge, export and import dead letters/m)
    expect(r.stdout).toMatch(/^ {2}demo +Create and remove a demo scenario/m)
  })

  it('answers <command> --help from the build exactly as oclif renders it, with examples', async () => {
    for (const command of [['dlq', 'replay'], ['tail'], ['publish']]) {
      const fast = await runCli([...command, '--help'])
      const oclif = await runCli([...command, '--help'], {env: {OCLIF_COLUMNS: '80'}})
      expect(fast.code).toBe(0)
      expect(fast.stdout).toBe(oclif.stdout)
      expect(fast.stdout).toMatch(/^EXAMPLES\n/m)
      expect(fast.stdout).toContain(`$ mailroom ${command.join(' ')} `)
    }
  })
})

describe('bad input', () => {
  const cases: [string, string[], Record<string, string>, number, RegExp][] = [
    ['an unknown broker name', ['ping', '--broker', 'redis'], {}, 2, /Expected --broker=redis to be one of/],
    ['a malformed URL', ['ping', '--rabbitmq-url', 'amqp//nope'], {}, 2, /malformed RabbitMQ URL/],
    [
      'a malformed Kafka broker list',
      ['ping'],
      {MAILROOM_KAFKA_BROKERS: 'kafka:port'},
      2,
      /malformed Kafka broker address/,
    ],
    ['a target without a broker', ['targets', 'describe', 'orders'], {}, 2, /is not a target: write <broker>:<name>/],
    ['an unknown context', ['ping', '--context', 'nope'], {}, 2, /no context named "nope"/],
    ['an unknown flag', ['targets', 'list', '--colour'], {}, 2, /Nonexistent flag: --colour/],
  ]
  for (const [what, args, env, code, message] of cases) {
    it(`${what}: one line with a suggestion, exit ${code}, no stack trace`, async () => {
      const r = await runCli(args, {env})
      expect(r.code).toBe(code)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).toMatch(/^  Try: /m)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      const json = await runCli([...args, '--json'], {env})
      expect(json.code).toBe(code)
      expect(jsonOf(json)).toMatchObject({
        status: code,
        error: {code: expect.any(String), message: expect.stringMatching(message)},
      })
    })
  }

  it('names the file and line of a corrupt config file', async () => {
    const home = isolatedConfigHome()
    mkdirSync(join(home, 'mailroom'))
    writeFileSync(
      join(home, 'mailroom', 'config.yaml'),
      'currentContext: a\ncontexts:\n  a:\n    kafka: {brokers: [x\n',
    )
    const r = await runCli(['ping'], {env: {XDG_CONFIG_HOME: home}})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/config\.yaml:\d+: invalid YAML/)
  })

  it('shows the stack trace with --debug', async () => {
    const r = await runCli(['ping', '--rabbitmq-url', 'amqp//nope', '--debug'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/\n\s+at /)
    // Through the source maps: the TypeScript sources, not the bundle's chunks.
    expect(r.stderr).toMatch(/\n\s+at parseUrl \(.*src\/core\/config\/resolve\.ts:\d+:\d+\)/)
  })
})

describe('contexts', () => {
  it('set, list, use, show and delete, with the read-only flag and no secret stored', async () => {
    const home = isolatedConfigHome()
    const env = {XDG_CONFIG_HOME: home}
    expect((await runCli(['context', 'set', 'dev', '--nats-url', 'nats://127.0.0.1:4222'], {env})).code).toBe(0)
    expect(
      (await runCli(['context', 'set', 'prod', '--kafka-brokers', '127.0.0.1:9092', '--read-only'], {env})).code,
    ).toBe(0)
    const list = jsonOf<{contexts: any[]}>(await runCli(['context', 'list', '--json'], {env}))
    expect(list.result.contexts).toEqual([
      expect.objectContaining({name: 'dev', current: true, brokers: ['nats'], readOnly: false}),
      expect.objectContaining({name: 'prod', current: false, brokers: ['kafka'], readOnly: true}),
    ])
    expect((await runCli(['context', 'use', 'prod'], {env})).code).toBe(0)
    const ping = jsonOf<{brokers: any[]}>(await runCli(['ping', '--json'], {env}))
    expect(ping.result.brokers.map((b) => b.broker)).toEqual(['kafka'])
    expect((await runCli(['context', 'show'], {env})).stdout).toMatch(/prod:\n\s+readOnly: true/)
    expect((await runCli(['context', 'delete', 'dev'], {env})).code).toBe(0)
    expect((await runCli(['context', 'use', 'dev'], {env})).code).toBe(4)
  }, 120_000)
})
