// NatsAdapter against the real nats-server (JetStream) on 127.0.0.1:4222; streams are created per test.
import {type ChildProcess, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {connect, createServer, type Socket} from 'node:net'
import {
  connect as natsConnect,
  headers as natsHeaders,
  type JetStreamManager,
  type NatsConnection,
  RetentionPolicy,
} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {NatsAdapter} from '../../src/adapters/nats/adapter.js'
import type {Delivery, ReadOptions} from '../../src/adapters/types.js'
import {type MailroomError, isMailroomError} from '../../src/model/errors.js'
import {bodyFromBytes, bodyToBytes} from '../../src/model/envelope/body.js'
import type {Envelope, Header} from '../../src/model/envelope/types.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'

const NATS_URL = 'nats://127.0.0.1:4222'

let raw: NatsConnection
let jsm: JetStreamManager
let adapter: NatsAdapter

beforeAll(async () => {
  raw = await natsConnect({servers: '127.0.0.1:4222'})
  jsm = await raw.jetstreamManager()
  adapter = new NatsAdapter({url: NATS_URL}, 5000)
  await adapter.connect()
})

afterAll(async () => {
  await adapter?.close()
  await raw?.close()
})

/** A stream with one literal subject (or the given ones); removed when the test file ends. */
const created: string[] = []
async function makeStream(
  o: {subjects?: string[]; retention?: RetentionPolicy} = {},
): Promise<{name: string; subject: string}> {
  const name = uniqueName('MR_NATS')
  const subject = `mr.${name}`
  await jsm.streams.add({name, subjects: o.subjects ?? [subject], retention: o.retention ?? RetentionPolicy.Limits})
  created.push(name)
  return {name, subject}
}
afterAll(async () => {
  for (const name of created) await jsm.streams.delete(name).catch(() => {})
})

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

async function caught(p: Promise<unknown>): Promise<MailroomError> {
  try {
    await p
  } catch (e) {
    if (isMailroomError(e)) return e
    throw e
  }
  throw new Error('expected a MailroomError')
}

function envelope(body: Uint8Array, headers: Header[] = [], key?: string): Envelope {
  return {v: 1, headers, body: bodyFromBytes(body), ...(key !== undefined ? {key} : {})}
}

function readAll(target: string, o: ReadOptions = {}): Promise<Delivery[]> {
  return collect(adapter.read(target, {untilEnd: true, ...o}))
}

async function consumerCount(stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.consumer_count
}

describe('connection', () => {
  it('connect and close are idempotent, close works without connect, and serverInfo reports the server', async () => {
    const never = new NatsAdapter({url: NATS_URL}, 2000)
    await never.close()
    await never.close()

    const a = new NatsAdapter({url: NATS_URL}, 2000)
    await a.connect()
    await a.connect()
    const info = await a.serverInfo()
    expect(info.product).toBe('nats-server')
    expect(info.version).toMatch(/^2\.\d+\.\d+/)
    expect(info.latencyMs).toBeGreaterThanOrEqual(0)
    await a.close()
    await a.close()
    await expect(a.listTargets()).rejects.toMatchObject({code: 'INTERNAL'})

    {
      await using disposable = new NatsAdapter({url: NATS_URL}, 2000)
      await disposable.connect()
      expect((await disposable.serverInfo()).version).toBeDefined()
    }
  })

  it('an unreachable port fails with CONNECTION within the timeout and says so', async () => {
    const a = new NatsAdapter({url: 'nats://127.0.0.1:1'}, 2000)
    const started = Date.now()
    const err = await caught(a.connect())
    expect(Date.now() - started).toBeLessThan(2500)
    expect(err.code).toBe('CONNECTION')
    expect(err.message).toContain('connection refused at 127.0.0.1:1')
    await a.close()
  })

  it('an unknown host fails with CONNECTION "host not found"', async () => {
    const err = await caught(new NatsAdapter({url: 'nats://no-such-host.invalid:4222'}, 3000).connect())
    expect(err.code).toBe('CONNECTION')
    expect(err.message).toContain('host not found')
  })

  it('an aborted connect fails with INTERRUPTED', async () => {
    const err = await caught(new NatsAdapter({url: NATS_URL}, 2000).connect({signal: AbortSignal.abort()}))
    expect(err.code).toBe('INTERRUPTED')
  })

  describe('against a server that requires a password', () => {
    let server: ChildProcess
    let port: number

    beforeAll(async () => {
      port = await freePort()
      server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '--user', 'alice', '--pass', 's3cret-pw'], {
        stdio: 'ignore',
      })
      await waitFor(async () => {
        const probe = new NatsAdapter({url: `nats://alice:s3cret-pw@127.0.0.1:${port}`}, 1000)
        await probe.connect()
        await probe.close()
        return true
      })
    })
    afterAll(() => {
      server?.kill()
    })

    it('bad credentials give AUTH naming the user, never the password', async () => {
      const err = await caught(
        new NatsAdapter({url: `nats://127.0.0.1:${port}`, user: 'alice', password: 'wrong-pw'}, 2000).connect(),
      )
      expect(err.code).toBe('AUTH')
      expect(err.message).toContain('authentication failed for user alice')
      expect(err.message).not.toContain('wrong-pw')
    })

    it('credentials in the URL work and are kept out of error messages', async () => {
      const ok = new NatsAdapter({url: `nats://alice:s3cret-pw@127.0.0.1:${port}`}, 2000)
      await ok.connect()
      await ok.close()
      const err = await caught(new NatsAdapter({url: `nats://alice:bad-pw@127.0.0.1:${port}`}, 2000).connect())
      expect(err.code).toBe('AUTH')
      expect(err.message).not.toContain('bad-pw')
    })
  })
})

