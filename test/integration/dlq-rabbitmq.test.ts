// Dead letters made by RabbitMQ itself (reject, per-message TTL, max-length, quorum delivery limit) are found,
// listed and explained by the DLQ core, and a filtered purge removes only what matches.
import amqp, {type Channel, type ChannelModel} from 'amqplib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {RabbitMqAdapter} from '../../src/adapters/rabbitmq/adapter.js'
import {discoverDlqs} from '../../src/core/dlq/discover.js'
import {purgeDeadLetters} from '../../src/core/dlq/purge.js'
import {readDeadLetters} from '../../src/core/dlq/read.js'
import {dlqSettings} from '../../src/core/dlq/settings.js'
import type {Envelope} from '../../src/model/envelope/types.js'
import {compileFilter} from '../../src/core/filter.js'
import {localSettings, uniqueName, waitFor} from '../helpers/brokers.js'

const MGMT = 'http://127.0.0.1:15672'
const AUTH = {
  authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
  'content-type': 'application/json',
}

// Quorum queue operations wait for the Raft log to reach the disk: while other test files write heavily, each step
// here took seconds and the whole set-up once took more than 15 s.
const SLOW_BROKER_MS = 60_000

let model: ChannelModel
let ch: Channel
let adapter: RabbitMqAdapter
const id = uniqueName('dlqrmq')
const dlx = `${id}.dlx`
const dlq = `${id}.dead`
const policy = `${id}-policy`
const q = {rejected: `${id}.rej`, expired: `${id}.ttl`, maxlen: `${id}.max`, limit: `${id}.qq`, policy: `${id}.pol`}

async function depth(queue: string): Promise<number> {
  return (await ch.checkQueue(queue)).messageCount
}

async function collect(it: AsyncIterable<Envelope>): Promise<Envelope[]> {
  const out: Envelope[] = []
  for await (const e of it) out.push(e)
  return out
}

