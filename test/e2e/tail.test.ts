// `tail` as the README describes it, through the built CLI on every kind of target: where it starts without --from,
// that -n and --idle-timeout stop it (the process really exits, with exit 0), and that it leaves nothing behind.
// Messages are published with each broker's own client, never through mailroom.
import amqp, {type ChannelModel, type ConfirmChannel} from 'amqplib'
import {AssignerProtocol, Kafka, logLevel, type Producer} from 'kafkajs'
import {connect, type JetStreamClient, type JetStreamManager, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {runCli} from '../helpers/cli.js'
import {parseNdjson, type RunningCli, startCli} from '../helpers/messaging.js'

// Each test runs CLI processes against real brokers; on a loaded 2-core machine that takes a while.
vi.setConfig({testTimeout: 180_000})

/** A tail that stops on its own must have exited well within this (it used to hang until Ctrl-C). */
const EXIT_DEADLINE_MS = 30_000
const PARTITIONS = 3
const MANAGEMENT = 'http://127.0.0.1:15672/api'
const AUTH = {authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`}

interface Target {
  ref: string
  /** Publishes text bodies with the broker's own client, confirmed by the broker. */
  publish(bodies: string[]): Promise<void>
  /** What a running tail holds on the broker (its group, consumer or temporary queue), asked of the broker. */
  tailResources(): Promise<string[]>
}

let rabbit: ChannelModel
let rabbitChannel: ConfirmChannel
const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
const kafkaAdmin = kafka.admin()
let producer: Producer
let nc: NatsConnection
let js: JetStreamClient
let jsm: JetStreamManager
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  rabbit = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
  rabbitChannel = await rabbit.createConfirmChannel()
  producer = kafka.producer()
  await Promise.all([kafkaAdmin.connect(), producer.connect()])
  nc = await connect({servers: '127.0.0.1:4222'})
  js = nc.jetstream()
  jsm = await nc.jetstreamManager()
})

afterAll(async () => {
  await Promise.allSettled(cleanups.map((cleanup) => cleanup()))
  await Promise.allSettled([rabbit?.close(), producer?.disconnect(), kafkaAdmin.disconnect(), nc?.close()])
})

async function management<T>(path: string): Promise<T> {
  const res = await fetch(`${MANAGEMENT}${path}`, {headers: AUTH})
  if (!res.ok) throw new Error(`${path}: ${res.status}`)
  return (await res.json()) as T
}

/** A classic queue bound to an exchange: a non-destructive tail reads copies through a temporary bound queue. */
async function classicQueue(): Promise<Target> {
  const exchange = uniqueName('tail-x')
  const queue = uniqueName('tail-classic')
  await rabbitChannel.assertExchange(exchange, 'fanout', {durable: false})
  await rabbitChannel.assertQueue(queue, {durable: true})
  await rabbitChannel.bindQueue(queue, exchange, '')
  cleanups.push(
    () => rabbitChannel.deleteQueue(queue),
    () => rabbitChannel.deleteExchange(exchange),
  )
  return {
    ref: `rabbitmq:${queue}`,
    async publish(bodies) {
      for (const body of bodies) rabbitChannel.publish(exchange, '', Buffer.from(body))
      await rabbitChannel.waitForConfirms()
    },
    async tailResources() {
      const bindings = await management<{destination: string}[]>(
        `/exchanges/%2F/${encodeURIComponent(exchange)}/bindings/source`,
      )
      return bindings.map((b) => b.destination).filter((d) => d !== queue)
    },
  }
}

async function streamQueue(): Promise<Target> {
  const queue = uniqueName('tail-stream')
  await rabbitChannel.assertQueue(queue, {durable: true, arguments: {'x-queue-type': 'stream'}})
  cleanups.push(() => rabbitChannel.deleteQueue(queue))
  return {
    ref: `rabbitmq:${queue}`,
    async publish(bodies) {
      for (const body of bodies) rabbitChannel.sendToQueue(queue, Buffer.from(body))
      await rabbitChannel.waitForConfirms()
    },
    async tailResources() {
      const consumers = await management<{queue: {name: string}; consumer_tag: string}[]>('/consumers/%2F')
      return consumers.filter((c) => c.queue.name === queue).map((c) => c.consumer_tag)
    },
  }
}

async function kafkaTopic(): Promise<Target> {
  const topic = uniqueName('tail-topic')
  await kafkaAdmin.createTopics({topics: [{topic, numPartitions: PARTITIONS}], waitForLeaders: true})
  cleanups.push(() => kafkaAdmin.deleteTopics({topics: [topic]}))
  let next = 0
  return {
    ref: `kafka:${topic}`,
    async publish(bodies) {
      // Every partition gets its share, so a read from the beginning of any partition meets the old records.
      await producer.send({topic, acks: -1, messages: bodies.map((value) => ({value, partition: next++ % PARTITIONS}))})
    },
    async tailResources() {
      const ids = (await kafkaAdmin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((id) => id.startsWith('mailroom-tail-'))
      if (ids.length === 0) return []
      const {groups} = await kafkaAdmin.describeGroups(ids)
      return groups
        .filter((g) =>
          g.members.some(
            (m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] !== undefined,
          ),
        )
        .map((g) => g.groupId)
    },
  }
}

async function jetStream(): Promise<Target> {
  const stream = uniqueName('TAIL').replaceAll('-', '_').toUpperCase()
  await jsm.streams.add({name: stream, subjects: [`${stream}.>`]})
  cleanups.push(() => jsm.streams.delete(stream))
  return {
    ref: `nats:${stream}`,
    async publish(bodies) {
      for (const body of bodies) await js.publish(`${stream}.orders`, Buffer.from(body))
    },
    async tailResources() {
      return (await jsm.consumers.list(stream).next()).map((c) => c.name)
    },
  }
}

const TARGETS: [string, () => Promise<Target>][] = [
  ['RabbitMQ classic queue', classicQueue],
  ['RabbitMQ stream queue', streamQueue],
  ['Kafka topic of 3 partitions', kafkaTopic],
  ['JetStream stream', jetStream],
]

function bodiesOf(stdout: string): string[] {
  return parseNdjson(stdout).map((e) => (e.body as {utf8: string}).utf8)
}

/**
 * Publishes "after-N" messages one by one until the running tail prints one: only then is it certainly positioned,
 * and nothing is assumed about how long it takes to get there. Returns how many were published.
 */
async function publishUntilSeen(target: Target, tail: RunningCli): Promise<number> {
  let published = 0
  const outcome = await waitFor(
    async () => {
      if (tail.stdout().includes('after-')) return 'seen'
      if (tail.child.exitCode !== null) return 'exited'
      await target.publish([`after-${published++}`])
      return undefined
    },
    {timeoutMs: 60_000, intervalMs: 500},
  )
  if (outcome === 'exited') {
    const r = await tail.exited
    expect(
      r.stdout,
      `tail exited (${r.code}) without printing a message published after it started: ${r.stderr}`,
    ).toContain('after-')
  }
  return published
}

/** The process's exit, or a failure naming what it printed when it is still running at the deadline. */
async function exitWithin(tail: RunningCli, ms: number) {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`tail still running after ${ms} ms; stderr: ${tail.stderr()}`)), ms)
  })
  try {
    return await Promise.race([tail.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

// Each test makes its own queue, topic or stream: they run side by side (at most vitest's maxConcurrency, 5, at
// once), as most of each is a tail waiting to see a message or to go idle.
describe.concurrent.each(TARGETS)('tail on a %s', (_kind, create) => {
  it('without --from starts at the latest: what was there before never appears, a message published after does; -n 1 then exits 0', async () => {
    const target = await create()
    await target.publish(Array.from({length: 30}, (_, i) => `before-${i}`))
    const tail = startCli(['tail', target.ref, '-n', '1', '-o', 'ndjson'])
    try {
      await publishUntilSeen(target, tail)
      const r = await exitWithin(tail, EXIT_DEADLINE_MS)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain('stopped: count')
      const seen = bodiesOf(r.stdout)
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatch(/^after-\d+$/)
      expect(await target.tailResources()).toEqual([])
    } finally {
      tail.child.kill('SIGKILL')
    }
  })

  it('--idle-timeout exits 0 when no message ever came', async () => {
    const target = await create()
    await target.publish(['before-0', 'before-1'])
    const r = await runCli(['tail', target.ref, '--idle-timeout', '1s', '-o', 'ndjson'], {timeoutMs: EXIT_DEADLINE_MS})
    expect(r.code, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`).toBe(0)
    expect(r.ms).toBeLessThan(EXIT_DEADLINE_MS)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('0 message(s); stopped: idle')
    expect(await target.tailResources()).toEqual([])
  })

  it('--idle-timeout exits 0 after messages were read, and leaves nothing behind on the broker', async () => {
    const target = await create()
    // Long enough that the tail does not go idle while it is still joining (Kafka) before the first message.
    const tail = startCli(['tail', target.ref, '--idle-timeout', '6s', '-o', 'ndjson'])
    try {
      const published = await publishUntilSeen(target, tail)
      // The broker's management statistics may list a new consumer a moment late.
      await waitFor(async () => (await target.tailResources()).length > 0, {timeoutMs: 5000})
      const r = await exitWithin(tail, EXIT_DEADLINE_MS)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/\d+ message\(s\); stopped: idle/)
      const seen = bodiesOf(r.stdout)
      expect(seen.length).toBeGreaterThan(0)
      expect(seen.length).toBeLessThanOrEqual(published)
      expect(seen.every((body) => /^after-\d+$/.test(body))).toBe(true)
      expect(await target.tailResources()).toEqual([])
    } finally {
      tail.child.kill('SIGKILL')
    }
  })
})

