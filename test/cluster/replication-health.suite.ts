// Part of cluster.test.ts.
// Cluster health where users look (issue 21 item 4): one node of each cluster is killed (SIGKILL) and `mailroom
// check --require-replicas`, `lag` and `check -o prometheus` must report what the brokers themselves report — Kafka's
// own `kafka-topics --describe --under-replicated-partitions` (TopicCommand from kafka-tools), the RabbitMQ management
// API's members/online of the quorum queue and its node list, JetStream's stream info (cluster replicas) — and go
// quiet again once the node is back. A topic with one replica, on the killed node, goes offline: listings, lag and
// check must go on answering for everything else and name its partitions as Kafka's tool does
// (`--unavailable-partitions`), never report all of Kafka as failed.
import {execFile} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Kafka, logLevel} from 'kafkajs'
import {connect, type StreamInfo} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'

import {conformanceLibs, gatherConformanceJars} from '../conformance/java.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'
import {
  CLUSTER_START_TIMEOUT_MS,
  ensureCluster,
  kafkaBootstrap,
  killNode,
  natsServers,
  rabbitManagement,
  rabbitmqManagementUrls,
  rabbitmqUrls,
  topology,
} from '../helpers/cluster.js'

const KILLED = 2 // the third node of each cluster
const guest = {
  authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
  'content-type': 'application/json',
}
const topic = uniqueName('fix-cross-context-urp')
const queue = uniqueName('fix-cross-context-qq')
const stream = uniqueName('FIX_CROSS_CONTEXT_R3').replace(/-/g, '_')
/** One replica per partition: partitions 0 and 1 on the node that is killed, partition 2 on a live one. */
const offlineTopic = uniqueName('fix-offline-rf1')
const group = uniqueName('fix-offline-group')

const kafka = new Kafka({
  clientId: 'fix-cross-context-health',
  brokers: kafkaBootstrap.slice(0, KILLED),
  logLevel: logLevel.NOTHING,
})
const admin = kafka.admin()

/** The cluster as one context, every endpoint listed (the killed node's too: mailroom must get past it). */
function configHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'mailroom-cluster-health-'))
  mkdirSync(join(home, 'mailroom'), {recursive: true})
  const context = {
    rabbitmq: {
      urls: rabbitmqUrls.map((u) => u.replace('guest:guest@', '')),
      managementUrls: rabbitmqManagementUrls,
      username: 'guest',
      passwordEnv: 'CLUSTER_RABBIT_PASSWORD',
    },
    kafka: {brokers: kafkaBootstrap},
    nats: {servers: natsServers},
  }
  writeFileSync(
    join(home, 'mailroom', 'config.yaml'),
    stringify({currentContext: 'cluster', contexts: {cluster: context}}),
    {mode: 0o600},
  )
  return home
}
const env = {XDG_CONFIG_HOME: configHome(), CLUSTER_RABBIT_PASSWORD: 'guest'}

/** Kafka's own tool: the partitions of the topic it lists as under-replicated. */
function kafkaToolUnderReplicated(): Promise<number[]> {
  return kafkaTopicTool('--under-replicated-partitions', topic)
}

/** Kafka's own tool: the partitions of the topic it lists as unavailable (no leader). */
function kafkaToolUnavailable(of: string): Promise<number[]> {
  return kafkaTopicTool('--unavailable-partitions', of)
}

async function kafkaTopicTool(filter: string, of: string): Promise<number[]> {
  const stdout = await kafkaTool('TopicCommand', ['--describe', filter, '--topic', of])
  return [...stdout.matchAll(/Partition:\s*(\d+)/g)].map((m) => Number(m[1])).sort()
}

/** Kafka's own tool: each partition of the topic and its leader (-1 for "none"). */
async function kafkaToolLeaders(of: string): Promise<[number, number][]> {
  const stdout = await kafkaTool('TopicCommand', ['--describe', '--topic', of])
  return [...stdout.matchAll(/Partition:\s*(\d+)\s+Leader:\s*(\S+)/g)]
    .map((m): [number, number] => [Number(m[1]), m[2] === 'none' ? -1 : Number(m[2])])
    .sort((a, b) => a[0] - b[0])
}

/**
 * Kafka's own GetOffsetShell: partition -> offset at `time` (-1 end, -2 start) of these partitions (it waits its
 * 60 s request timeout for a partition without a leader before it skips it).
 */
