import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import type {BrokerAdapter, Delivery, PublishReceipt} from '../../src/adapters/types.js'
import type {Envelope} from '../../src/model/envelope/types.js'
import {resolveDestination} from '../../src/core/replay/destination.js'
import {ReplayEngine} from '../../src/core/replay/engine.js'
import {PROVENANCE, describeChanges, prepareForDestination, replayCountOf} from '../../src/core/replay/headers.js'
import {isReplayId, messageIdentity, newReplayId} from '../../src/core/replay/identity.js'
import {JournalWriter, parseJournal} from '../../src/core/replay/journal.js'
import {Selector} from '../../src/core/replay/select.js'
import type {ReplaySource} from '../../src/core/replay/source.js'
import {fakeAdapter} from '../helpers/fake-adapter.js'
import type {ReplayRequest, SourceFacts} from '../../src/core/replay/types.js'

const stamp = {replayId: 'r1', messageId: 'rabbitmq:q.dlq/abc'}

function rabbitDeadLetter(extra: Partial<Envelope> = {}): Envelope {
  return {
    v: 1,
    broker: 'rabbitmq',
    target: 'orders.dlq',
    key: 'orders',
    headers: [
      [
        'x-death',
        {
          array: [
            {
              table: [
                ['queue', 'orders'],
                ['reason', 'rejected'],
                ['count', {int: '1'}],
                ['exchange', ''],
                ['time', {timestamp: 1700000000}],
              ],
            },
          ],
        },
      ],
      ['x-first-death-queue', 'orders'],
      ['x-first-death-reason', 'rejected'],
      ['x-first-death-exchange', ''],
      ['x-tenant', 'acme'],
    ],
    properties: {messageId: 'm1', contentType: 'application/json', deliveryMode: 2},
    body: {utf8: '{"id":1}'},
    meta: {exchange: '', routingKey: 'orders.dlq', redelivered: false},
    ...extra,
  }
}

