// The RabbitMQ adapter against the real broker on this machine (RabbitMQ 3.10, management plugin on :15672).
import {randomBytes} from 'node:crypto'
import {createRequire} from 'node:module'
import path from 'node:path'
import amqp, {type ChannelModel, type ConfirmChannel} from 'amqplib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {RabbitMqAdapter} from '../../src/adapters/rabbitmq/adapter.js'
import {publishOptionsFromEnvelope} from '../../src/adapters/rabbitmq/map.js'
import type {Delivery, ReadOptions} from '../../src/adapters/types.js'
import {MailroomError} from '../../src/model/errors.js'
import type {Envelope, Header, HeaderValue} from '../../src/model/envelope/types.js'
import {localSettings, uniqueName, waitFor} from '../helpers/brokers.js'

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672'
const MGMT = 'http://127.0.0.1:15672'

let raw: ChannelModel
let ch: ConfirmChannel
let adapter: RabbitMqAdapter

function settings(over: Partial<{url: string; managementUrl: string}> = {}) {
  return {...localSettings().rabbitmq!, ...over}
}

async function mgmtGet<T>(p: string): Promise<T> {
  const res = await fetch(`${MGMT}${p}`, {
    headers: {authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`},
  })
  if (!res.ok) throw new Error(`${p}: HTTP ${res.status}`)
  return (await res.json()) as T
}

async function collect<T>(it: AsyncIterable<T>, max = Number.POSITIVE_INFINITY): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) {
    out.push(x)
    if (out.length >= max) break
  }
  return out
}

async function readAll(target: string, o: ReadOptions): Promise<Delivery[]> {
  const deliveries: Delivery[] = []
  for await (const d of adapter.read(target, o)) {
    deliveries.push(d)
    await d.settle('ack')
  }
  return deliveries
}

async function errorOf(p: Promise<unknown> | (() => Promise<unknown>)): Promise<MailroomError> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (error) {
    expect(error).toBeInstanceOf(MailroomError)
    return error as MailroomError
  }
  throw new Error('expected a MailroomError')
}

async function declareQueue(prefix: string, args: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName(prefix)
  await ch.assertQueue(name, {durable: true, arguments: args})
  return name
}

function env(body: Buffer | string, headers: Header[] = [], properties: Envelope['properties'] = undefined): Envelope {
  const b = typeof body === 'string' ? {utf8: body} : {base64: body.toString('base64')}
  return {v: 1, headers, body: b, ...(properties ? {properties} : {})}
}

/** Random bytes that are never valid UTF-8 (0xff cannot occur in UTF-8). */
function binary(n: number): Buffer {
  return Buffer.concat([Buffer.from([0xff]), randomBytes(n)])
}

const TYPED_HEADERS: Header[] = [
  ['text', 'plain ✓'],
  ['raw', {bytes: binary(16).toString('base64')}],
  ['long', {int: '9007199254740991'}],
  ['negative', {int: '-42'}],
  ['when', {timestamp: 1_700_000_000}],
  ['ratio', {float: 0.25}],
  ['flag', {bool: true}],
  ['nothing', {null: true}],
  ['money', {decimal: {places: 2, digits: 12345}}],
  ['list', {array: ['a', {int: '1'}, {bytes: binary(4).toString('base64')}]}],
  [
    'nested',
    {
      table: [
        ['inner', 'x'],
        ['n', {int: '7'}],
      ],
    },
  ],
]

const ALL_PROPERTIES = {
  contentType: 'application/octet-stream',
  contentEncoding: 'identity',
  messageId: 'm-1',
  correlationId: 'c-1',
  replyTo: 'reply.queue',
  expiration: '600000',
  priority: 3,
  deliveryMode: 2,
  type: 'order.created',
  appId: 'mailroom-test',
  userId: 'guest',
  timestamp: 1_700_000_123,
}

beforeAll(async () => {
  raw = await amqp.connect(AMQP_URL)
  ch = await raw.createConfirmChannel()
  adapter = new RabbitMqAdapter(settings(), 5000)
  await adapter.connect()
})

afterAll(async () => {
  await adapter?.close()
  await raw?.close()
})

describe('connection', () => {
  it('close is idempotent, also without connect; connect twice is harmless', async () => {
    const a = new RabbitMqAdapter(settings(), 5000)
    await a.close()
    await a.connect()
    await a.connect()
    expect((await a.serverInfo()).product).toBe('RabbitMQ')
    await a.close()
    await a.close()
    await a[Symbol.asyncDispose]()
  })

  it('serverInfo reports product, version and a measured round trip', async () => {
    const info = await adapter.serverInfo()
    expect(info.product).toBe('RabbitMQ')
    expect(info.version).toMatch(/^3\./)
    expect(info.latencyMs).toBeGreaterThan(0)
    expect(info.latencyMs).toBeLessThan(1000)
  })

  it('an unreachable port gives CONNECTION within the timeout', async () => {
    const a = new RabbitMqAdapter(settings({url: 'amqp://guest:guest@127.0.0.1:1'}), 2000)
    const started = Date.now()
    const error = await errorOf(a.connect())
    expect(Date.now() - started).toBeLessThan(2500)
    expect(error.code).toBe('CONNECTION')
    expect(error.message).toContain('connection refused at 127.0.0.1:1')
  })

  it('an unknown host gives CONNECTION "host not found"', async () => {
    const error = await errorOf(new RabbitMqAdapter(settings({url: 'amqp://nosuchhost.invalid'}), 3000).connect())
    expect(error.code).toBe('CONNECTION')
    expect(error.message).toContain('host not found')
  })

  it('a wrong password gives AUTH, and the password is never in the message', async () => {
    const a = new RabbitMqAdapter(settings({url: 'amqp://guest:wrongpassword@127.0.0.1:5672'}), 5000)
    const error = await errorOf(a.connect())
    expect(error.code).toBe('AUTH')
    expect(error.message).toContain('authentication failed for user guest')
    expect(JSON.stringify(error.toInfo())).not.toContain('wrongpassword')
  })

  it('a vhost that does not exist gives AUTH naming the vhost', async () => {
    const vhost = uniqueName('no-vhost')
    const error = await errorOf(new RabbitMqAdapter(settings({url: `${AMQP_URL}/${vhost}`}), 5000).connect())
    expect(error.code).toBe('AUTH')
    expect(error.message).toContain(vhost)
  })

  it('connect honours an already aborted signal', async () => {
    const a = new RabbitMqAdapter(settings(), 5000)
    const error = await errorOf(a.connect({signal: AbortSignal.abort()}))
    expect(error.code).toBe('INTERRUPTED')
    await a.close()
  })
})

describe('targets and stats', () => {
  it('listTargets sees queues of every type created with the raw driver', async () => {
    const classic = await declareQueue('rmq-list-classic')
    const quorum = await declareQueue('rmq-list-quorum', {'x-queue-type': 'quorum'})
    const stream = await declareQueue('rmq-list-stream', {'x-queue-type': 'stream'})
    const targets = await adapter.listTargets()
    const kindOf = (n: string) => targets.find((t) => t.name === n)?.kind
    expect(kindOf(classic)).toBe('classic-queue')
    expect(kindOf(quorum)).toBe('quorum-queue')
    expect(kindOf(stream)).toBe('stream-queue')
    for (const q of [classic, quorum, stream]) await ch.deleteQueue(q)
  })

  it('the listing reflects messages published with the raw driver', async () => {
    const q = await declareQueue('rmq-stats', {'x-max-length': 1000})
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`))
    await ch.waitForConfirms()
    // Management statistics refresh every 5 s and the fields of one sample can disagree: poll until they settle.
    const row = await waitFor(
      async () =>
        (await adapter.listTargets()).find(
          (t) => t.name === q && t.depth === 3 && t.details?.ready === 3 && t.consumers !== undefined,
        ),
      {timeoutMs: 15_000},
    )
    expect(row).toMatchObject({
      broker: 'rabbitmq',
      kind: 'classic-queue',
      consumers: 0,
      details: {ready: 3, unacked: 0},
    })
    const info = await adapter.describeTarget(q)
    expect(info).toMatchObject({name: q, kind: 'classic-queue', depth: 3})
    expect(info.details?.arguments).toEqual({'x-max-length': 1000})
    await ch.deleteQueue(q)
  })

  it('describeTarget of a missing queue is NOT_FOUND', async () => {
    const error = await errorOf(adapter.describeTarget(uniqueName('rmq-missing')))
    expect(error.code).toBe('NOT_FOUND')
  })

  it('without the management API, describeTarget answers from AMQP and listTargets says how to enable it', async () => {
    const a = new RabbitMqAdapter(settings({managementUrl: 'http://127.0.0.1:1'}), 2000)
    await a.connect()
    const q = await declareQueue('rmq-nomgmt')
    ch.sendToQueue(q, Buffer.from('x'))
    await ch.waitForConfirms()
    expect(await a.describeTarget(q)).toMatchObject({
      broker: 'rabbitmq',
      name: q,
      kind: 'classic-queue',
      depth: 1,
      consumers: 0,
    })
    const error = await errorOf(a.listTargets())
    expect(error.code).toBe('CONNECTION')
    expect(error.suggestions.join(' ')).toContain('rabbitmq-plugins enable rabbitmq_management')
    await a.close()
    await ch.deleteQueue(q)
  })
})