beforeAll(async () => {
  model = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
  ch = await model.createChannel()
  adapter = new RabbitMqAdapter(localSettings().rabbitmq!)
  await adapter.connect()
  await ch.assertExchange(dlx, 'direct', {autoDelete: false})
  await ch.assertQueue(dlq)
  await ch.bindQueue(dlq, dlx, 'dead')
  const dl = {'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'dead'}
  await ch.assertQueue(q.rejected, {arguments: dl})
  await ch.assertQueue(q.expired, {arguments: dl})
  await ch.assertQueue(q.maxlen, {arguments: {...dl, 'x-max-length': 1}})
  await ch.assertQueue(q.limit, {durable: true, arguments: {...dl, 'x-queue-type': 'quorum', 'x-delivery-limit': 1}})
  await ch.assertQueue(q.policy)
  const res = await fetch(`${MGMT}/api/policies/%2F/${encodeURIComponent(policy)}`, {
    method: 'PUT',
    headers: AUTH,
    body: JSON.stringify({
      pattern: `^${q.policy.replace(/\./g, '\\.')}$`,
      definition: {'dead-letter-exchange': dlx, 'dead-letter-routing-key': 'dead'},
      'apply-to': 'queues',
    }),
  })
  expect(res.ok).toBe(true)

  // 1. rejected
  ch.sendToQueue(q.rejected, Buffer.from('rejected body'), {messageId: 'm-rej'})
  const got = await waitFor(async () => ch.get(q.rejected, {noAck: false}))
  ch.reject(got as amqp.Message, false)
  // 2. per-message TTL
  ch.sendToQueue(q.expired, Buffer.from('expired body'), {messageId: 'm-ttl', expiration: '1'})
  // 3. max-length drops the oldest
  ch.sendToQueue(q.maxlen, Buffer.from('dropped body'), {messageId: 'm-max'})
  ch.sendToQueue(q.maxlen, Buffer.from('kept body'), {messageId: 'm-max-kept'})
  // 4. quorum delivery limit: requeued until over the limit
  ch.sendToQueue(q.limit, Buffer.from('poison body'), {messageId: 'm-qq'})
  await waitFor(
    async () => {
      const m = await ch.get(q.limit, {noAck: false})
      if (m) ch.nack(m, false, true)
      return (await depth(q.limit)) === 0 && !m
    },
    {timeoutMs: SLOW_BROKER_MS},
  )
  await waitFor(async () => (await depth(dlq)) === 4, {timeoutMs: SLOW_BROKER_MS})
  // The policy is applied asynchronously: wait until the management API shows it on the queue.
  await waitFor(
    async () => {
      const r = await fetch(`${MGMT}/api/queues/%2F/${encodeURIComponent(q.policy)}`, {headers: AUTH})
      return ((await r.json()) as {policy?: string}).policy === policy
    },
    {timeoutMs: SLOW_BROKER_MS},
  )
})

afterAll(async () => {
  for (const name of [...Object.values(q), dlq]) await ch.deleteQueue(name).catch(() => {})
  await ch.deleteExchange(dlx).catch(() => {})
  await fetch(`${MGMT}/api/policies/%2F/${encodeURIComponent(policy)}`, {method: 'DELETE', headers: AUTH}).catch(
    () => {},
  )
  await adapter.close()
  await model.close()
})

describe('RabbitMQ dead letters made by the broker', () => {
  it('finds the routes from queue arguments and from a policy', async () => {
    const routes = (await adapter.deadLetterTopology()).filter((r) => r.dlq === dlq)
    const byOrigin = Object.fromEntries(routes.map((r) => [r.origin, r.via]))
    expect(byOrigin).toEqual({
      [q.rejected]: 'queue-argument',
      [q.expired]: 'queue-argument',
      [q.maxlen]: 'queue-argument',
      [q.limit]: 'queue-argument',
      [q.policy]: 'policy',
    })
    expect(routes.every((r) => r.exchange === dlx && r.routingKey === 'dead')).toBe(true)
  })

  it('lists the DLQ with its origins, depth and unknown ages (classic queue, never peeked)', async () => {
    // Right after the deaths: the depth is the broker's own count, not the management API's 5-second sample.
    const listing = await discoverDlqs([adapter], dlqSettings({}))
    const row = listing.dlqs.find((d) => d.name === dlq)
    expect(row).toMatchObject({
      broker: 'rabbitmq',
      kind: 'classic-queue',
      depth: 4,
      detectedBy: ['dead-letter-exchange'],
    })
    expect(row!.origins).toEqual(Object.values(q).sort())
    expect(row!.oldestAgeSeconds).toBeUndefined()
    expect(await depth(dlq)).toBe(4)
  })

  it('explains each death: reason, origin queue, exchange, routing keys, count, time', async () => {
    const warnings: string[] = []
    const messages = await collect(readDeadLetters(adapter, dlq, {onWarning: (w) => warnings.push(w)}))
    expect(await depth(dlq)).toBe(4) // peeked, not consumed
    expect(warnings.join(' ')).toMatch(/redelivered/)
    const byId = Object.fromEntries(messages.map((m) => [m.properties?.messageId, m.death]))
    expect(byId['m-rej']).toMatchObject({
      source: 'x-death',
      reason: 'rejected',
      count: 1,
      origin: {broker: 'rabbitmq', target: q.rejected, exchange: '', routingKeys: [q.rejected]},
    })
    expect(byId['m-ttl']).toMatchObject({reason: 'expired', origin: {target: q.expired}})
    expect(byId['m-max']).toMatchObject({reason: 'maxlen', origin: {target: q.maxlen}})
    expect(byId['m-qq']).toMatchObject({reason: 'delivery_limit', origin: {target: q.limit}})
    for (const death of Object.values(byId)) {
      expect(Date.parse((death as {firstTime: string}).firstTime)).toBeGreaterThan(Date.now() - 120_000)
    }
    // The TTL entry keeps the original expiration in x-death; the property itself is removed by the broker.
    const ttl = messages.find((m) => m.properties?.messageId === 'm-ttl')!
    expect(ttl.properties?.expiration).toBeUndefined()
    expect(JSON.stringify(ttl.headers)).toContain('original-expiration')
  })

  it('a filtered purge acks only the matching messages and requeues the rest', async () => {
    const filter = compileFilter('death.reason == "maxlen" or death.reason == "expired"')
    const dry = await purgeDeadLetters(adapter, dlq, {filter, dryRun: true})
    expect(dry).toMatchObject({dryRun: true, purged: 2, kept: 2, method: 'consume-and-ack'})
    expect(await depth(dlq)).toBe(4)
    const done = await purgeDeadLetters(adapter, dlq, {filter})
    expect(done).toMatchObject({dryRun: false, purged: 2, kept: 2})
    await waitFor(async () => (await depth(dlq)) === 2)
    const left = await collect(readDeadLetters(adapter, dlq, {}))
    expect(left.map((m) => m.death?.reason).sort()).toEqual(['delivery_limit', 'rejected'])
  })
})