describe('header hygiene and provenance', () => {
  it('strips what RabbitMQ would interpret and stamps provenance, keeping everything else', () => {
    const out = prepareForDestination(rabbitDeadLetter(), {broker: 'rabbitmq', target: 'orders'}, stamp)
    const names = out.headers.map(([n]) => n)
    expect(names).not.toContain('x-death')
    expect(names.filter((n) => n.startsWith('x-first-death-'))).toEqual([])
    expect(out.headers).toContainEqual(['x-tenant', 'acme'])
    expect(out.properties).toEqual({messageId: 'm1', contentType: 'application/json', deliveryMode: 2})
    expect(out.headers).toContainEqual([PROVENANCE.replayId, 'r1'])
    expect(out.headers).toContainEqual([PROVENANCE.messageId, 'rabbitmq:q.dlq/abc'])
    expect(out.headers).toContainEqual([PROVENANCE.count, '1'])
    expect(names.filter((n) => n.startsWith('mailroom-'))).toEqual([
      PROVENANCE.replayId,
      PROVENANCE.messageId,
      PROVENANCE.count,
    ])
    expect(out.body).toEqual({utf8: '{"id":1}'})
  })

  it('counts replays up and replaces the previous provenance', () => {
    const once = prepareForDestination(rabbitDeadLetter(), {broker: 'rabbitmq', target: 'orders'}, stamp)
    const twice = prepareForDestination(
      {...once, broker: 'rabbitmq'},
      {broker: 'rabbitmq', target: 'orders'},
      {...stamp, replayId: 'r2'},
    )
    expect(replayCountOf(twice)).toBe(2)
    expect(twice.headers.filter(([n]) => n === PROVENANCE.replayId)).toEqual([[PROVENANCE.replayId, 'r2']])
  })

  it('removes the time and origin headers earlier versions stamped when a message is replayed again', () => {
    const former = rabbitDeadLetter({
      headers: [
        ['mailroom-replayed-at', '2025-01-01T00:00:00.000Z'],
        ['mailroom-replayed-from', 'rabbitmq:q.dlq'],
        [PROVENANCE.count, '1'],
      ],
    })
    const again = prepareForDestination(former, {broker: 'rabbitmq', target: 'orders'}, stamp)
    const names = again.headers.map(([n]) => n)
    expect(names).not.toContain('mailroom-replayed-at')
    expect(names).not.toContain('mailroom-replayed-from')
    expect(replayCountOf(again)).toBe(2)
  })

  it('carries AMQP properties as headers and typed values as text to NATS, with its own Nats-Msg-Id', () => {
    const dead = rabbitDeadLetter({
      headers: [...rabbitDeadLetter().headers, ['Nats-Msg-Id', 'old'], ['Nats-Expected-Stream', 'X']],
    })
    const out = prepareForDestination(dead, {broker: 'nats', target: 'ORDERS', key: 'orders.retry'}, stamp)
    expect(out.key).toBe('orders.retry')
    expect(out.properties).toBeUndefined()
    expect(out.headers).toContainEqual(['amqp-message-id', 'm1'])
    expect(out.headers).toContainEqual(['amqp-content-type', 'application/json'])
    expect(out.headers.every(([, v]) => typeof v === 'string')).toBe(true)
    const xDeath = out.headers.find(([n]) => n === 'x-death')![1] as string
    expect(JSON.parse(xDeath)[0].queue).toBe('orders')
    expect(out.headers.filter(([n]) => n.toLowerCase() === 'nats-msg-id')).toEqual([['Nats-Msg-Id', stamp.messageId]])
    expect(out.headers.map(([n]) => n)).not.toContain('Nats-Expected-Stream')
  })

  it('to Kafka: keeps DLT headers as data, the key, an explicit partition only when given, and a fresh timestamp', () => {
    const dlt: Envelope = {
      v: 1,
      broker: 'kafka',
      key: 'k1',
      headers: [['kafka_dlt-original-topic', 'orders']],
      body: {base64: '/wA='},
      timestamp: '2020-01-01T00:00:00.000Z',
      meta: {partition: 1, offset: '9'},
    }
    const out = prepareForDestination(dlt, {broker: 'kafka', target: 'orders', partition: 2}, stamp)
    expect(out.key).toBe('k1')
    expect(out.partition).toBe(2)
    expect(out.timestamp).toBeUndefined()
    expect(out.headers).toContainEqual(['kafka_dlt-original-topic', 'orders'])
    expect(out.headers).toContainEqual(['mailroom-original-timestamp', '2020-01-01T00:00:00.000Z'])
    expect(out.body).toEqual({base64: '/wA='})
    expect(describeChanges(dlt, out)).toEqual({
      removed: [],
      added: Object.values(PROVENANCE),
      carried: ['mailroom-original-timestamp'],
    })
  })
})

describe('destinations', () => {
  it('sends RabbitMQ dead letters to the origin queue, Kafka to the original topic (partition only when asked)', () => {
    expect(
      resolveDestination(
        rabbitDeadLetter(),
        {origin: {broker: 'rabbitmq', target: 'orders', exchange: 'x', routingKeys: ['a']}},
        {keepPartition: false},
      ),
    ).toEqual({dest: {broker: 'rabbitmq', target: 'orders'}})
    const origin = {origin: {broker: 'kafka' as const, target: 'payments', partition: 3}}
    expect(resolveDestination(rabbitDeadLetter(), origin, {keepPartition: false})).toEqual({
      dest: {broker: 'kafka', target: 'payments'},
    })
    expect(resolveDestination(rabbitDeadLetter(), origin, {keepPartition: true})).toEqual({
      dest: {broker: 'kafka', target: 'payments', partition: 3},
    })
  })

  it('uses --to for everything, and explains a missing origin', () => {
    expect(
      resolveDestination(rabbitDeadLetter(), undefined, {to: {broker: 'kafka', name: 'retry'}, keepPartition: false}),
    ).toEqual({dest: {broker: 'kafka', target: 'retry'}})
    expect(resolveDestination(rabbitDeadLetter(), undefined, {keepPartition: false})).toEqual({
      problem: expect.stringMatching(/no dead-letter record/),
    })
  })
})