describe('publish and read', () => {
  it('round-trips random binary bodies, typed headers and every property byte-exact', async () => {
    const q = await declareQueue('rmq-roundtrip')
    const sent = Array.from({length: 50}, (_, i) =>
      env(binary(1 + ((i * 37) % 300)), [...TYPED_HEADERS, ['i', {int: String(i)}]], {
        ...ALL_PROPERTIES,
        messageId: `m-${i}`,
      }),
    )
    const receipts = await collect(adapter.publish(q, sent, {window: 8}))
    expect(receipts.map((r) => r.ok)).toEqual(sent.map(() => true))
    expect(receipts.map((r) => r.index).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i))

    const got = await readAll(q, {consume: true, untilEnd: true})
    expect(got).toHaveLength(50)
    got.forEach((d, i) => {
      expect(d.envelope.body).toEqual(sent[i].body)
      expect(d.envelope.headers).toEqual(sent[i].headers)
      expect(d.envelope.properties).toEqual(sent[i].properties)
      expect(d.envelope).toMatchObject({broker: 'rabbitmq', target: q, key: q, timestamp: '2023-11-14T22:15:23.000Z'})
      expect(d.envelope.meta).toEqual({exchange: '', routingKey: q, redelivered: false})
    })
    expect((await ch.checkQueue(q)).messageCount).toBe(0)
    await ch.deleteQueue(q)
  })

  it('publishing to a missing queue or exchange is NOT_FOUND', async () => {
    expect((await errorOf(collect(adapter.publish(uniqueName('rmq-nope'), [env('x')])))).code).toBe('NOT_FOUND')
    const error = await errorOf(collect(adapter.publish('ignored', [env('x')], {exchange: uniqueName('rmq-nox')})))
    expect(error.code).toBe('NOT_FOUND')
  })

  it('publishing after preparePublish works, also a second time; a missing queue fails the prepare and the publish', async () => {
    const q = await declareQueue('rmq-prepared')
    await adapter.preparePublish(q)
    const first = await collect(adapter.publish(q, [env('one'), env('two')]))
    const second = await collect(adapter.publish(q, [env('three')]))
    expect([...first, ...second].every((r) => r.ok)).toBe(true)
    expect((await ch.checkQueue(q)).messageCount).toBe(3)
    const missing = uniqueName('rmq-prepared-nope')
    await expect(adapter.preparePublish(missing)).rejects.toMatchObject({code: 'NOT_FOUND'})
    expect((await errorOf(collect(adapter.publish(missing, [env('x')])))).code).toBe('NOT_FOUND')
    await ch.deleteQueue(q)
  })

  it('returned (unroutable) messages get ok:false receipts, matched to the right inputs', async () => {
    const exchange = uniqueName('rmq-route-x')
    await ch.assertExchange(exchange, 'direct', {autoDelete: true})
    const q = await declareQueue('rmq-route')
    await ch.bindQueue(q, exchange, 'good')
    const msgs = Array.from({length: 300}, (_, i) => ({...env(`n${i % 7}`), key: i % 3 === 0 ? 'nowhere' : 'good'}))
    const receipts = await collect(adapter.publish(q, msgs, {exchange, window: 64}))
    const failed = receipts
      .filter((r) => !r.ok)
      .map((r) => r.index)
      .sort((a, b) => a - b)
    expect(failed).toEqual(msgs.map((_, i) => i).filter((i) => i % 3 === 0))
    expect(receipts.find((r) => !r.ok)?.error?.code).toBe('NOT_FOUND')
    expect((await ch.checkQueue(q)).messageCount).toBe(200)
    await ch.deleteQueue(q)
    await ch.deleteExchange(exchange)
  })

  it('consumes its input lazily within the window', async () => {
    const q = await declareQueue('rmq-lazy')
    let pulled = 0
    let maxAhead = 0
    let yielded = 0
    function* input() {
      for (let i = 0; i < 2000; i++) {
        pulled++
        maxAhead = Math.max(maxAhead, pulled - yielded)
        yield env(`m${i}`)
      }
    }
    for await (const r of adapter.publish(q, input(), {window: 50})) {
      expect(r.ok).toBe(true)
      yielded++
    }
    expect(yielded).toBe(2000)
    expect(maxAhead).toBeLessThanOrEqual(51)
    await ch.deleteQueue(q)
  })

  it('untilEnd on a classic queue with consume stops at the depth captured at start, also when empty', async () => {
    const q = await declareQueue('rmq-drain')
    expect(await readAll(q, {consume: true, untilEnd: true})).toEqual([])
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(`m${i}`))
    await ch.waitForConfirms()
    const got = await readAll(q, {consume: true, untilEnd: true, prefetch: 2})
    expect(got.map((d) => d.envelope.body)).toEqual([0, 1, 2, 3, 4].map((i) => ({utf8: `m${i}`})))
    expect(await ch.checkQueue(q)).toMatchObject({messageCount: 0, consumerCount: 0})
    await ch.deleteQueue(q)
  })

  it('settle maps to ack / requeue / reject, and breaking out requeues the rest and leaves no consumer', async () => {
    const dlq = await declareQueue('rmq-settle-dlq')
    const q = await declareQueue('rmq-settle', {'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq})
    for (const m of ['ack', 'requeue', 'reject', 'left']) ch.sendToQueue(q, Buffer.from(m))
    await ch.waitForConfirms()
    for await (const d of adapter.read(q, {consume: true, prefetch: 10})) {
      const how = 'utf8' in d.envelope.body ? d.envelope.body.utf8 : ''
      if (how === 'left') break
      if (how === 'ack' || how === 'requeue' || how === 'reject') await d.settle(how)
    }
    await waitFor(async () => (await ch.checkQueue(dlq)).messageCount === 1)
    expect(await ch.checkQueue(q)).toMatchObject({messageCount: 2, consumerCount: 0})
    const rest = await readAll(q, {consume: true, untilEnd: true})
    expect(rest.map((d) => [d.envelope.body, d.envelope.meta?.redelivered])).toEqual([
      [{utf8: 'requeue'}, true],
      [{utf8: 'left'}, true],
    ])
    await ch.deleteQueue(q)
    await ch.deleteQueue(dlq)
  })

  it('a missing queue is NOT_FOUND on read and never created', async () => {
    const name = uniqueName('rmq-noread')
    const error = await errorOf(collect(adapter.read(name, {consume: true})))
    expect(error.code).toBe('NOT_FOUND')
    expect(error.message).toContain(name)
    await expect(mgmtGet(`/api/queues/%2F/${name}`)).rejects.toThrow(/404/)
  })
})