describe('targets and stats', () => {
  it('listTargets and describeTarget see a stream created with the raw driver; a missing one is NOT_FOUND', async () => {
    const {name, subject} = await makeStream()
    const targets = await adapter.listTargets()
    const mine = targets.find((t) => t.name === name)
    expect(mine).toMatchObject({broker: 'nats', kind: 'stream', depth: 0, consumers: 0})
    expect(mine?.details?.subjects).toEqual([subject])

    const described = await adapter.describeTarget(name)
    expect(described.details).toMatchObject({retention: 'limits', storage: 'file', consumers: []})

    const err = await caught(adapter.describeTarget('MR_NATS_MISSING_' + Date.now()))
    expect(err.code).toBe('NOT_FOUND')
  })

  it('the listing reflects messages published with the raw driver', async () => {
    const {name, subject} = await makeStream()
    const js = raw.jetstream()
    for (let i = 0; i < 7; i++) await js.publish(subject, new Uint8Array([i]))
    const row = await waitFor(async () => (await adapter.listTargets()).find((t) => t.name === name && t.depth === 7))
    expect(row).toMatchObject({broker: 'nats', kind: 'stream', consumers: 0})
  })

  it('listConsumers returns the lag fields of a durable consumer', async () => {
    const {name, subject} = await makeStream()
    const js = raw.jetstream()
    for (let i = 0; i < 3; i++) await js.publish(subject, new Uint8Array([i]))
    await jsm.consumers.add(name, {durable_name: 'worker', ack_policy: 'explicit' as never, max_deliver: 5})
    const [c] = await adapter.listConsumers(name)
    expect(c).toMatchObject({
      stream: name,
      name: 'worker',
      durable: true,
      max_deliver: 5,
      num_pending: 3,
      num_ack_pending: 0,
    })
    expect(c!.ack_floor.stream_seq).toBe(0)
    const described = await adapter.describeTarget(name)
    expect(described.details?.consumers).toEqual([expect.objectContaining({name: 'worker', maxDeliver: 5, pending: 3})])
  })
})