describe('identities', () => {
  it('are positional for offsets and sequences, content hashes for queue messages', () => {
    expect(
      messageIdentity({v: 1, headers: [], body: {utf8: ''}, meta: {partition: 1, offset: '42'}}, 'kafka', 't.DLT'),
    ).toEqual({id: 'kafka:t.DLT/1/42', positional: true})
    expect(messageIdentity({v: 1, headers: [], body: {utf8: ''}, meta: {sequence: 7}}, 'nats', 'DLQ')).toEqual({
      id: 'nats:DLQ/7',
      positional: true,
    })
    const a = messageIdentity(rabbitDeadLetter(), 'rabbitmq', 'q')
    const redelivered = messageIdentity(rabbitDeadLetter({meta: {redelivered: true}}), 'rabbitmq', 'q')
    expect(a.positional).toBe(false)
    expect(redelivered.id).toBe(a.id)
    expect(messageIdentity(rabbitDeadLetter({body: {utf8: '{"id":2}'}}), 'rabbitmq', 'q').id).not.toBe(a.id)
  })

  it("a queue message's content id is the sha1 of its description and body text (what journals hold)", () => {
    for (const text of ['{"id":1}', '\ufeffBOM first, then é and 😀']) {
      const e: Envelope = {...rabbitDeadLetter(), body: {utf8: text}}
      const described = JSON.stringify([e.key ?? null, e.headers, e.properties ?? {}])
      const expected = createHash('sha1').update(`${described}\0${text}`).digest('hex').slice(0, 24)
      expect(messageIdentity(e, 'rabbitmq', 'q').id).toBe(`rabbitmq:q/${expected}`)
    }
  })

  it('replay ids are sortable and recognisable', () => {
    const id = newReplayId(new Date('2025-03-14T10:15:02.123Z'))
    expect(id).toMatch(/^20250314T101502-[0-9a-f]{6}$/)
    expect(isReplayId(id)).toBe(true)
    expect(isReplayId('../etc/passwd')).toBe(false)
  })
})

const request: ReplayRequest = {
  source: {broker: 'rabbitmq', name: 'q.dlq'},
  to: {broker: 'rabbitmq', name: 'dest'},
  mode: 'move',
  maxReplays: 3,
  force: false,
  keepPartition: false,
  window: 4,
}
const facts: SourceFacts = {
  broker: 'rabbitmq',
  target: 'q.dlq',
  kind: 'classic-queue',
  strategy: 'consume-queue',
  bound: {kind: 'depth', depth: 10},
  count: 10,
}

describe('journal', () => {
  it('round-trips the job and confirmed ids, tolerating a torn last line', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mr-journal-')), 'r.jsonl')
    const w = await JournalWriter.create(path, {
      t: 'start',
      v: 1,
      replayId: 'r',
      createdAt: 'now',
      request,
      source: facts,
    })
    w.append({t: 'ok', ids: ['a', 'b', 'a']})
    await w.checkpoint()
    await w.close()
    const state = parseJournal(`${readFileSync(path, 'utf8')}{"t":"ok","ids":["c"`)
    expect(state.start.request).toEqual(request)
    expect(state.confirmed).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    )
    expect(state.confirmedTotal).toBe(3)
    expect(state.ended).toBeUndefined()
  })
})

// ---------------------------------------------------------------------------------------------------------------
// The engine against an in-memory source and destination: ordering of journal and settlement, failures, key order.

interface FakeDelivery extends Delivery {
  settledAs?: string
}

function fakeSource(envelopes: Envelope[], log: string[]): ReplaySource & {deliveries: FakeDelivery[]} {
  const deliveries: FakeDelivery[] = envelopes.map((envelope) => ({envelope, settle: async () => {}}))
  let i = 0
  return {
    deliveries,
    held: 0,
    async next() {
      return deliveries[i++]
    },
    async replayed(d) {
      log.push(`settle ${(d.envelope.body as {utf8: string}).utf8}`)
      ;(d as FakeDelivery).settledAs = 'ack'
    },
    async replayedAll(ds) {
      return Promise.all(ds.map(async (d) => (await this.replayed(d), true)))
    },
    async leave(d) {
      ;(d as FakeDelivery).settledAs = 'left'
    },
    async passOver(d) {
      ;(d as FakeDelivery).settledAs = 'passed'
    },
    repeated() {
      return false
    },
    async close() {},
  }
}

