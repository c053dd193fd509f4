// Part of cluster.test.ts.
// Surviving a node failure: `dlq replay` between replicated targets (RabbitMQ quorum queues, Kafka RF 3 topics,
// JetStream R3 streams) while the node mailroom talks to — and the one leading the destination, where the cluster
// lets us choose — is SIGKILLed mid-run. The run finishes on the surviving nodes, or exits 8 and `--resume` completes
// it (still without the dead node); then the node is restarted. Every trial asks the broker itself what the
// destination holds: every message arrived, duplicates stay within --window and are reported.
import amqp from 'amqplib'
import kafkajs from 'kafkajs'
import {connect as natsConnect, headers as natsHeaders} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf} from '../helpers/cli.js'
import {
  CLUSTER_START_TIMEOUT_MS,
  type ClusterBroker,
  ensureCluster,
  kafkaBootstrap,
  killNode,
  natsServers,
  rabbitManagement,
  rabbitmqManagementUrls,
  rabbitmqUrls,
  topology,
} from '../helpers/cluster.js'
import {kafkaRecordsAt, headerText} from '../conformance/kafka-truth.js'
import {
  duplicates,
  journaledCount,
  journalIds,
  runCliWithState,
  sleep,
  startCli,
  stateHome,
} from '../integration/replay-fixtures.js'

vi.setConfig({testTimeout: 360_000})

const MESSAGES = 1500
const WINDOW = 50
const RATE = 300
// Kill once this many messages are confirmed moved: well into the run, well before its end.
const KILL_AFTER = 150
const RUN_LIMIT_MS = 120_000

beforeAll(() => ensureCluster(), CLUSTER_START_TIMEOUT_MS)

interface ReplayCounts {
  replayed: number
  failed: number
  possibleDuplicates: number
}

interface Trial {
  broker: ClusterBroker
  source: string
  destination: string
  /** Index of the node to kill. */
  victim: number
  env: Record<string, string>
  /** True once the source and destination have a leader again on the surviving nodes, asked of the broker. */
  leadersBack(): Promise<boolean>
}

/**
 * Runs the replay, SIGKILLs the victim once KILL_AFTER messages are journaled and, when the run stopped with 8,
 * resumes it as an operator would: once the targets have leaders again, the victim still down. Then restarts the
 * victim. Returns every run's counts.
 */
async function replayThroughNodeLoss(trial: Trial): Promise<ReplayCounts[]> {
  const state = stateHome()
  const args = ['--rate', String(RATE), '--window', String(WINDOW), '--yes', '--json']
  const run = startCli(['dlq', 'replay', trial.source, '--to', trial.destination, ...args], state, trial.env)
  try {
    const replayId = await waitFor(() => journalIds(state)[0], {timeoutMs: 60_000})
    await waitFor(() => journaledCount(state, replayId) >= KILL_AFTER, {timeoutMs: 90_000, intervalMs: 50})
    killNode(trial.broker, trial.victim)
    // A run that never ends after the kill is a failure too: killed after RUN_LIMIT_MS, its output in the message.
    const first = await Promise.race([run.done, sleep(RUN_LIMIT_MS).then(() => (run.kill(), run.done))])
    expect([0, 8], `first run: exit ${first.code}\n${first.stderr}\n${first.stdout.slice(0, 2000)}`).toContain(
      first.code,
    )
    const runs = [jsonOf(first).result.counts as ReplayCounts]
    if (first.code === 8) {
      await waitFor(() => trial.leadersBack(), {timeoutMs: 60_000, intervalMs: 500})
      // mailroom does not yet retry a JetStream request that times out while a stream elects its leader (known
      // defect, noted for its own issue): such a resume ends with exit 6 having moved nothing, and is run again, as an
      // operator would. Every other outcome fails the trial, and the holdings are checked after all the same.
      let resumed = await runCliWithState(['dlq', 'replay', '--resume', replayId, ...args], state, trial.env)
      for (let again = 0; again < 3 && resumed.code === 6; again++) {
        await sleep(2000)
        resumed = await runCliWithState(['dlq', 'replay', '--resume', replayId, ...args], state, trial.env)
      }
      expect(resumed.code, `resume: exit ${resumed.code}\n${resumed.stderr}\n${resumed.stdout.slice(0, 3000)}`).toBe(0)
      runs.push(jsonOf(resumed).result.counts as ReplayCounts)
    }
    if (process.env.CLUSTER_TRIAL_DEBUG) console.log(trial.broker, first.code, JSON.stringify(runs))
    return runs
  } finally {
    run.kill()
    await ensureCluster(trial.broker)
  }
}