describe('publish and read', () => {
  it('round-trips random binary bodies and headers byte for byte', async () => {
    const {name, subject} = await makeStream()
    const bodies = [
      new Uint8Array(0),
      Buffer.from('plain text ✓'),
      ...Array.from({length: 40}, (_, i) => randomBytes(1 + i * 37)),
    ]
    const headerSets: Header[][] = bodies.map((_, i) => [
      ['X-Index', String(i)],
      ['x-lower-case', 'kept as written'],
      ['Multi', 'first'],
      ['Multi', 'second'],
      ['Empty', ''],
      ['Utf8-Bytes', {bytes: Buffer.from('héllo').toString('base64')}],
    ])
    const input = bodies.map((b, i) => envelope(b, headerSets[i]))
    const receipts = await collect(adapter.publish(name, input, {window: 8}))
    expect(receipts.map((r) => r.index)).toEqual(input.map((_, i) => i))
    expect(receipts.every((r) => r.ok)).toBe(true)
    expect(receipts[0]!.meta).toMatchObject({stream: name, sequence: 1, subject})

    const read = await readAll(name)
    expect(read).toHaveLength(bodies.length)
    read.forEach((d, i) => {
      expect(Buffer.compare(bodyToBytes(d.envelope.body), Buffer.from(bodies[i]!))).toBe(0)
      expect(d.envelope.headers).toEqual(headerSets[i]!.map(([k, v]) => [k, typeof v === 'string' ? v : 'héllo']))
      expect(d.envelope).toMatchObject({broker: 'nats', target: name, key: subject})
      expect(d.envelope.meta).toMatchObject({
        stream: name,
        sequence: i + 1,
        subject,
        redelivered: false,
        deliveryCount: 1,
      })
      expect(Date.parse(d.envelope.timestamp!)).toBeGreaterThan(Date.now() - 60_000)
    })
    expect(await consumerCount(name)).toBe(0)
  })

  it('refuses header values NATS would alter with an UNSUPPORTED receipt, and publishes the rest', async () => {
    const {name} = await makeStream()
    const input = [
      envelope(Buffer.from('ok-1'), [['A', 'fine']]),
      envelope(Buffer.from('bad-bytes'), [['Raw', {bytes: Buffer.from([0xff, 0xfe, 0x00]).toString('base64')}]]),
      envelope(Buffer.from('typed'), [['Count', {int: '3'}]]),
      envelope(Buffer.from('spaces'), [['Pad', ' padded ']]),
      envelope(Buffer.from('newline'), [['Nl', 'a\r\nb']]),
      envelope(Buffer.from('ok-2')),
    ]
    const receipts = await collect(adapter.publish(name, input))
    expect(receipts.map((r) => r.ok)).toEqual([true, false, false, false, false, true])
    for (const r of receipts.slice(1, 5)) expect(r.error?.code).toBe('UNSUPPORTED')
    const read = await readAll(name)
    expect(read.map((d) => Buffer.from(bodyToBytes(d.envelope.body)).toString())).toEqual(['ok-1', 'ok-2'])
  })

  it('dedupes by an envelope Nats-Msg-Id header and reports the duplicate', async () => {
    const {name} = await makeStream()
    const m = envelope(Buffer.from('once'), [['Nats-Msg-Id', 'order-1']])
    const receipts = await collect(adapter.publish(name, [m, m]))
    expect(receipts.map((r) => [r.ok, r.duplicate])).toEqual([
      [true, false],
      [true, true],
    ])
    expect((await jsm.streams.info(name)).state.messages).toBe(1)
  })

  it('routes by key on a wildcard stream, asks for a key when none is given, and rejects keys of other streams', async () => {
    const base = uniqueName('mrw').replace(/-/g, '_')
    const {name} = await makeStream({subjects: [`${base}.>`]})
    const other = await makeStream()
    const receipts = await collect(
      adapter.publish(name, [
        envelope(Buffer.from('a'), [], `${base}.eu.1`),
        envelope(Buffer.from('b')),
        envelope(Buffer.from('c'), [], other.subject),
        envelope(Buffer.from('d'), [], 'nobody.captures.this'),
      ]),
    )
    expect(receipts.map((r) => r.ok)).toEqual([true, false, false, false])
    expect(receipts.map((r) => r.error?.code)).toEqual([undefined, 'USAGE', 'USAGE', 'USAGE'])
    expect(receipts[3]!.error?.message).toContain('subject "nobody.captures.this" is not captured by stream')
    const [d] = await readAll(name)
    expect(d!.envelope.key).toBe(`${base}.eu.1`)
    expect((await jsm.streams.info(other.name)).state.messages).toBe(0)
  })

  it('publishes to a subject that a stream captures, and refuses a subject no stream captures', async () => {
    const {name, subject} = await makeStream()
    const receipts = await collect(adapter.publish(subject, [envelope(Buffer.from('via subject'))]))
    expect(receipts[0]).toMatchObject({ok: true, meta: {stream: name, subject}})
    const err = await caught(collect(adapter.publish(`nobody.${Date.now()}`, [envelope(Buffer.from('x'))])))
    expect(err.code).toBe('NOT_FOUND')
  })

  it('publishes unconfirmed (core NATS) messages that the stream still stores', async () => {
    const {name, subject} = await makeStream()
    const input = Array.from({length: 300}, (_, i) => envelope(Buffer.from(`m${i}`)))
    const receipts = await collect(adapter.publish(subject, input, {unconfirmed: true, window: 64}))
    expect(receipts.filter((r) => r.ok)).toHaveLength(300)
    await waitFor(async () => (await jsm.streams.info(name)).state.messages === 300)
  })

  it('publishes 10,000 messages through the window, consuming the input lazily', {timeout: 90_000}, async () => {
    const {name} = await makeStream()
    const total = 10_000
    let produced = 0
    let maxAhead = 0
    let confirmed = 0
    async function* generate() {
      for (let i = 0; i < total; i++) {
        produced++
        maxAhead = Math.max(maxAhead, produced - confirmed)
        yield envelope(Buffer.from(`payload-${i}`))
      }
    }
    const started = Date.now()
    for await (const r of adapter.publish(name, generate(), {window: 500})) {
      expect(r.ok).toBe(true)
      confirmed++
    }
    const rate = Math.round(total / ((Date.now() - started) / 1000))
    console.log(`nats adapter publish: ${rate} msg/s`)
    expect(confirmed).toBe(total)
    expect(maxAhead).toBeLessThanOrEqual(501)
    expect((await jsm.streams.info(name)).state.messages).toBe(total)
  })

  it('a slow batched reader gets every message once, in order, over many fetches, and no batch is larger than a fetch', async () => {
    const {name} = await makeStream()
    const total = 3000
    for (let i = 0; i < total; i += 500)
      await collect(
        adapter.publish(
          name,
          Array.from({length: 500}, (_, j) => envelope(Buffer.from(`m-${i + j}`))),
        ),
      )
    const sequences: number[] = []
    let largest = 0
    let batches = 0
    // prefetch 100: 30 fetches; the pause lets each fetch complete while its messages wait to be taken.
    for await (const batch of adapter.readBatches(name, {untilEnd: true, prefetch: 100})) {
      batches++
      largest = Math.max(largest, batch.length)
      for (const d of batch) sequences.push(d.envelope.meta!.sequence!)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    expect(sequences).toEqual(Array.from({length: total}, (_, i) => i + 1))
    expect(batches).toBeGreaterThan(1)
    // The next fetch starts as one ends while less than a fetch's worth waits: at most two fetches' worth at once.
    expect(largest).toBeLessThanOrEqual(200)
    expect(await consumerCount(name)).toBe(0)
  })

  it('untilEnd finishes at once on an empty stream and leaves nothing behind', async () => {
    const {name} = await makeStream()
    expect(await readAll(name)).toEqual([])
    expect(await readAll(name, {consume: true})).toEqual([])
    expect(await consumerCount(name)).toBe(0)
  })

  it('untilEnd stops at the end captured at start even while more messages arrive', async () => {
    const {name} = await makeStream()
    await collect(
      adapter.publish(
        name,
        Array.from({length: 5}, (_, i) => envelope(Buffer.from(`before-${i}`))),
      ),
    )
    const seen: string[] = []
    for await (const d of adapter.read(name, {untilEnd: true, prefetch: 1})) {
      seen.push(Buffer.from(bodyToBytes(d.envelope.body)).toString())
      if (seen.length === 1) await collect(adapter.publish(name, [envelope(Buffer.from('after'))]))
    }
    expect(seen).toEqual(['before-0', 'before-1', 'before-2', 'before-3', 'before-4'])
    expect(await consumerCount(name)).toBe(0)
  })

  it('starts at a sequence, a time or the end', async () => {
    const {name} = await makeStream()
    await collect(adapter.publish(name, [envelope(Buffer.from('1')), envelope(Buffer.from('2'))]))
    await waitFor(() => new Promise((done) => setTimeout(() => done(true), 20)))
    const middle = new Date()
    await collect(adapter.publish(name, [envelope(Buffer.from('3')), envelope(Buffer.from('4'))]))
    const seqs = (ds: Delivery[]) => ds.map((d) => d.envelope.meta?.sequence)
    expect(seqs(await readAll(name, {from: {kind: 'offset', value: 2n}}))).toEqual([2, 3, 4])
    expect(seqs(await readAll(name, {from: {kind: 'offset', value: 99n}}))).toEqual([])
    expect(seqs(await readAll(name, {from: {kind: 'time', value: middle}}))).toEqual([3, 4])
    expect(seqs(await readAll(name, {from: {kind: 'time', value: new Date(Date.now() + 3_600_000)}}))).toEqual([])
    expect(seqs(await readAll(name, {from: {kind: 'latest'}}))).toEqual([])
    expect(seqs(await readAll(name, {from: {kind: 'earliest'}}))).toEqual([1, 2, 3, 4])
    expect(await consumerCount(name)).toBe(0)
  })

  it('a read that is broken out of or aborted leaves no consumer behind', async () => {
    const {name} = await makeStream()
    await collect(
      adapter.publish(
        name,
        Array.from({length: 50}, (_, i) => envelope(Buffer.from(String(i)))),
      ),
    )
    for await (const d of adapter.read(name, {})) {
      expect(d.envelope.meta?.sequence).toBe(1)
      break
    }
    expect(await consumerCount(name)).toBe(0)

    const controller = new AbortController()
    let n = 0
    for await (const _ of adapter.read(name, {signal: controller.signal, prefetch: 10})) {
      if (++n === 3) controller.abort()
    }
    expect(n).toBeGreaterThanOrEqual(3)
    expect(await consumerCount(name)).toBe(0)

    // A tail (no untilEnd) waiting for new messages also stops on abort.
    const tail = new AbortController()
    setTimeout(() => tail.abort(), 300)
    const tailed = await collect(adapter.read(name, {from: {kind: 'latest'}, signal: tail.signal}))
    expect(tailed).toEqual([])
    expect(await consumerCount(name)).toBe(0)
  })

  it('reading a missing stream is NOT_FOUND and creates nothing', async () => {
    const missing = 'MR_NATS_MISSING_' + Date.now()
    expect((await caught(readAll(missing))).code).toBe('NOT_FOUND')
    expect((await caught(readAll(missing, {consume: true}))).code).toBe('NOT_FOUND')
    expect((await caught(jsm.streams.info(missing).catch(() => adapter.describeTarget(missing)))).code).toBe(
      'NOT_FOUND',
    )
  })
})

describe('reading over a slow link', () => {
  it('sizes fetches by the round trip: over a 40 ms link a round brings more than 256, every message once, in order', async () => {
    const {name, subject} = await makeStream()
    const js = raw.jetstream()
    await Promise.all(Array.from({length: 3000}, (_, i) => js.publish(subject, Buffer.from(`m${i}`))))
    const link = await delayingProxy(4222, 40)
    const slow = new NatsAdapter({url: `nats://127.0.0.1:${link.port}`}, 5000)
    try {
      await slow.connect()
      const batches = await collect(slow.readBatches(name, {from: {kind: 'earliest'}, untilEnd: true}))
      const sequences = batches.flat().map((d) => d.envelope.meta?.sequence)
      expect(sequences).toEqual(Array.from({length: 3000}, (_, i) => i + 1))
      // A local read fetches 256 at a time (the minimum); only a fetch sized for the round trip brings more at once.
      expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(256)
    } finally {
      await slow.close()
      link.close()
    }
  }, 30_000)
})

describe('consume (destructive) reads', () => {
  it('ack removes from a work-queue stream, requeue keeps, reject terminates; the consumer is removed', async () => {
    const {name} = await makeStream({retention: RetentionPolicy.Workqueue})
    await collect(
      adapter.publish(
        name,
        ['ack-me', 'requeue-me', 'reject-me'].map((s) => envelope(Buffer.from(s))),
      ),
    )

    const seen: Array<[string, boolean | undefined, number | undefined]> = []
    for await (const d of adapter.read(name, {consume: true, untilEnd: true})) {
      const text = Buffer.from(bodyToBytes(d.envelope.body)).toString()
      seen.push([text, d.envelope.meta?.redelivered, d.envelope.meta?.deliveryCount])
      await d.settle(text === 'ack-me' ? 'ack' : text === 'requeue-me' ? 'requeue' : 'reject')
    }
    expect(seen).toEqual([
      ['ack-me', false, 1],
      ['requeue-me', false, 1],
      ['reject-me', false, 1],
    ])
    // nats-server 2.9 removes a terminated message from a work-queue stream, like an acked one.
    await waitFor(async () => (await jsm.streams.info(name)).state.messages === 1)
    expect(await consumerCount(name)).toBe(0)

    const second = await readAll(name, {consume: true})
    expect(second.map((d) => Buffer.from(bodyToBytes(d.envelope.body)).toString())).toEqual(['requeue-me'])
    for (const d of second) await d.settle('ack')
    await waitFor(async () => (await jsm.streams.info(name)).state.messages === 0 && (await consumerCount(name)) === 0)
  })

  it('a requeued delivery comes back redelivered within the same read', async () => {
    const {name} = await makeStream({retention: RetentionPolicy.Workqueue})
    await collect(adapter.publish(name, [envelope(Buffer.from('again'))]))
    const deliveries: Delivery[] = []
    for await (const d of adapter.read(name, {consume: true})) {
      deliveries.push(d)
      if (deliveries.length === 1) await d.settle('requeue')
      else {
        await d.settle('ack')
        break
      }
    }
    expect(deliveries.map((d) => [d.envelope.meta?.redelivered, d.envelope.meta?.deliveryCount])).toEqual([
      [false, 1],
      [true, 2],
    ])
    expect(await consumerCount(name)).toBe(0)
  })

  it('deliveries settled after the read ended still count, then the consumer goes away', async () => {
    const {name} = await makeStream({retention: RetentionPolicy.Workqueue})
    await collect(adapter.publish(name, [envelope(Buffer.from('late-1')), envelope(Buffer.from('late-2'))]))
    const held = await readAll(name, {consume: true})
    expect(held).toHaveLength(2)
    expect(await consumerCount(name)).toBe(1)
    for (const d of held) await d.settle('ack')
    await waitFor(async () => (await consumerCount(name)) === 0 && (await jsm.streams.info(name)).state.messages === 0)
  })

  it('closing the adapter removes the consumers of reads still open or holding unsettled deliveries', async () => {
    const queue = await makeStream({retention: RetentionPolicy.Workqueue})
    const log = await makeStream()
    await collect(
      adapter.publish(
        queue.name,
        ['h1', 'h2', 'h3'].map((s) => envelope(Buffer.from(s))),
      ),
    )
    await collect(adapter.publish(log.name, [envelope(Buffer.from('l1'))]))
    const other = new NatsAdapter({url: NATS_URL}, 5000)
    await other.connect()
    const held = await collect(other.read(queue.name, {consume: true, untilEnd: true}))
    expect(held).toHaveLength(3)
    const tail = other.read(log.name, {})[Symbol.asyncIterator]()
    expect((await tail.next()).value?.envelope.meta?.sequence).toBe(1)
    expect([await consumerCount(queue.name), await consumerCount(log.name)]).toEqual([1, 1])
    await other.close()
    expect([await consumerCount(queue.name), await consumerCount(log.name)]).toEqual([0, 0])
    expect((await jsm.streams.info(queue.name)).state.messages).toBe(3)
  })

  it('a work-queue stream cannot be read without consuming: UNSUPPORTED at once, nothing created', async () => {
    const {name} = await makeStream({retention: RetentionPolicy.Workqueue})
    await collect(adapter.publish(name, [envelope(Buffer.from('w'))]))
    expect((await caught(readAll(name))).code).toBe('UNSUPPORTED')
    await jsm.consumers.add(name, {durable_name: 'only-one', ack_policy: 'explicit' as never})
    expect((await caught(readAll(name, {consume: true}))).code).toBe('UNSUPPORTED')
    const viaGroup = await readAll(name, {consume: true, group: 'only-one'})
    expect(viaGroup).toHaveLength(1)
    await viaGroup[0]!.settle('ack')
    expect((await jsm.streams.info(name)).state).toMatchObject({messages: 0, consumer_count: 1})
  })

  it('a named group is a durable consumer that stays for the next read', async () => {
    const {name} = await makeStream()
    await collect(
      adapter.publish(
        name,
        ['g1', 'g2', 'g3'].map((s) => envelope(Buffer.from(s))),
      ),
    )
    const first: Delivery[] = []
    for await (const d of adapter.read(name, {consume: true, group: 'replayer'})) {
      first.push(d)
      await d.settle('ack')
      if (first.length === 2) break
    }
    const [c] = await adapter.listConsumers(name)
    expect(c).toMatchObject({name: 'replayer', durable: true})
    await waitFor(async () => (await adapter.listConsumers(name))[0]?.ack_floor.stream_seq === 2)
  })
})

describe('single messages', () => {
  it('getMessage reads by sequence and deleteMessage removes it; both NOT_FOUND when absent', async () => {
    const {name, subject} = await makeStream()
    const h = natsHeaders()
    h.append('Trace', 't-1')
    await raw.jetstream().publish(subject, Buffer.from([0, 1, 2, 255]), {headers: h})
    const m = await adapter.getMessage(name, 1)
    expect(Buffer.compare(bodyToBytes(m.body), Buffer.from([0, 1, 2, 255]))).toBe(0)
    expect(m).toMatchObject({
      broker: 'nats',
      target: name,
      key: subject,
      headers: [['Trace', 't-1']],
      meta: {stream: name, sequence: 1, subject},
    })
    await adapter.deleteMessage(name, 1)
    expect((await caught(adapter.getMessage(name, 1))).code).toBe('NOT_FOUND')
    expect((await caught(adapter.deleteMessage(name, 9))).code).toBe('NOT_FOUND')
    expect((await caught(adapter.getMessage('MR_NATS_MISSING_' + Date.now(), 1))).code).toBe('NOT_FOUND')
  })
})

/** A TCP proxy to a local port that holds every chunk from the server for delayMs: a link with a long round trip. */
async function delayingProxy(target: number, delayMs: number): Promise<{port: number; close: () => void}> {
  const sockets = new Set<Socket>()
  const srv = createServer((client) => {
    const server = connect(target, '127.0.0.1')
    for (const s of [client, server]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => (client.destroy(), server.destroy()))
    }
    client.pipe(server)
    server.on('data', (chunk) => setTimeout(() => client.writable && client.write(chunk), delayMs))
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  return {
    port: (srv.address() as {port: number}).port,
    close: () => {
      for (const s of sockets) s.destroy()
      srv.close()
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as {port: number}
      srv.close(() => resolve(port))
    })
  })
}
