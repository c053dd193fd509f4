// publish / tail / peek / request of the built CLI on the real RabbitMQ broker.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import amqp, {type Channel, type ChannelModel} from 'amqplib'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import type {Envelope, Header} from '../../src/model/envelope/types.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {BIN, jsonOf, runCli} from '../helpers/cli.js'
import {base64Body, content, ndjson, parseNdjson, pipeCli, randomBinary, startCli} from '../helpers/messaging.js'

// Each test runs several CLI processes against real brokers; on a loaded 2-core machine that takes a while.
vi.setConfig({testTimeout: 120_000})

const MANAGEMENT = 'http://127.0.0.1:15672/api'
const AUTH = {authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`}
let conn: ChannelModel
let ch: Channel
const queues: string[] = []
const exchanges: string[] = []
const dir = mkdtempSync(join(tmpdir(), 'mailroom-rabbit-e2e-'))

async function newQueue(prefix: string, args: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName(prefix)
  await ch.assertQueue(name, {durable: true, arguments: args})
  queues.push(name)
  return name
}

async function depth(queue: string): Promise<number> {
  return (await ch.checkQueue(queue)).messageCount
}

async function management<T>(path: string): Promise<T> {
  const res = await fetch(`${MANAGEMENT}${path}`, {headers: AUTH})
  if (!res.ok) throw new Error(`${path}: ${res.status}`)
  return (await res.json()) as T
}

/** Typed AMQP header values, as the envelope writes them (integers within 2^53: amqplib reads longs as numbers). */
function typedHeaders(i: number): Header[] {
  return [
    ['text', `t-${i}`],
    ['long', {int: String(2 ** 40 + i)}],
    ['negative', {int: '-7'}],
    ['float', {float: 1.25}],
    ['flag', {bool: i % 2 === 0}],
    ['at', {timestamp: 1_700_000_000 + i}],
    ['price', {decimal: {places: 2, digits: 1999}}],
    ['list', {array: ['a', {int: '1'}, {bool: false}, {table: [['nested', 'yes']]}]}],
    [
      'table',
      {
        table: [
          ['k', 'v'],
          ['n', {int: '2'}],
          ['bin', {bytes: randomBinary(2, 6).toString('base64')}],
        ],
      },
    ],
    ['bytes', {bytes: randomBinary(1, 12).toString('base64')}],
    ['nothing', {null: true}],
  ]
}

function typedMessages(count: number): Envelope[] {
  return Array.from({length: count}, (_, i) => ({
    v: 1,
    headers: typedHeaders(i),
    properties: {
      contentType: 'application/octet-stream',
      contentEncoding: 'identity',
      messageId: `m-${i}`,
      correlationId: `c-${i}`,
      replyTo: 'replies',
      expiration: '600000',
      priority: i % 10,
      deliveryMode: 2,
      type: 'order.created',
      appId: 'e2e',
      userId: 'guest',
      timestamp: 1_700_000_000 + i,
    },
    body: base64Body(randomBinary(1, 300)),
  }))
}

const withoutRouting = (e: Envelope) => content(e, ['headers', 'properties', 'body'])

/** Drains a classic / quorum queue through mailroom itself (consume up to the depth seen at start). */
async function drain(queue: string): Promise<Envelope[]> {
  const r = await runCli(['tail', `rabbitmq:${queue}`, '--consume', '--until-end', '-o', 'ndjson'])
  expect(r.code, r.stderr).toBe(0)
  return parseNdjson(r.stdout)
}

beforeAll(async () => {
  conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
  ch = await conn.createChannel()
})

afterAll(async () => {
  for (const q of queues) await ch.deleteQueue(q).catch(() => undefined)
  for (const x of exchanges) await ch.deleteExchange(x).catch(() => undefined)
  await conn.close()
  rmSync(dir, {recursive: true, force: true})
})

describe('rabbitmq: publish -> tail', () => {
  it('reproduces binary bodies, AMQP typed header values and every property exactly', async () => {
    const queue = await newQueue('e2e-typed')
    const sent = typedMessages(20)
    const pub = await runCli(['publish', `rabbitmq:${queue}`, '--input', 'ndjson'], {input: ndjson(sent)})
    expect(pub.code, pub.stderr).toBe(0)
    const got = await drain(queue)
    expect(got.map(withoutRouting)).toEqual(sent.map(withoutRouting))
    expect(await depth(queue)).toBe(0)
  })

  it('a live tail sees new messages exactly, leaves the queue untouched, and Ctrl-C (exit 130) removes its temporary queue', async () => {
    const exchange = uniqueName('e2e-x')
    await ch.assertExchange(exchange, 'topic', {durable: false})
    exchanges.push(exchange)
    const queue = await newQueue('e2e-live')
    await ch.bindQueue(queue, exchange, 'orders.#')
    const tail = startCli(['tail', `rabbitmq:${queue}`, '-o', 'ndjson'])
    const sent = typedMessages(3)
    try {
      // Publish until the tail prints the first one: then its temporary queue is bound.
      let published = 0
      const first = await waitFor(
        async () => {
          published++
          await runCli(
            ['publish', `rabbitmq:${queue}`, '--exchange', exchange, '--key', 'orders.eu', '--input', 'ndjson'],
            {input: ndjson(sent.slice(0, 1))},
          )
          return tail.stdout().length > 0
        },
        {timeoutMs: 30_000, intervalMs: 300},
      )
      expect(first).toBe(true)
      const before = parseNdjson(tail.stdout()).length
      const pub = await runCli(
        ['publish', `rabbitmq:${queue}`, '--exchange', exchange, '--key', 'orders.eu', '--input', 'ndjson'],
        {input: ndjson(sent.slice(1))},
      )
      expect(pub.code, pub.stderr).toBe(0)
      await waitFor(() => parseNdjson(tail.stdout()).length >= before + 2)
      const seen = parseNdjson(tail.stdout())
      expect(seen.slice(-2).map(withoutRouting)).toEqual(sent.slice(1).map(withoutRouting))
      expect(seen.at(-1)!.meta).toMatchObject({exchange, routingKey: 'orders.eu'})
      const bound = await management<{destination: string}[]>(
        `/exchanges/%2F/${encodeURIComponent(exchange)}/bindings/source`,
      )
      expect(bound.length).toBe(2) // the queue and the tail's temporary copy
      tail.child.kill('SIGINT')
      const r = await tail.exited
      expect(r.code, r.stderr).toBe(130)
      const after = await management<{destination: string}[]>(
        `/exchanges/%2F/${encodeURIComponent(exchange)}/bindings/source`,
      )
      expect(after.map((b) => b.destination)).toEqual([queue])
      expect(await depth(queue)).toBe(published + 2) // nothing consumed from the real queue
    } finally {
      tail.child.kill('SIGKILL')
    }
  })

  it('tail --consume --until-end | publish --input ndjson copies a queue byte for byte', async () => {
    const source = await newQueue('e2e-src')
    const copy = await newQueue('e2e-copy')
    const sent = typedMessages(15)
    expect((await runCli(['publish', `rabbitmq:${source}`, '--input', 'ndjson'], {input: ndjson(sent)})).code).toBe(0)
    const {left, right} = await pipeCli(
      ['tail', `rabbitmq:${source}`, '--consume', '--until-end', '-o', 'ndjson'],
      ['publish', `rabbitmq:${copy}`, '--input', 'ndjson'],
    )
    expect(left.code, left.stderr).toBe(0)
    expect(right.code, right.stderr).toBe(0)
    expect((await drain(copy)).map(withoutRouting)).toEqual(sent.map(withoutRouting))
  })

  it('stream queues: tail --until-end | publish copies one stream into another (stream-safe header types)', async () => {
    const source = await newQueue('e2e-stream', {'x-queue-type': 'stream'})
    const copy = await newQueue('e2e-stream-copy', {'x-queue-type': 'stream'})
    // RabbitMQ 3.10 streams store headers as AMQP 1.0 application properties: sorted by name, no arrays, tables
    // or decimals. The header names here are in sorted order so the comparison is exact.
    const sent: Envelope[] = Array.from({length: 10}, (_, i) => ({
      v: 1,
      headers: [
        ['a-text', `t${i}`],
        ['b-long', {int: String(2 ** 33 + i)}],
        ['c-bytes', {bytes: randomBinary(1, 8).toString('base64')}],
        ['d-flag', {bool: true}],
        ['e-at', {timestamp: 1_700_000_000}],
      ],
      properties: {contentType: 'application/x-test', messageId: `m${i}`, priority: 1},
      body: base64Body(randomBinary(1, 200)),
    }))
    expect((await runCli(['publish', `rabbitmq:${source}`, '--input', 'ndjson'], {input: ndjson(sent)})).code).toBe(0)
    const {left, right} = await pipeCli(
      ['tail', `rabbitmq:${source}`, '--until-end', '-o', 'ndjson'],
      ['publish', `rabbitmq:${copy}`, '--input', 'ndjson'],
    )
    expect(left.code, left.stderr).toBe(0)
    expect(right.code, right.stderr).toBe(0)
    const read = async (q: string) =>
      parseNdjson((await runCli(['tail', `rabbitmq:${q}`, '--until-end', '-o', 'ndjson'])).stdout)
    const original = await read(source)
    expect(original.map(withoutRouting)).toEqual(sent.map(withoutRouting))
    expect((await read(copy)).map(withoutRouting)).toEqual(sent.map(withoutRouting))
  })
})

describe('rabbitmq: peek and --until-end', () => {
  it('peek of a classic queue keeps depth and order, and warns that the messages are now redelivered', async () => {
    const queue = await newQueue('e2e-peek')
    await runCli(['publish', `rabbitmq:${queue}`, '--input', 'ndjson'], {
      input: ndjson(['a', 'b', 'c', 'd'].map((t) => ({v: 1, headers: [], body: {utf8: t}}))),
    })
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['peek', `rabbitmq:${queue}`, '-n', '3', '-o', 'ndjson'])
      expect(r.code, r.stderr).toBe(0)
      expect(parseNdjson(r.stdout).map((e) => (e.body as {utf8: string}).utf8)).toEqual(['a', 'b', 'c'])
      expect(r.stderr).toMatch(/warning: .*redelivered/)
    }
    expect(await depth(queue)).toBe(4)
    expect((await drain(queue)).map((e) => (e.body as {utf8: string}).utf8)).toEqual(['a', 'b', 'c', 'd'])
  })

  it('refuses a quorum queue with a delivery limit (exit 9) unless --force, which warns', async () => {
    const queue = await newQueue('e2e-quorum', {'x-queue-type': 'quorum', 'x-delivery-limit': 5})
    await runCli(['publish', `rabbitmq:${queue}`, 'q1'])
    const refused = await runCli(['peek', `rabbitmq:${queue}`])
    expect(refused.code).toBe(9)
    expect(refused.stderr).toMatch(/delivery limit of 5/)
    const forced = await runCli(['peek', `rabbitmq:${queue}`, '--force', '-o', 'ndjson'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(parseNdjson(forced.stdout).map((e) => e.body)).toEqual([{utf8: 'q1'}])
    expect(forced.stderr).toMatch(/x-delivery-count/)
    expect(await depth(queue)).toBe(1)
  })

  it('peek of a stream queue has no side effect and no warning', async () => {
    const stream = await newQueue('e2e-peek-stream', {'x-queue-type': 'stream'})
    await runCli(['publish', `rabbitmq:${stream}`, 's1'])
    const r = await runCli(['peek', `rabbitmq:${stream}`, '-o', 'ndjson'])
    expect(r.code, r.stderr).toBe(0)
    expect(parseNdjson(r.stdout).map((e) => e.body)).toEqual([{utf8: 's1'}])
    expect(r.stderr).not.toContain('warning')
  })

  it('tail --until-end stops on empty and non-empty stream queues, and --consume --until-end on an empty queue', async () => {
    const empty = await newQueue('e2e-empty-stream', {'x-queue-type': 'stream'})
    const r1 = await runCli(['tail', `rabbitmq:${empty}`, '--until-end'], {timeoutMs: 20_000})
    expect(r1.code, r1.stderr).toBe(0)
    expect(r1.stderr).toContain('0 message(s)')
    const some = await newQueue('e2e-some-stream', {'x-queue-type': 'stream'})
    await runCli(['publish', `rabbitmq:${some}`, 'x', '--count', '5'])
    const r2 = await runCli(['tail', `rabbitmq:${some}`, '--until-end', '-o', 'ndjson'], {timeoutMs: 20_000})
    expect(r2.code, r2.stderr).toBe(0)
    expect(parseNdjson(r2.stdout)).toHaveLength(5)
    const classic = await newQueue('e2e-empty-classic')
    const r3 = await runCli(['tail', `rabbitmq:${classic}`, '--consume', '--until-end'], {timeoutMs: 20_000})
    expect(r3.code, r3.stderr).toBe(0)
  })
})

describe('rabbitmq: request', () => {
  it('gets the reply through direct reply-to, and times out with exit 6 when none comes', async () => {
    const queue = await newQueue('e2e-rpc')
    const server = await conn.createChannel()
    await server.consume(queue, (msg) => {
      if (!msg) return
      const {replyTo, correlationId} = msg.properties
      server.sendToQueue(replyTo, Buffer.concat([Buffer.from('re:'), msg.content]), {
        correlationId,
        headers: {served: 1},
      })
      server.ack(msg)
    })
    try {
      const r = await runCli(['request', `rabbitmq:${queue}`, 'ping', '--json'])
      expect(r.code, r.stderr).toBe(0)
      const {result} = jsonOf<{correlationId: string; reply: Envelope}>(r)
      expect(result.reply.body).toEqual({utf8: 're:ping'})
      expect(result.reply.properties?.correlationId).toBe(result.correlationId)
      expect(result.reply.headers).toEqual([['served', {int: '1'}]])
    } finally {
      await server.close()
    }
    const silent = await runCli(['request', `rabbitmq:${queue}`, 'ping', '--timeout', '1s'])
    expect(silent.code).toBe(6)
    expect(silent.stderr).toMatch(/no reply from queue .* within 1000 ms/)
    expect(await depth(queue)).toBe(1) // the unanswered request waits in the queue
  })
})

describe('rabbitmq: bad input', () => {
  it('an unroutable message is reported and exits 8', async () => {
    const exchange = uniqueName('e2e-x-unroutable')
    await ch.assertExchange(exchange, 'direct', {durable: false})
    exchanges.push(exchange)
    const r = await runCli(['publish', `rabbitmq:${exchange}`, '--exchange', exchange, '--key', 'nobody', 'lost?'])
    expect(r.code).toBe(8)
    expect(r.stderr).toMatch(/message #1 was not published: NOT_FOUND: returned unroutable \(312 NO_ROUTE\)/)
  })

  it('a nonexistent queue is exit 4 for publish, tail, peek and request, and is not created', async () => {
    const missing = uniqueName('e2e-missing')
    for (const args of [
      ['publish', `rabbitmq:${missing}`, 'x'],
      ['tail', `rabbitmq:${missing}`],
      ['peek', `rabbitmq:${missing}`],
      ['request', `rabbitmq:${missing}`, 'x'],
    ]) {
      const r = await runCli(args)
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(4)
      expect(r.stderr).toContain(missing)
    }
    await expect(management(`/queues/%2F/${missing}`)).rejects.toThrow('404')
  })

  it('a message over the broker max_message_size (128 MiB) is refused: exit 8, the limit named', async () => {
    const queue = await newQueue('e2e-big')
    const file = join(dir, 'big.bin')
    writeFileSync(file, Buffer.alloc(128 * 1024 * 1024 + 1))
    const r = await runCli(['publish', `rabbitmq:${queue}`, '--file', file], {timeoutMs: 120_000})
    rmSync(file)
    expect(r.code, r.stderr).toBe(8)
    expect(r.stderr).toContain('larger than configured max size 134217728')
    expect(await depth(queue)).toBe(0)
  }, 120_000)

  it('binary bodies are escaped on a terminal (raw and pretty)', async () => {
    const queue = await newQueue('e2e-tty')
    const nasty = Buffer.from('\u001b[31mred\u0007\u001b]0;title\u0007 end', 'utf8')
    await runCli(['publish', `rabbitmq:${queue}`, '--file', writeTemp('nasty.bin', nasty)])
    for (const output of ['raw', 'pretty']) {
      const screen = inTerminal([BIN, 'peek', `rabbitmq:${queue}`, '-o', output])
      // eslint-disable-next-line no-control-regex -- the escape codes a peek must not let through
      expect(screen).not.toMatch(/\u001b|\u0007/)
      expect(screen).toContain('\\x1b[31mred\\x07')
    }
  })
})

function writeTemp(name: string, bytes: Buffer): string {
  const file = join(dir, name)
  writeFileSync(file, bytes)
  return file
}

/** Runs the CLI with stdout on a pseudo-terminal (util-linux `script`) and returns what the terminal received. */
function inTerminal(args: string[]): string {
  const command = [process.execPath, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  return execFileSync('script', ['-qec', command, '/dev/null'], {
    env: {...process.env, NO_COLOR: '1'},
    encoding: 'utf8',
  })
}
