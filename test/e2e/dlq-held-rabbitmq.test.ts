// dlq export and dlq purge on a RabbitMQ queue while another reader holds some of its messages unacknowledged (a
// peek between its basic.get and its requeue, as the dashboard's view does): they are in the queue and must be
// exported and purged. Messages are published, held and counted with amqplib and the management API, never mailroom.
import {readFileSync} from 'node:fs'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import amqp, {type Channel, type ChannelModel, type ConfirmChannel} from 'amqplib'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'
import {parseNdjson} from '../helpers/messaging.js'

vi.setConfig({testTimeout: 180_000})

const MANAGEMENT = 'http://127.0.0.1:15672/api'
const AUTH = {authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`}
const N = 40
const HELD = 10

let connection: ChannelModel
let publisher: ConfirmChannel
const queues: string[] = []

beforeAll(async () => {
  connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
  publisher = await connection.createConfirmChannel()
})

afterAll(async () => {
  for (const queue of queues) await publisher.deleteQueue(queue).catch(() => undefined)
  await connection?.close()
})

interface QueueFigures {
  messages?: number
  messages_ready?: number
  messages_unacknowledged?: number
}

async function figures(queue: string): Promise<QueueFigures> {
  const res = await fetch(`${MANAGEMENT}/queues/%2F/${encodeURIComponent(queue)}`, {headers: AUTH})
  if (!res.ok) throw new Error(`management API: ${res.status}`)
  return (await res.json()) as QueueFigures
}

/** A durable queue holding N messages, once the management API counts them (a new queue has no figures for a while). */
async function queueOfN(body = (id: string, _i: number) => id): Promise<{queue: string; ids: string[]}> {
  const queue = uniqueName('followups-held')
  queues.push(queue)
  await publisher.assertQueue(queue, {durable: true})
  const ids = Array.from({length: N}, (_, i) => `${queue}-${i}`)
  ids.forEach((id, i) => publisher.sendToQueue(queue, Buffer.from(body(id, i)), {messageId: id, persistent: true}))
  await publisher.waitForConfirms()
  await waitFor(async () => (await figures(queue)).messages === N, {timeoutMs: 30_000})
  return {queue, ids}
}

/** Another reader's peek: HELD messages got and held unacknowledged on a channel of its own. */
async function holdSome(queue: string): Promise<Channel> {
  const channel = await connection.createChannel()
  for (let i = 0; i < HELD; i++) expect(await channel.get(queue, {noAck: false})).not.toBe(false)
  return channel
}

/** What the broker holds now, by a raw get loop that removes it. */
async function drain(queue: string): Promise<number> {
  const channel = await connection.createChannel()
  let n = 0
  while ((await channel.get(queue, {noAck: true})) !== false) n++
  await channel.close()
  return n
}

/** Waits until the queue's ready count (AMQP, exact) satisfies `done`. */
async function readyCount(queue: string, done: (ready: number) => boolean): Promise<void> {
  const channel = await connection.createChannel()
  try {
    await waitFor(async () => done((await channel.checkQueue(queue)).messageCount) || undefined, {
      timeoutMs: 60_000,
      intervalMs: 50,
    })
  } finally {
    await channel.close()
  }
}

/** What the broker holds now, by id, through a raw get loop that removes it. */
async function drainIds(queue: string): Promise<string[]> {
  const channel = await connection.createChannel()
  const ids: string[] = []
  for (let msg = await channel.get(queue, {noAck: true}); msg !== false; msg = await channel.get(queue, {noAck: true}))
    ids.push(msg.properties.messageId as string)
  await channel.close()
  return ids.sort()
}

/** Every third message's body says "purge": a filter that matches them, and their ids and the others'. */
const PURGE_FILTER = 'body ~= "purge"'
function bodyOf(id: string, i: number): string {
  return i % 3 === 0 ? `purge ${id}` : `keep ${id}`
}
const keptOf = (ids: string[]) => ids.filter((_, i) => i % 3 !== 0).sort()

const idsOf = (file: string) =>
  parseNdjson(readFileSync(file, 'utf8')).map((e) => (e.properties as {messageId: string}).messageId)

describe('RabbitMQ dlq export and purge while another reader holds messages', () => {
  it('export right after a peek has every message', async () => {
    const {queue, ids} = await queueOfN()
    const peek = await runCli(['peek', `rabbitmq:${queue}`, '-n', '5', '-o', 'ndjson'])
    expect(peek.code, peek.stderr).toBe(0)
    const file = join(mkdtempSync(join(tmpdir(), 'correctness-held-')), 'export.ndjson')
    const r = await runCli(['dlq', 'export', `rabbitmq:${queue}`, '-f', file])
    expect(r.code, r.stderr).toBe(0)
    expect(idsOf(file).sort()).toEqual([...ids].sort())
  })

  it('export waits for messages another reader holds and requeues, and has every one', async () => {
    const {queue, ids} = await queueOfN()
    const holder = await holdSome(queue)
    const released = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => holder.close())
    const file = join(mkdtempSync(join(tmpdir(), 'correctness-held-')), 'export.ndjson')
    const r = await runCli(['dlq', 'export', `rabbitmq:${queue}`, '-f', file])
    await released
    expect(r.code, r.stderr).toBe(0)
    expect(idsOf(file).sort()).toEqual([...ids].sort())
    expect(r.stderr).not.toContain('held unacknowledged')
    expect(await drain(queue)).toBe(N)
  })

  it('export says how many another reader kept held, instead of leaving them out silently', async () => {
    const {queue} = await queueOfN()
    const holder = await holdSome(queue)
    try {
      const file = join(mkdtempSync(join(tmpdir(), 'correctness-held-')), 'export.ndjson')
      const r = await runCli(['dlq', 'export', `rabbitmq:${queue}`, '-f', file])
      expect(r.code, r.stderr).toBe(0)
      expect(idsOf(file)).toHaveLength(N - HELD)
      expect(r.stderr).toContain(`${HELD} message(s) of ${queue} stayed held unacknowledged by another reader`)
    } finally {
      await holder.close()
    }
  })

  it('purge removes and reports what another reader held and requeued too', async () => {
    const {queue} = await queueOfN()
    const holder = await holdSome(queue)
    const released = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => holder.close())
    const r = await runCli(['dlq', 'purge', `rabbitmq:${queue}`, '-y', '--json'])
    await released
    expect(r.code, r.stderr).toBe(0)
    expect(jsonOf<{purged: number}>(r).result.purged).toBe(N)
    expect(await drain(queue)).toBe(0)
    await waitFor(async () => (await figures(queue)).messages === 0, {timeoutMs: 30_000})
  })

  it('purge says how many another reader kept held and were left, and exits 8', async () => {
    const {queue, ids} = await queueOfN()
    const holder = await holdSome(queue)
    let r
    try {
      r = await runCli(['dlq', 'purge', `rabbitmq:${queue}`, '-y', '--json'])
    } finally {
      await holder.close()
    }
    expect(r.code, r.stderr).toBe(8)
    expect(jsonOf<{purged: number; heldElsewhere: number}>(r).result).toMatchObject({
      purged: N - HELD,
      heldElsewhere: HELD,
    })
    expect(jsonOf(r).warnings.join('\n')).toContain(
      `${HELD} message(s) of rabbitmq:${queue} stayed held unacknowledged by another reader (a consumer, or a peek) for 6 s`,
    )
    expect(await drainIds(queue)).toEqual(ids.slice(0, HELD).sort())
  })

  it('filtered purge examines what another reader held and requeued, and removes every match', async () => {
    const {queue, ids} = await queueOfN(bodyOf)
    const holder = await holdSome(queue)
    const purge = runCli(['dlq', 'purge', `rabbitmq:${queue}`, '--filter', PURGE_FILTER, '-y', '--json'])
    // Released only once the purge has taken every ready message: a purge that stops there never sees them.
    const released = readyCount(queue, (n) => n === 0).then(() => holder.close())
    const r = await purge
    await released
    expect(r.code, r.stderr).toBe(0)
    const kept = keptOf(ids)
    expect(jsonOf<{purged: number; kept: number}>(r).result).toMatchObject({purged: N - kept.length, kept: kept.length})
    expect(await drainIds(queue)).toEqual(kept)
  })

  it('filtered purge says how many another reader kept held and were not examined, and exits 8', async () => {
    const {queue, ids} = await queueOfN(bodyOf)
    const holder = await holdSome(queue)
    let r
    try {
      r = await runCli(['dlq', 'purge', `rabbitmq:${queue}`, '--filter', PURGE_FILTER, '-y'])
    } finally {
      await holder.close()
    }
    expect(r.code, r.stderr).toBe(8)
    expect(r.stderr).toContain(
      `${HELD} message(s) of rabbitmq:${queue} stayed held unacknowledged by another reader (a consumer, or a peek) for 6 s and were not examined`,
    )
    // The held ones (the first HELD got) were not examined: they are all still there, with every non-matching one.
    const heldIds = ids.slice(0, HELD)
    expect(await drainIds(queue)).toEqual([...new Set([...keptOf(ids), ...heldIds])].sort())
  })
})
