// Part of cluster.test.ts.
// The dashboard through the loss of the nodes it talks to (issue 21 item 3, second bullet): one dashboard in a real
// terminal (tmux) on a context listing every node of the three clusters, the node it reaches first on each broker
// (leading that broker's target) SIGKILLed at once, messages added through the surviving nodes. The brokers' own
// counts say what each target holds; the screen must come to show those counts, with the dashboard still running.
import {execFileSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import amqp from 'amqplib'
import kafkajs from 'kafkajs'
import {connect as natsConnect, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {waitFor} from '../helpers/brokers.js'
import {BIN, isolatedConfigHome} from '../helpers/cli.js'
import {
  CLUSTER_START_TIMEOUT_MS,
  ensureCluster,
  kafkaBootstrap,
  killNode,
  natsServers,
  rabbitmqManagementUrls,
  rabbitmqUrls,
  topology,
} from '../helpers/cluster.js'

const SESSION = `mailroom-cluster-dashboard-${process.pid}`
/** One name for the three targets, so one filter shows them all (no '-' or '.': a JetStream stream name). */
const NAME = `dashsurvive_${Date.now().toString(36)}`
const BEFORE = 5
const AFTER = 7
const RECOVERY_MS = 90_000

beforeAll(() => ensureCluster(), CLUSTER_START_TIMEOUT_MS)

const tmux = (...args: string[]) => execFileSync('tmux', args, {encoding: 'utf8'})
const screen = () => tmux('capture-pane', '-p', '-t', SESSION)

async function waitForScreen(what: RegExp, timeoutMs: number): Promise<string> {
  let last = ''
  try {
    return await waitFor(() => ((last = screen()), what.test(last) ? last : undefined), {timeoutMs, intervalMs: 250})
  } catch {
    throw new Error(`the screen never showed ${String(what)}; it shows:\n${last}`)
  }
}

async function withNats<T>(servers: string[], fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await natsConnect({servers})
  try {
    return await fn(nc)
  } finally {
    await nc.close()
  }
}

async function withRabbit<T>(index: number, fn: (ch: amqp.ConfirmChannel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(rabbitmqUrls[index])
  try {
    return await fn(await connection.createConfirmChannel())
  } finally {
    await connection.close().catch(() => undefined)
  }
}

function kafkaClient(brokers: string[]) {
  return new kafkajs.Kafka({clientId: 'dash-survive', brokers, logLevel: kafkajs.logLevel.NOTHING})
}

async function produce(brokers: string[], count: number): Promise<void> {
  // Idempotent: a send retried through a leader move is not stored twice (the depths on screen are counted).
  const producer = kafkaClient(brokers).producer({idempotent: true, maxInFlightRequests: 1})
  await producer.connect()
  try {
    const messages = Array.from({length: count}, (_, i) => ({value: `m${i}`}))
    await producer.send({topic: NAME, messages, acks: -1})
  } finally {
    await producer.disconnect()
  }
}

/**
 * Asked again until it answers: a broker electing new leaders for the target after the kill fails or times out
 * meanwhile (waitFor repeats a call that throws).
 */
async function answered<T>(ask: () => Promise<T>): Promise<T> {
  return (await waitFor(() => ask().then((value) => ({value})), {timeoutMs: 60_000, intervalMs: 1000})).value
}

/** Adds `count` messages to each target through the given nodes, each broker retried until it has new leaders. */
async function addMessages(count: number, via: {rabbitmq: number; kafka: string[]; nats: string[]}): Promise<void> {
  const bodies = Array.from({length: count}, (_, i) => `m${i}`)
  await Promise.all([
    answered(() =>
      withRabbit(via.rabbitmq, async (ch) => {
        for (const body of bodies) ch.sendToQueue(NAME, Buffer.from(body), {persistent: true})
        await ch.waitForConfirms()
      }),
    ),
    answered(() => produce(via.kafka, count)),
    answered(() =>
      withNats(via.nats, async (nc) => {
        const js = nc.jetstream()
        for (const body of bodies) await js.publish(`${NAME}.in`, new TextEncoder().encode(body))
      }),
    ),
  ])
}

/** What each target holds, as its broker says through a surviving node (a retried add may have added twice). */
async function held(via: {rabbitmq: number; kafka: string[]; nats: string[]}) {
  const admin = kafkaClient(via.kafka).admin()
  await admin.connect()
  try {
    return {
      rabbitmq: await answered(() => withRabbit(via.rabbitmq, async (ch) => (await ch.checkQueue(NAME)).messageCount)),
      kafka: await answered(async () => Number((await admin.fetchTopicOffsets(NAME))[0].high)),
      nats: await answered(() =>
        withNats(via.nats, async (nc) => (await (await nc.jetstreamManager()).streams.info(NAME)).state.messages),
      ),
    }
  } finally {
    await admin.disconnect()
  }
}

/** Every target's row shows the depth its broker reports. */
const rowsShowing = (depths: Record<'rabbitmq' | 'kafka' | 'nats', number>) =>
  new RegExp(
    Object.entries(depths)
      .map(([broker, depth]) => `(?=[\\s\\S]*${broker}:${NAME}\\s+${depth.toLocaleString('en-US')}\\s)`)
      .join(''),
  )

describe('the dashboard through the loss of the nodes it talks to', () => {
  const victims = {rabbitmq: 0, kafka: 0, nats: 0}

  beforeAll(async () => {
    await withRabbit(0, async (ch) => {
      await ch.assertQueue(NAME, {durable: true, arguments: {'x-queue-type': 'quorum'}})
    })
    const admin = kafkaClient(kafkaBootstrap).admin()
    await admin.connect()
    try {
      await admin.createTopics({topics: [{topic: NAME, numPartitions: 1, replicationFactor: 3}], waitForLeaders: true})
      const leader = (await admin.fetchTopicMetadata({topics: [NAME]})).topics[0].partitions[0].leader
      victims.kafka = topology.kafka.findIndex((node) => node.id === leader)
    } finally {
      await admin.disconnect()
    }
    const natsLeader = await withNats(natsServers, async (nc) => {
      const jsm = await nc.jetstreamManager()
      await jsm.streams.add({name: NAME, subjects: [`${NAME}.in`], num_replicas: 3})
      return waitFor(async () => (await jsm.streams.info(NAME)).cluster?.leader)
    })
    victims.nats = topology.nats.findIndex((node) => node.name === natsLeader)
    await addMessages(BEFORE, {rabbitmq: 0, kafka: kafkaBootstrap, nats: natsServers})
  }, CLUSTER_START_TIMEOUT_MS)

  afterAll(async () => {
    try {
      tmux('kill-session', '-t', SESSION)
    } catch {
      // already ended
    }
    await ensureCluster('rabbitmq-cluster', 'kafka-cluster', 'nats-cluster')
    await withRabbit(1, async (ch) => void (await ch.deleteQueue(NAME))).catch(() => undefined)
    const admin = kafkaClient(kafkaBootstrap).admin()
    await admin.connect()
    await admin.deleteTopics({topics: [NAME]}).catch(() => undefined)
    await admin.disconnect()
    await withNats(natsServers, async (nc) => (await nc.jetstreamManager()).streams.delete(NAME)).catch(() => false)
  }, CLUSTER_START_TIMEOUT_MS)

  it('keeps refreshing: the depths added through the surviving nodes reach the screen', async () => {
    const first = <T>(list: T[], index: number) => [list[index], ...list.filter((_, i) => i !== index)]
    const env = {
      XDG_CONFIG_HOME: isolatedConfigHome(),
      XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'mailroom-state-')),
      NO_COLOR: '1',
      MAILROOM_RABBITMQ_URL: rabbitmqUrls.join(','),
      MAILROOM_RABBITMQ_MANAGEMENT_URL: rabbitmqManagementUrls.join(','),
      MAILROOM_KAFKA_BROKERS: first(kafkaBootstrap, victims.kafka).join(','),
      MAILROOM_NATS_URL: first(natsServers, victims.nats).join(','),
    }
    const assignments = Object.entries(env).map(([key, value]) => `${key}=${value}`)
    const command = `env ${assignments.join(' ')} ${process.execPath} ${BIN} dashboard --interval 1s; echo "DASHBOARD-EXIT=$?"; sleep 60`
    tmux('new-session', '-d', '-s', SESSION, '-x', '200', '-y', '50', command)
    await waitForScreen(/● rabbitmq .*● kafka .*● nats/, 30_000)
    tmux('send-keys', '-t', SESSION, '/')
    tmux('send-keys', '-t', SESSION, '-l', NAME)
    tmux('send-keys', '-t', SESSION, 'Enter')
    await waitForScreen(rowsShowing({rabbitmq: BEFORE, kafka: BEFORE, nats: BEFORE}), 30_000)

    killNode('rabbitmq-cluster', victims.rabbitmq)
    killNode('kafka-cluster', victims.kafka)
    killNode('nats-cluster', victims.nats)
    const survivors = {
      rabbitmq: (victims.rabbitmq + 1) % topology.rabbitmq.length,
      kafka: kafkaBootstrap.filter((_, i) => i !== victims.kafka),
      nats: natsServers.filter((_, i) => i !== victims.nats),
    }
    await addMessages(AFTER, survivors)
    const depths = await held(survivors)
    expect(Math.min(...Object.values(depths))).toBeGreaterThanOrEqual(BEFORE + AFTER)

    const shown = await waitForScreen(rowsShowing(depths), RECOVERY_MS)
    expect(shown).not.toContain('DASHBOARD-EXIT')
    expect(shown).not.toMatch(/\n\s+at /)
  })
})