describe('streams', () => {
  it('reads non-destructively from start positions and untilEnd terminates on empty and non-empty streams', async () => {
    const s = await declareQueue('rmq-stream', {'x-queue-type': 'stream'})
    expect(await collect(adapter.read(s, {untilEnd: true}))).toEqual([])
    const sent = Array.from({length: 20}, (_, i) => env(binary(i + 1), [['i', {int: String(i)}]]))
    expect((await collect(adapter.publish(s, sent))).every((r) => r.ok)).toBe(true)

    for (const pass of [1, 2]) {
      const got = await collect(adapter.read(s, {untilEnd: true, from: {kind: 'earliest'}, prefetch: 3}))
      expect(
        got.map((d) => d.envelope.body),
        `pass ${pass}`,
      ).toEqual(sent.map((m) => m.body))
      expect(got.map((d) => d.envelope.headers)).toEqual(sent.map((m) => m.headers))
      expect(got.map((d) => d.envelope.meta?.offset)).toEqual(sent.map((_, i) => String(i)))
    }
    const fromOffset = await collect(adapter.read(s, {untilEnd: true, from: {kind: 'offset', value: 15n}}))
    expect(fromOffset.map((d) => d.envelope.meta?.offset)).toEqual(['15', '16', '17', '18', '19'])
    expect(await collect(adapter.read(s, {untilEnd: true, from: {kind: 'latest'}}))).toEqual([])
    expect(await collect(adapter.read(s, {untilEnd: true, from: {kind: 'offset', value: 1000n}}))).toEqual([])
    expect((await errorOf(collect(adapter.read(s, {consume: true})))).code).toBe('UNSUPPORTED')
    expect(await consumersOn(s)).toBe(0)
    await ch.deleteQueue(s)
  })

  it('a live stream tail sees new messages and stops on abort', async () => {
    const s = await declareQueue('rmq-stream-tail', {'x-queue-type': 'stream'})
    const controller = new AbortController()
    const seen: string[] = []
    const reading = (async () => {
      for await (const d of adapter.read(s, {signal: controller.signal})) {
        seen.push('utf8' in d.envelope.body ? d.envelope.body.utf8 : '')
        if (seen.includes('b')) controller.abort()
      }
    })()
    // A tail starts at the next message; publish ticks until the reader is attached and sees them.
    await waitFor(async () => {
      ch.sendToQueue(s, Buffer.from('tick'))
      await ch.waitForConfirms()
      return seen.includes('tick')
    })
    await waitFor(async () => (await consumersOn(s)) === 1, {timeoutMs: 15_000})
    for (const m of ['a', 'b', 'c']) ch.sendToQueue(s, Buffer.from(m))
    await ch.waitForConfirms()
    await reading
    expect(seen.filter((m) => m !== 'tick')).toEqual(['a', 'b'])
    await waitFor(async () => (await consumersOn(s)) === 0, {timeoutMs: 15_000})
    await ch.deleteQueue(s)
  })
})