async function kafkaToolOffsets(of: string, partitions: number[], time: -1 | -2): Promise<Map<number, string>> {
  const wanted = partitions.map((p) => `${of}:${p}`).join(',')
  const stdout = await kafkaTool('GetOffsetShell', ['--topic-partitions', wanted, '--time', String(time)])
  const lines = stdout.split('\n').filter((line) => line.startsWith(`${of}:`))
  return new Map(lines.map((line) => [Number(line.split(':')[1]), line.split(':')[2]!]))
}

function kafkaTool(main: string, args: string[]): Promise<string> {
  const java = [
    '-Xshare:auto',
    '-XX:TieredStopAtLevel=1',
    '-cp',
    `${conformanceLibs}/*`,
    `org.apache.kafka.tools.${main}`,
  ]
  const tool = [...java, '--bootstrap-server', kafkaBootstrap[0]!, ...args]
  return new Promise((resolve, reject) => {
    execFile('java', tool, {timeout: 60_000}, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${main} failed: ${stderr}`))
      resolve(stdout)
    })
  })
}

async function streamInfo(): Promise<StreamInfo> {
  const nc = await connect({servers: natsServers.slice(0, KILLED)})
  try {
    return await (await nc.jetstreamManager()).streams.info(stream)
  } finally {
    await nc.close()
  }
}

interface Problem {
  broker: string
  kind: string
  target?: string
  partition?: number
  node?: string
}

async function mailroomCheck() {
  const r = await runCli(['check', '--require-replicas', '--json'], {env, timeoutMs: 90_000})
  const problems = (jsonOf(r).result?.replication?.problems ?? []) as Problem[]
  return {code: r.code, problems, mine: problems.filter((p) => [topic, queue, stream].includes(p.target ?? '')), r}
}

beforeAll(async () => {
  gatherConformanceJars()
  await ensureCluster()
  await admin.connect()
  await admin.createTopics({topics: [{topic, numPartitions: 3, replicationFactor: 3}], waitForLeaders: true})
  const killedId = topology.kafka[KILLED]!.id
  await admin.createTopics({
    topics: [
      {
        topic: offlineTopic,
        replicaAssignment: [
          ...[0, 1].map((partition) => ({partition, replicas: [killedId]})),
          {partition: 2, replicas: [topology.kafka[0]!.id]},
        ],
      },
    ],
    waitForLeaders: true,
  })
  // Records on both topics, and a group that consumed part of the replicated one and nothing of the other.
  const producer = kafka.producer({idempotent: true, maxInFlightRequests: 1})
  await producer.connect()
  await producer.send({topic, acks: -1, messages: Array.from({length: 12}, (_, i) => ({key: `k${i}`, value: `v${i}`}))})
  await producer.send({topic: offlineTopic, acks: -1, messages: [{value: 'a'}, {value: 'b'}, {value: 'c'}]})
  await producer.send({topic: offlineTopic, acks: -1, messages: [{value: 'd', partition: 2}]})
  await producer.disconnect()
  await admin.setOffsets({groupId: group, topic, partitions: [0, 1, 2].map((partition) => ({partition, offset: '1'}))})
  await admin.setOffsets({groupId: group, topic: offlineTopic, partitions: [{partition: 0, offset: '0'}]})
  const put = await fetch(`${rabbitmqManagementUrls[0]}/api/queues/%2F/${queue}`, {
    method: 'PUT',
    headers: guest,
    body: JSON.stringify({durable: true, arguments: {'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 3}}),
  })
  expect(put.status).toBeLessThan(300)
  const nc = await connect({servers: natsServers})
  await (await nc.jetstreamManager()).streams.add({name: stream, subjects: [`${stream}.>`], num_replicas: 3})
  await nc.close()
  await waitFor(
    async () =>
      (await rabbitManagement<{members?: string[]}>(0, `/api/queues/%2F/${queue}`)).members?.length === 3 || undefined,
    {timeoutMs: 30_000},
  )
}, CLUSTER_START_TIMEOUT_MS)

afterAll(async () => {
  await ensureCluster().catch(() => undefined)
  await admin.deleteTopics({topics: [topic, offlineTopic]}).catch(() => undefined)
  await admin.disconnect()
  await fetch(`${rabbitmqManagementUrls[0]}/api/queues/%2F/${queue}`, {method: 'DELETE', headers: guest}).catch(
    () => undefined,
  )
  const nc = await connect({servers: natsServers})
  await (await nc.jetstreamManager()).streams.delete(stream).catch(() => undefined)
  await nc.close()
}, CLUSTER_START_TIMEOUT_MS)

describe('replication health on the clusters', () => {
  it('check --require-replicas, lag and Prometheus report what each broker reports when a node dies, and clear when it is back', async () => {
    const healthy = await mailroomCheck()
    expect(healthy.mine, JSON.stringify(healthy.problems)).toEqual([])
    expect(await kafkaToolUnderReplicated()).toEqual([])

    for (const broker of ['kafka-cluster', 'rabbitmq-cluster', 'nats-cluster'] as const) killNode(broker, KILLED)
    const deadNode = topology.rabbitmq[KILLED]!.node

    // The brokers' own view first: Kafka's tool, the management API (from a live node), JetStream's stream info.
    const underReplicated = await waitFor(
      async () => ((await kafkaToolUnderReplicated()).length === 3 ? kafkaToolUnderReplicated() : undefined),
      {timeoutMs: 60_000, intervalMs: 1000},
    )
    const quorum = await waitFor(
      async () => {
        const q = await rabbitManagement<{members: string[]; online: string[]}>(0, `/api/queues/%2F/${queue}`)
        return q.online.length < q.members.length ? q : undefined
      },
      {timeoutMs: 60_000, intervalMs: 1000},
    )
    expect(quorum.members.filter((m) => !quorum.online.includes(m))).toEqual([deadNode])
    const info = await waitFor(
      async () => {
        const si = await streamInfo().catch(() => undefined)
        return si?.cluster?.replicas?.some((r) => r.offline || !r.current) ? si : undefined
      },
      {timeoutMs: 60_000, intervalMs: 1000},
    )
    const natsDown = info.cluster!.replicas!.filter((r) => r.offline || !r.current).map((r) => r.name)

    const broken = await waitFor(
      async () => {
        const c = await mailroomCheck()
        return c.mine.some((p) => p.broker === 'nats') && c.mine.some((p) => p.broker === 'kafka') ? c : undefined
      },
      {timeoutMs: 60_000, intervalMs: 2000},
    )
    expect(broken.code, broken.r.stderr).toBe(7)
    const kafkaPartitions = broken.mine
      .filter((p) => p.broker === 'kafka' && p.kind === 'under-replicated')
      .map((p) => p.partition)
      .sort()
    expect(kafkaPartitions).toEqual(underReplicated)
    expect(broken.mine).toContainEqual(
      expect.objectContaining({broker: 'rabbitmq', kind: 'below-target', target: queue, replicas: 3, inSync: 2}),
    )
    expect(broken.problems).toContainEqual(
      expect.objectContaining({broker: 'rabbitmq', kind: 'node-down', node: deadNode}),
    )
    const natsProblem = broken.mine.find((p) => p.broker === 'nats' && p.kind === 'under-replicated') as Problem & {
      message: string
    }
    expect(natsProblem.message).toContain(natsDown[0])

    await offlineTopicReported()

    const lag = await runCli(['lag'], {env, timeoutMs: 90_000})
    expect(lag.stdout).toMatch(new RegExp(`REPLICATION kafka under-replicated: ${topic}/0 is under-replicated`))
    const prometheus = await runCli(['check', '--require-replicas', '-o', 'prometheus'], {env, timeoutMs: 90_000})
    expect(prometheus.code).toBe(7)
    expect(prometheus.stdout).toContain(
      `mailroom_replication_problem{broker="kafka",kind="under-replicated",target="${topic}",partition="0"} 1`,
    )
    expect(prometheus.stdout).toMatch(/mailroom_replication_problems\{broker="rabbitmq",kind="below-target"\} [1-9]/)

    await ensureCluster('kafka-cluster', 'rabbitmq-cluster', 'nats-cluster')
    const recovered = await waitFor(
      async () => {
        const c = await mailroomCheck()
        return c.mine.length === 0 ? c : undefined
      },
      {timeoutMs: 120_000, intervalMs: 3000},
    )
    expect(recovered.mine).toEqual([])
    expect(await kafkaToolUnderReplicated()).toEqual([])
  }, 420_000)
})

/**
 * With the killed node, the one-replica topic has no leader: Kafka's tool lists both partitions as unavailable.
 * mailroom names the same partitions offline in check, lists every other topic with its depth (the end offsets a
 * client reads from the live nodes) and the offline one without a depth it cannot know, and gives the group's lag on
 * the replicated topic while saying why its lag on the offline one is unknown.
 */
async function offlineTopicReported(): Promise<void> {
  const unavailable = await waitFor(
    async () =>
      (await kafkaToolUnavailable(offlineTopic)).length === 2 ? kafkaToolUnavailable(offlineTopic) : undefined,
    {timeoutMs: 60_000, intervalMs: 1000},
  )
  expect(unavailable).toEqual([0, 1])
  const check = await mailroomCheck()
  const offline = check.problems
    .filter((p) => p.broker === 'kafka' && p.target === offlineTopic)
    .map((p) => [p.kind, p.partition])
  expect(offline).toEqual(unavailable.map((partition) => ['offline', partition]))

  // Asked by a client of its own that never named the offline topic: kafkajs fails a read of several named topics
  // when one of them has no leader.
  const truth = kafka.admin()
  await truth.connect()
  const ends = await truth.fetchTopicOffsets(topic)
  const committed = await truth.fetchOffsets({groupId: group, topics: [topic]})
  await truth.disconnect()
  const depth = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
  expect(depth).toBe(12)
  const list = await runCli(['targets', 'list', '-b', 'kafka', '--json'], {env, timeoutMs: 90_000})
  expect(list.code, list.stderr).toBe(0)
  const targets = jsonOf(list).result.targets as {name: string; depth?: number; offlinePartitions?: number[]}[]
  expect(targets.find((t) => t.name === topic)).toMatchObject({depth})
  const offlineTarget = targets.find((t) => t.name === offlineTopic)
  expect(offlineTarget).toMatchObject({offlinePartitions: unavailable})
  expect(offlineTarget).not.toHaveProperty('depth')
  expect(jsonOf(list).warnings).toContainEqual(
    expect.stringContaining(`kafka:${offlineTopic}: partition(s) 0,1 offline (no leader): depth unknown`),
  )

  const expectedLag = committed[0]!.partitions.reduce(
    (sum, p) => sum + Number(ends.find((e) => e.partition === p.partition)!.high) - Number(p.offset),
    0,
  )
  expect(expectedLag).toBe(9)
  const lag = await runCli(['lag', `kafka:${group}`, '--json'], {env, timeoutMs: 90_000})
  expect(lag.code, lag.stderr).toBe(0)
  const rows = jsonOf(lag).result.rows as {target: string; status: string; lag?: number; offlinePartitions?: number[]}[]
  expect(rows.find((r) => r.target === topic)).toMatchObject({lag: expectedLag})
  const offlineRow = rows.find((r) => r.target === offlineTopic)
  expect(offlineRow).toMatchObject({status: 'STOP', offlinePartitions: unavailable})
  expect(offlineRow).not.toHaveProperty('lag')

  // Described as Kafka's own tools see it: each partition's leader (none for the offline ones), and the offsets of
  // the partitions that have one, where kafkajs fails the whole topic.
  const describe = await runCli(['targets', 'describe', `kafka:${offlineTopic}`, '--json'], {env, timeoutMs: 90_000})
  expect(describe.code, describe.stderr).toBe(0)
  const info = jsonOf(describe).result as {
    depth?: number
    offlinePartitions?: number[]
    details: {partitions: {partition: number; leader: number; low?: string; high?: string}[]}
  }
  expect(info.offlinePartitions).toEqual(unavailable)
  expect(info).not.toHaveProperty('depth')
  const leaders = await kafkaToolLeaders(offlineTopic)
  expect(info.details.partitions.map((p) => [p.partition, p.leader])).toEqual(leaders)
  const led = leaders.filter(([, leader]) => leader >= 0).map(([partition]) => partition)
  expect(led).toEqual([2])
  const [toolEnds, toolStarts] = [
    await kafkaToolOffsets(offlineTopic, led, -1),
    await kafkaToolOffsets(offlineTopic, led, -2),
  ]
  expect([...toolEnds.keys()]).toEqual(led)
  for (const p of info.details.partitions)
    expect([p.low, p.high]).toEqual(
      toolEnds.has(p.partition) ? [toolStarts.get(p.partition), toolEnds.get(p.partition)] : [undefined, undefined],
    )
  expect(Number(toolEnds.get(2))).toBeGreaterThanOrEqual(1)
  expect(jsonOf(describe).warnings).toContainEqual(
    expect.stringContaining(`kafka:${offlineTopic}: partition(s) 0,1 offline (no leader): depth unknown`),
  )

  // Reading it fails (kafkajs asks about a named topic strictly: the partition that has a leader is not read
  // either), naming the partitions Kafka's tool lists as unavailable and the node their replicas are on.
  const peek = await runCli(['peek', `kafka:${offlineTopic}`, '--json'], {env, timeoutMs: 90_000})
  expect(peek.code).toBe(3)
  expect(jsonOf(peek).error?.code).toBe('CONNECTION')
  expect(jsonOf(peek).error?.message).toBe(
    `partition(s) 0,1 of topic ${offlineTopic} have no leader (the other 1 have one, but mailroom reads and writes a Kafka topic only while every partition of it has a leader): every replica of them is down (node(s) ${topology.kafka[KILLED]!.id})`,
  )
}