function expectNothingLostFewDuplicates(sent: string[], arrived: string[], runs: ReplayCounts[]): void {
  expect(new Set(arrived)).toEqual(new Set(sent))
  const extra = duplicates(arrived)
  expect(extra).toBeLessThanOrEqual(WINDOW)
  expect(runs.reduce((n, r) => n + r.possibleDuplicates, 0)).toBeGreaterThanOrEqual(extra)
}

const ids = (prefix: string) => Array.from({length: MESSAGES}, (_, i) => `${prefix}-${i}`)

describe('rabbitmq-cluster: quorum DLQ -> quorum queue', () => {
  const [source, destination] = [uniqueName('fix-cluster-qdlq'), uniqueName('fix-cluster-qdest')]
  afterAll(() => rabbit(1, (ch) => Promise.all([ch.deleteQueue(source), ch.deleteQueue(destination)])))

  it('the connected node, leading both queues, is killed mid-run: 0 lost', async () => {
    const sent = ids(source)
    // Declared through node 1, so node 1 leads both queues; mailroom connects to node 1 first.
    await rabbit(0, async (ch) => {
      for (const queue of [source, destination])
        await ch.assertQueue(queue, {durable: true, arguments: {'x-queue-type': 'quorum'}})
      for (const id of sent)
        ch.sendToQueue(source, Buffer.from(JSON.stringify({id})), {messageId: id, headers: {id}, persistent: true})
      await ch.waitForConfirms()
    })
    const env = {
      MAILROOM_RABBITMQ_URL: rabbitmqUrls.join(','),
      MAILROOM_RABBITMQ_MANAGEMENT_URL: rabbitmqManagementUrls.join(','),
    }
    const leadersBack = async () => {
      const queues = await Promise.all(
        [source, destination].map((queue) => rabbitManagement<{leader?: string}>(1, `/api/queues/%2F/${queue}`)),
      )
      return queues.every((queue) => queue.leader !== undefined && queue.leader !== topology.rabbitmq[0].node)
    }
    const runs = await replayThroughNodeLoss({
      broker: 'rabbitmq-cluster',
      source: `rabbitmq:${source}`,
      destination: `rabbitmq:${destination}`,
      victim: 0,
      env,
      leadersBack,
    })
    expect(await rabbit(1, async (ch) => (await ch.checkQueue(source)).messageCount)).toBe(0)
    expectNothingLostFewDuplicates(sent, await rabbitIds(1, destination), runs)
  })
})