describe('non-destructive tail of classic and quorum queues', () => {
  for (const type of ['classic', 'quorum']) {
    it(`${type}: copies new messages through a temporary queue bound like the target, and removes it after`, async () => {
      const exchange = uniqueName('rmq-tail-x')
      await ch.assertExchange(exchange, 'topic', {durable: false})
      const q = await declareQueue(`rmq-tail-${type}`, {'x-queue-type': type})
      await ch.bindQueue(q, exchange, 'orders.*')
      const bindingsOf = async () => mgmtGet<{destination: string}[]>(`/api/exchanges/%2F/${exchange}/bindings/source`)

      const received: Delivery[] = []
      const reading = (async () => {
        for await (const d of adapter.read(q)) {
          received.push(d)
          break
        }
      })()
      await waitFor(async () => (await bindingsOf()).length === 2)
      ch.publish(exchange, 'orders.created', Buffer.from('hello'), {headers: {h: 'v'}})
      await ch.waitForConfirms()
      await reading

      expect(received[0].envelope).toMatchObject({
        target: q,
        key: 'orders.created',
        body: {utf8: 'hello'},
        headers: [['h', 'v']],
        meta: {exchange, routingKey: 'orders.created'},
      })
      expect((await bindingsOf()).map((b) => b.destination)).toEqual([q])
      expect(await ch.checkQueue(q)).toMatchObject({messageCount: 1, consumerCount: 0})
      await ch.deleteQueue(q)
      await ch.deleteExchange(exchange)
    })
  }

  it('a queue reachable only through the default exchange is UNSUPPORTED with suggestions', async () => {
    const q = await declareQueue('rmq-tail-default')
    const error = await errorOf(collect(adapter.read(q)))
    expect(error.code).toBe('UNSUPPORTED')
    expect(error.suggestions.join(' ')).toMatch(/peek/)
    expect(error.suggestions.join(' ')).toMatch(/--consume/)
    expect((await errorOf(collect(adapter.read(q, {untilEnd: true})))).code).toBe('UNSUPPORTED')
    await ch.deleteQueue(q)
  })
})