function fakeDestination(fail: (e: Envelope) => boolean, stats: {maxInFlight: number}): BrokerAdapter {
  return fakeAdapter('rabbitmq', {
    async *publish(_target: string, msgs: AsyncIterable<Envelope> | Iterable<Envelope>) {
      let index = 0
      for await (const e of msgs as AsyncIterable<Envelope>) {
        stats.maxInFlight = Math.max(stats.maxInFlight, 1)
        const bad = fail(e)
        yield {
          index: index++,
          ok: !bad,
          ...(bad ? {error: {code: 'NOT_FOUND' as const, message: 'returned'}} : {}),
        } satisfies PublishReceipt
      }
    },
  })
}

function message(body: string, key = 'k'): Envelope {
  return {v: 1, key, headers: [], body: {utf8: body}}
}

async function runEngine(envelopes: Envelope[], fail: (e: Envelope) => boolean) {
  const log: string[] = []
  const source = fakeSource(envelopes, log)
  const journalLines: string[] = []
  const journal = {
    path: 'mem',
    append: (r: {t: string; ids?: string[]}) => journalLines.push(r.t === 'ok' ? `ok ${r.ids!.length}` : r.t),
    checkpoint: async () => log.push(`fsync after ${journalLines.filter((l) => l.startsWith('ok')).length} batches`),
    close: async () => {},
  } as unknown as JournalWriter
  const dest = fakeDestination(fail, {maxInFlight: 0})
  const selector = new Selector({request, replayId: 'r', source: dest})
  const engine = new ReplayEngine({
    request,
    facts,
    source,
    selector,
    journal,
    destination: async () => dest,
    signal: new AbortController().signal,
  })
  return {result: await engine.run(), log, source, journalLines}
}

describe('replay engine', () => {
  it('settles only what the destination confirmed, and journals every confirmed id', async () => {
    const {result, log, source, journalLines} = await runEngine(
      [message('1', 'a'), message('2', 'b'), message('3', 'c')],
      (e) => (e.body as {utf8: string}).utf8 === '2',
    )
    expect(result.counts).toMatchObject({replayed: 2, failed: 1})
    expect(log.filter((l) => l.startsWith('settle'))).toEqual(['settle 1', 'settle 3'])
    expect(source.deliveries.map((d) => d.settledAs)).toEqual(['ack', 'left', 'ack'])
    expect(journalLines.filter((l) => l.startsWith('ok')).reduce((n, l) => n + Number(l.split(' ')[1]), 0)).toBe(2)
    expect(journalLines).toContain('fail')
  })

  it('leaves a failed message in the DLQ and holds back later ones with the same key', async () => {
    const {result, source} = await runEngine(
      [message('1', 'a'), message('2', 'b'), message('3', 'a'), message('4', 'b')],
      (e) => (e.body as {utf8: string}).utf8 === '1',
    )
    expect(source.deliveries.map((d) => d.settledAs)).toEqual(['left', 'ack', 'left', 'ack'])
    expect(result.counts).toMatchObject({replayed: 2, failed: 1, skipped: 1})
    expect(result.skippedBy).toEqual({'key-order': 1})
    expect(result.failures[0]).toMatchObject({code: 'NOT_FOUND', destination: 'rabbitmq:dest'})
  })

  it('refuses messages replayed too often, leaving them in place', async () => {
    const tired = {...message('1'), headers: [[PROVENANCE.count, '3']]} as Envelope
    const {result, source} = await runEngine([tired, message('2')], () => false)
    expect(result.skippedBy).toEqual({'max-replays': 1})
    expect(source.deliveries.map((d) => d.settledAs)).toEqual(['left', 'ack'])
  })
})