/** fn on a confirm channel of cluster node `index` (amqplib, not mailroom). */
async function rabbit<T>(index: number, fn: (ch: amqp.ConfirmChannel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(rabbitmqUrls[index])
  try {
    return await fn(await connection.createConfirmChannel())
  } finally {
    await connection.close().catch(() => undefined)
  }
}

/** Every id the queue holds, read with basic.get and left in place (the channel closes without acks). */
function rabbitIds(index: number, queue: string): Promise<string[]> {
  return rabbit(index, async (ch) => {
    const found: string[] = []
    for (let m = await ch.get(queue, {noAck: false}); m; m = await ch.get(queue, {noAck: false}))
      found.push(String(m.properties.headers?.id))
    return found
  })
}

describe('kafka-cluster: RF 3 DLT -> topic', () => {
  const [source, destination] = [uniqueName('fix-cluster-dlt'), uniqueName('fix-cluster-dest')]
  const kafka = new kafkajs.Kafka({
    clientId: 'fix-cluster-test',
    brokers: kafkaBootstrap,
    logLevel: kafkajs.logLevel.NOTHING,
  })
  afterAll(async () => {
    const admin = kafka.admin()
    await admin.connect()
    await admin.deleteTopics({topics: [source, destination]}).catch(() => undefined)
    await admin.disconnect()
  })

  it("the destination partition's leader is killed mid-run: 0 lost, resumed on the new leader", async () => {
    const sent = ids(source)
    const admin = kafka.admin()
    await admin.connect()
    let leader: number
    try {
      await admin.createTopics({
        topics: [
          {topic: source, numPartitions: 1},
          {topic: destination, numPartitions: 1},
        ],
        waitForLeaders: true,
      })
      const {topics} = await admin.fetchTopicMetadata({topics: [destination]})
      leader = topics[0].partitions[0].leader
    } finally {
      await admin.disconnect()
    }
    const producer = kafka.producer()
    await producer.connect()
    for (let i = 0; i < sent.length; i += 500) {
      await producer.send({
        topic: source,
        acks: -1,
        messages: sent.slice(i, i + 500).map((id) => ({value: JSON.stringify({id}), headers: {id}})),
      })
    }
    await producer.disconnect()
    const victim = topology.kafka.findIndex((node) => node.id === leader)
    // The victim first in the bootstrap list: the broker mailroom meets first is the one that dies.
    const bootstrap = [kafkaBootstrap[victim], ...kafkaBootstrap.filter((_, index) => index !== victim)]
    const leadersBack = async () => {
      const probe = kafka.admin()
      await probe.connect()
      try {
        const {topics} = await probe.fetchTopicMetadata({topics: [source, destination]})
        return topics.every((topic) =>
          topic.partitions.every((partition) => partition.leader >= 0 && partition.leader !== leader),
        )
      } finally {
        await probe.disconnect()
      }
    }
    const runs = await replayThroughNodeLoss({
      broker: 'kafka-cluster',
      source: `kafka:${source}`,
      destination: `kafka:${destination}`,
      victim,
      env: {MAILROOM_KAFKA_BROKERS: bootstrap.join(',')},
      leadersBack,
    })
    const records = (await kafkaRecordsAt(kafkaBootstrap.join(','), destination)).get(destination)!
    expectNothingLostFewDuplicates(
      sent,
      records.map((r) => headerText(r, 'id') ?? '?'),
      runs,
    )
  })
})

describe('nats-cluster: R3 stream -> R3 stream', () => {
  const [source, destination] = [uniqueName('fix_cluster_dlq'), uniqueName('fix_cluster_dest')].map((name) =>
    name.replace(/-/g, '_'),
  )
  afterAll(() =>
    nats(async (nc) => {
      const jsm = await nc.jetstreamManager()
      for (const stream of [source, destination]) await jsm.streams.delete(stream).catch(() => undefined)
    }),
  )

  it('the connected server, leading the destination stream, is killed mid-run: 0 lost', async () => {
    const sent = ids(source)
    const leader = await nats(async (nc) => {
      const jsm = await nc.jetstreamManager()
      for (const stream of [source, destination])
        await jsm.streams.add({name: stream, subjects: [`${stream}.>`], num_replicas: 3})
      const js = nc.jetstream()
      for (let i = 0; i < sent.length; i += 250) {
        await Promise.all(
          sent.slice(i, i + 250).map((id) => {
            const h = natsHeaders()
            h.set('id', id)
            return js.publish(`${source}.dead`, Buffer.from(JSON.stringify({id})), {headers: h})
          }),
        )
      }
      return waitFor(async () => (await jsm.streams.info(destination)).cluster?.leader)
    })
    const victim = topology.nats.findIndex((node) => node.name === leader)
    const servers = [natsServers[victim], ...natsServers.filter((_, index) => index !== victim)]
    const leadersBack = () =>
      nats(async (nc) => {
        const jsm = await nc.jetstreamManager()
        // The streams and the source's consumers (the replay's own among them): each is a Raft group of its own.
        const infos = [...(await Promise.all([source, destination].map((stream) => jsm.streams.info(stream))))]
        for await (const consumer of jsm.consumers.list(source)) infos.push(consumer)
        return infos.every((info) => info.cluster?.leader !== undefined && info.cluster.leader !== leader)
      })
    const runs = await replayThroughNodeLoss({
      broker: 'nats-cluster',
      source: `nats:${source}`,
      destination: `nats:${destination}.replayed`,
      victim,
      env: {MAILROOM_NATS_URL: servers.join(',')},
      leadersBack,
    })
    expectNothingLostFewDuplicates(sent, await natsIds(destination), runs)
    expect(await nats(async (nc) => (await (await nc.jetstreamManager()).streams.info(source)).state.messages)).toBe(0)
  })
})

async function nats<T>(fn: (nc: Awaited<ReturnType<typeof natsConnect>>) => Promise<T>): Promise<T> {
  const nc = await natsConnect({servers: natsServers})
  try {
    return await fn(nc)
  } finally {
    await nc.close()
  }
}

/** The `id` header of every message the stream holds, read by sequence through the JetStream API. */
function natsIds(stream: string): Promise<string[]> {
  return nats(async (nc) => {
    const jsm = await nc.jetstreamManager()
    const {first_seq, last_seq} = (await jsm.streams.info(stream)).state
    const found: string[] = []
    for (let seq = first_seq; seq <= last_seq && last_seq > 0; seq += 100) {
      const batch = Array.from({length: Math.min(100, last_seq - seq + 1)}, (_, i) =>
        jsm.streams.getMessage(stream, {seq: seq + i}).catch(() => undefined),
      )
      for (const m of await Promise.all(batch)) if (m) found.push(m.header.get('id'))
    }
    return found
  })
}