describe('tail --consume', () => {
  it('--idle-timeout exits 0 once a RabbitMQ queue is drained, and the broker holds none of what was printed', async () => {
    const queue = uniqueName('tail-consume')
    await rabbitChannel.assertQueue(queue, {durable: true})
    cleanups.push(() => rabbitChannel.deleteQueue(queue))
    const sent = Array.from({length: 20}, (_, i) => `m-${i}`)
    for (const body of sent) rabbitChannel.sendToQueue(queue, Buffer.from(body))
    await rabbitChannel.waitForConfirms()
    const r = await runCli(['tail', `rabbitmq:${queue}`, '--consume', '--idle-timeout', '2s', '-o', 'ndjson'], {
      timeoutMs: EXIT_DEADLINE_MS,
    })
    expect(r.code, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`).toBe(0)
    expect(r.stderr).toContain('20 message(s); stopped: idle')
    expect(bodiesOf(r.stdout)).toEqual(sent)
    expect((await rabbitChannel.checkQueue(queue)).messageCount).toBe(0)
  })

  it('--idle-timeout exits 0 after consuming a JetStream stream from its first message, removing its consumer', async () => {
    const target = await jetStream()
    const sent = Array.from({length: 20}, (_, i) => `m-${i}`)
    await target.publish(sent)
    const r = await runCli(['tail', target.ref, '--consume', '--idle-timeout', '2s', '-o', 'ndjson'], {
      timeoutMs: EXIT_DEADLINE_MS,
    })
    expect(r.code, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`).toBe(0)
    expect(bodiesOf(r.stdout)).toEqual(sent)
    expect(await target.tailResources()).toEqual([])
  })

  it('a Kafka --group goes on where it committed: a second --until-end run reads only what came after the first', async () => {
    const target = await kafkaTopic()
    const group = uniqueName('tail-group')
    cleanups.push(() => kafkaAdmin.deleteGroups([group]))
    const consume = () =>
      runCli(['tail', target.ref, '--consume', '--group', group, '--until-end', '-o', 'ndjson'], {timeoutMs: 60_000})
    const first = Array.from({length: 12}, (_, i) => `first-${i}`)
    await target.publish(first)
    const r1 = await consume()
    expect(r1.code, r1.stderr).toBe(0)
    expect(bodiesOf(r1.stdout).sort()).toEqual([...first].sort())
    const second = Array.from({length: 6}, (_, i) => `second-${i}`)
    await target.publish(second)
    const r2 = await consume()
    expect(r2.code, r2.stderr).toBe(0)
    expect(bodiesOf(r2.stdout).sort()).toEqual([...second].sort())
  })
})