describe('peek', () => {
  it('classic: returns the first N and leaves every message in the queue, marked redelivered', async () => {
    const q = await declareQueue('rmq-peek')
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`))
    await ch.waitForConfirms()
    const first = await adapter.peek(q, {count: 2})
    expect(first.messages.map((m) => m.body)).toEqual([{utf8: 'm0'}, {utf8: 'm1'}])
    expect(first.messages.map((m) => m.meta?.redelivered)).toEqual([false, false])
    expect(first.warnings.join(' ')).toContain('redelivered')
    await waitFor(async () => (await ch.checkQueue(q)).messageCount === 3)
    const second = await adapter.peek(q, {count: 10})
    expect(second.messages.map((m) => [m.body, m.meta?.redelivered])).toEqual([
      [{utf8: 'm0'}, true],
      [{utf8: 'm1'}, true],
      [{utf8: 'm2'}, false],
    ])
    await ch.deleteQueue(q)
  })

  it('quorum with a delivery limit is REFUSED unless forced', async () => {
    const q = await declareQueue('rmq-peek-qq', {'x-queue-type': 'quorum', 'x-delivery-limit': 5})
    ch.sendToQueue(q, Buffer.from('m'))
    await ch.waitForConfirms()
    expect((await errorOf(adapter.peek(q, {count: 1}))).code).toBe('REFUSED')
    const forced = await adapter.peek(q, {count: 1, force: true})
    expect(forced.messages.map((m) => m.body)).toEqual([{utf8: 'm'}])
    expect(forced.warnings.join(' ')).toContain('delivery limit')
    await ch.deleteQueue(q)
  })

  it('stream: the first N from offset 0, without side effects', async () => {
    const s = await declareQueue('rmq-peek-stream', {'x-queue-type': 'stream'})
    for (let i = 0; i < 4; i++) ch.sendToQueue(s, Buffer.from(`m${i}`))
    await ch.waitForConfirms()
    const peeked = await adapter.peek(s, {count: 2})
    expect(peeked).toEqual({
      messages: [expect.objectContaining({body: {utf8: 'm0'}}), expect.objectContaining({body: {utf8: 'm1'}})],
      warnings: [],
    })
    await ch.deleteQueue(s)
  })
})

describe('dead letters', () => {
  it('x-death from a message RabbitMQ dead-lettered maps to headers and goes back with its wire types', async () => {
    const dlx = uniqueName('rmq-dlx')
    await ch.assertExchange(dlx, 'fanout', {durable: false})
    const dlq = await declareQueue('rmq-dlq')
    await ch.bindQueue(dlq, dlx, '')
    const work = await declareQueue('rmq-work', {'x-dead-letter-exchange': dlx})
    ch.sendToQueue(work, Buffer.from('poison'), {messageId: 'p-1'})
    await ch.waitForConfirms()
    await rejectOne(work)

    const [first] = await readAll(dlq, {consume: true, untilEnd: true})
    const death = xDeath(first.envelope.headers)
    expect(death).toEqual(
      expect.arrayContaining([
        ['count', {int: '1'}],
        ['reason', 'rejected'],
        ['queue', work],
        ['exchange', ''],
        ['routing-keys', {array: [work]}],
        ['time', {timestamp: expect.any(Number)}],
      ]),
    )
    expect(first.envelope.headers).toEqual(expect.arrayContaining([['x-first-death-queue', work]]))

    // On the wire: count as a signed 64-bit long ('l'), time as a timestamp ('T'), like RabbitMQ wrote them.
    const wire = encodeTable(publishOptionsFromEnvelope(first.envelope).headers)
    expect(fieldTag(wire, 'count')).toBe('l')
    expect(fieldTag(wire, 'time')).toBe('T')

    // RabbitMQ 3.10 interprets a re-published x-death: it continues the count only if it can read it.
    expect((await collect(adapter.publish(work, [first.envelope]))).every((r) => r.ok)).toBe(true)
    await rejectOne(work)
    const [second] = await readAll(dlq, {consume: true, untilEnd: true})
    expect(xDeath(second.envelope.headers)).toEqual(expect.arrayContaining([['count', {int: '2'}]]))
    for (const q of [work, dlq]) await ch.deleteQueue(q)
    await ch.deleteExchange(dlx)
  })
})

/** Consumers on a queue per the management API (passive declare reports 0 for streams; ifUnused ignores them). */
async function consumersOn(queue: string): Promise<number> {
  const consumers = await mgmtGet<{queue: {name: string}}[]>('/api/consumers/%2F')
  return consumers.filter((c) => c.queue.name === queue).length
}

async function rejectOne(queue: string): Promise<void> {
  const msg = await waitFor(async () => (await ch.get(queue, {noAck: false})) || undefined)
  ch.reject(msg, false)
  await waitFor(async () => (await ch.checkQueue(queue)).messageCount === 0)
}

function xDeath(headers: Header[]): Header[] {
  const value = headers.find(([name]) => name === 'x-death')?.[1] as {array: HeaderValue[]} | undefined
  expect(value?.array).toHaveLength(1)
  return (value!.array[0] as {table: Header[]}).table
}

const requireCjs = createRequire(import.meta.url)
// amqplib's package exports hide lib/codec.js; load it by path to see the exact bytes amqplib would send.
const codec = requireCjs(path.join(path.dirname(requireCjs.resolve('amqplib')), 'lib/codec.js')) as {
  encodeTable(buf: Buffer, table: unknown, offset: number): number
}

function encodeTable(table: unknown): Buffer {
  const buf = Buffer.alloc(1 << 16)
  return buf.subarray(0, codec.encodeTable(buf, table, 0))
}

/** The AMQP type tag written right after a (short string) field name inside an encoded table. */
function fieldTag(wire: Buffer, name: string): string {
  const key = Buffer.concat([Buffer.from([name.length]), Buffer.from(name)])
  const at = wire.indexOf(key)
  expect(at).toBeGreaterThan(0)
  return String.fromCharCode(wire[at + key.length])
}
