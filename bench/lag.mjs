// Lag at scale (issue 21 item 6), on the local brokers: the full size is 2,000 Kafka partitions (200 topics of 10,
// each consumed by one group), 1,000 RabbitMQ queues and 300 JetStream consumers (30 streams of 10). The Kafka groups
// are of every type (issue 16): one in ten is a group of the new consumer protocol (KIP-848) with a live Java member
// that has read and committed its topic, one in forty a share group (KIP-932) with a live KafkaShareConsumer, the
// rest classic groups with committed offsets and no member; the members run in two JVMs in all (GroupMembers.java and
// OtherGroups.java of test/conformance/java, on the conformance jars: without them every group is classic). The set
// grows in three steps, 10%, 30% and 100%, and at each one the bench prints, side by side:
//  - a `lag` snapshot (LagMonitor, warm: connected adapters, the median of RUNS snapshots after a first one), its
//    client CPU and its round trips per broker (Kafka requests, management HTTP requests, NATS requests);
//  - a `check` (runCheck with every threshold: lag, DLQ depth, consumers), warm, the median of RUNS;
//  - the dashboard (`mailroom dashboard --interval 2s` in a real terminal, tmux 80x24): CPU of its process over
//    DASH_SECONDS after a warm-up, in % of one core;
// then the growth from 10% to 100% against the growth of the set (at most linear: time x <= items x).
// Targets at 100%: snapshot and check <= 1.0 s warm, dashboard <= 10% of a core. Everything is named
// bench-lag-<run>-*, and removed at the end (RabbitMQ queues also expire by themselves after 15 minutes).
// Run: npm run build && node bench/lag.mjs   (SIZES=0.1,0.3,1 RUNS=5 DASH_SECONDS=20 DASHBOARD=0 skips it)
// On the three-node clusters (`node scripts/brokers.mjs up cluster`, ports in scripts/lib/cluster-topology.json):
// TARGET=cluster node bench/lag.mjs. The settings (and the dashboard's env) list every node of each cluster; Kafka
// topics get replication factor 3, the queues are quorum queues, the streams have 3 replicas (their consumers too).
// A step the cluster cannot hold is printed as FAILED with its error, and the sizes before it are still reported.
// Side by side with a previous build: BASELINE_DIST=<its dist/> (with bin/run.js beside it): its `check` (its own
// adapters) is timed after this build's, and both dashboards run at once (the same load on both).
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {randomUUID} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import amqp from 'amqplib'
import kafkajs from 'kafkajs'
import {AckPolicy, connect as natsConnect} from 'nats'

import {createAdapter} from '../dist/adapters/registry.js'
import {runCheck} from '../dist/core/lag/check.js'
import {LagMonitor} from '../dist/core/lag/service.js'
import {dlqSettings} from '../dist/core/dlq/settings.js'
import {procStat} from './proc-stat.mjs'

const FULL = {topics: 200, partitions: 10, queues: 1000, streams: 30, consumersPerStream: 10}
const SIZES = (process.env.SIZES ?? '0.1,0.3,1').split(',').map(Number)
const RUNS = Number(process.env.RUNS ?? 5)
const DASH_SECONDS = Number(process.env.DASH_SECONDS ?? 20)
const DASHBOARD = process.env.DASHBOARD !== '0'
const run = randomUUID().slice(0, 8)
const conformanceLibs = fileURLToPath(new URL('../.brokers/conformance/libs/', import.meta.url))
const JAVA_MEMBERS = existsSync(`${conformanceLibs}kafka-clients-4.1.1.jar`)
/** The type of the group of the i-th topic: the same proportions at every size (at 10%: 17 classic, 2 new, 1 share). */
const groupType = (i) =>
  !JAVA_MEMBERS ? 'classic' : i % 10 === 1 ? 'consumer' : i % 40 === 3 && SHARE_GROUPS ? 'share' : 'classic'
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const BASELINE = process.env.BASELINE_DIST
const CLUSTER = process.env.TARGET === 'cluster'
// The cluster harness formats its storage without share.version (share groups, KIP-932): its share groups are classic.
const SHARE_GROUPS = !CLUSTER
const topology = JSON.parse(readFileSync(new URL('../scripts/lib/cluster-topology.json', import.meta.url), 'utf8'))
/** Where the set lives: the single local brokers, or every node of the three local clusters. */
const where = CLUSTER
  ? {
      name: 'three-node clusters (replication factor 3, quorum queues, R3 streams)',
      kafka: topology.kafka.map((n) => `127.0.0.1:${n.port}`),
      amqp: topology.rabbitmq.map((n) => `amqp://guest:guest@127.0.0.1:${n.amqp}`),
      management: topology.rabbitmq.map((n) => `http://127.0.0.1:${n.management}`),
      nats: topology.nats.map((n) => `nats://127.0.0.1:${n.port}`),
      replicas: 3,
    }
  : {
      name: "local brokers (which also hold other engineers' data)",
      kafka: ['127.0.0.1:9092'],
      amqp: ['amqp://guest:guest@127.0.0.1:5672'],
      management: ['http://127.0.0.1:15672'],
      nats: ['nats://127.0.0.1:4222'],
      replicas: 1,
    }
const baseline = BASELINE
  ? {
      bin: join(BASELINE, '..', 'bin', 'run.js'),
      createAdapter: (await import(join(BASELINE, 'adapters', 'registry.js'))).createAdapter,
      runCheck: (await import(join(BASELINE, 'core', 'lag', 'check.js'))).runCheck,
    }
  : undefined

// ---- round-trip counters (installed before any client is created) ----
const counts = {kafka: 0, rabbitmq: 0, nats: 0}
const require = createRequire(import.meta.url)
const Connection = require('kafkajs/src/network/connection.js')
const send = Connection.prototype.send
Connection.prototype.send = function (...args) {
  counts.kafka++
  return send.apply(this, args)
}
// The management API is called through node:http (http.ts): count its requests there.
const http = require('node:http')
const httpRequest = http.request
http.request = (...args) => {
  counts.rabbitmq++
  return httpRequest(...args)
}
require('node:module').syncBuiltinESMExports()
const nc = await natsConnect({servers: where.nats})
const natsProto = Object.getPrototypeOf(nc)
const natsRequest = natsProto.request
natsProto.request = function (...args) {
  counts.nats++
  return natsRequest.apply(this, args)
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const resetCounts = () => Object.keys(counts).forEach((k) => (counts[k] = 0))

// ---- the set, grown step by step ----
const kafka = new kafkajs.Kafka({
  clientId: 'bench-lag',
  brokers: where.kafka,
  logLevel: kafkajs.logLevel.NOTHING,
})
const admin = kafka.admin()
const producer = kafka.producer({allowAutoTopicCreation: false})
await Promise.all([admin.connect(), producer.connect()])
const amqpConn = await amqp.connect(where.amqp[0])
const ch = await amqpConn.createChannel()
// An R3 stream or consumer is created through a Raft round over the cluster: on a loaded machine that takes longer
// than the client's default 5 s (the set-up step failed with TIMEOUT at 100%), so give the requests more time.
const jsm = await nc.jetstreamManager(CLUSTER ? {timeout: 30_000} : {})
const js = nc.jetstream(CLUSTER ? {timeout: 30_000} : {})
const made = {topics: [], groups: [], groupTypes: {classic: 0, consumer: 0, share: 0}, queues: [], streams: []}

// ---- live members of the new-protocol and share groups: one JVM per program, members of many groups in each ----
const jvms = []

/** A Java program of test/conformance/java in a JVM of its own, driven by lines on stdin; resolves once it is ready. */
async function javaMembers(program, args = []) {
  const source = fileURLToPath(new URL(`../test/conformance/java/${program}.java`, import.meta.url))
  const child = spawn(
    'java',
    ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', `${conformanceLibs}*`, source, ...args],
    {stdio: ['pipe', 'pipe', 'ignore'], env: {...process.env, MAILROOM_KAFKA_BROKERS: where.kafka.join(',')}},
  )
  const members = {child, out: '', exited: false}
  jvms.push(members)
  child.stdout.on('data', (c) => (members.out += c))
  child.once('exit', () => (members.exited = true))
  members.send = (lines) => child.stdin.write(lines.map((l) => `${l}\n`).join(''))
  members.until = async (ok, what) => {
    for (const deadline = Date.now() + 180_000; !ok(members.out);) {
      if (members.exited || Date.now() > deadline)
        throw new Error(
          `${program}: ${what} ${members.exited ? 'never came, its JVM exited' : 'not within 180 s'}:\n${members.out.slice(-2000)}`,
        )
      await sleep(200)
    }
  }
  await members.until((out) => /^ready$/m.test(out), 'ready')
  return members
}

// Started with the first step (a JVM takes a while to compile its program), awaited once the topics have records.
let javaStart
function startJvms() {
  javaStart ??= Promise.all([javaMembers('GroupMembers'), javaMembers('OtherGroups', [where.kafka.join(',')])])
  javaStart.catch(() => undefined) // its error surfaces where it is awaited
  return javaStart
}

/** A member per new-protocol group (it reads its topic and commits) and per share group (it reads and acknowledges). */
async function startMembers(groups) {
  const consumerGroups = groups.filter((g) => g.type === 'consumer')
  const shareGroups = groups.filter((g) => g.type === 'share')
  if (consumerGroups.length + shareGroups.length === 0) return
  const [consumers, sharers] = await startJvms()
  consumers.send(consumerGroups.map((g) => `start m${g.index} ${g.groupId} consumer ${g.topic} commit`))
  sharers.send(shareGroups.flatMap((g) => [`earliest ${g.groupId}`, `share s${g.index} ${g.groupId} ${g.topic}`]))
  await Promise.all([
    consumers.until(
      (out) => consumerGroups.every((g) => new RegExp(`^committed m${g.index} `, 'm').test(out)),
      'new-protocol members committed',
    ),
    sharers.until(
      (out) => shareGroups.every((g) => new RegExp(`^acked s${g.index} `, 'm').test(out)),
      'share members acknowledged',
    ),
  ])
}

async function stopJvms() {
  await Promise.all(
    jvms.map(async ({child, exited}) => {
      if (exited) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.stdin.write('quit\n')
      const timer = setTimeout(() => child.kill(), 30_000)
      await gone
      clearTimeout(timer)
    }),
  )
}

async function inBatches(items, size, fn) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn))
}

/** New partitions' leaders settle for a while on a loaded machine: a set-up step is tried again, not given up. */
async function retried(step) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step()
    } catch (error) {
      if (attempt >= 5) throw error
      await new Promise((r) => setTimeout(r, 2000 * attempt))
    }
  }
}

async function growKafka(topicCount) {
  const topics = Array.from(
    {length: topicCount - made.topics.length},
    (_, i) => `bench-lag-${run}-t${made.topics.length + i}`,
  )
  if (topics.length === 0) return
  made.topics.push(...topics) // before creating: a failed step still removes what it made
  for (let i = 0; i < topics.length; i += 50) {
    await admin.createTopics({
      topics: topics.slice(i, i + 50).map((topic) => ({
        topic,
        numPartitions: FULL.partitions,
        ...(CLUSTER ? {replicationFactor: where.replicas} : {}),
      })),
      waitForLeaders: false,
    })
  }
  // Leaders of 2,000 new partitions take a moment on a loaded machine; kafkajs's own wait gives up too early.
  for (const deadline = Date.now() + 120_000; ;) {
    const metadata = await admin.fetchTopicMetadata({topics}).catch(() => undefined)
    if (
      metadata?.topics.every((t) => t.partitions.length === FULL.partitions && t.partitions.every((p) => p.leader >= 0))
    )
      break
    if (Date.now() > deadline) throw new Error('the new topics got no leaders within 120 s')
    await new Promise((r) => setTimeout(r, 500))
  }
  for (let i = 0; i < topics.length; i += 20) {
    const topicMessages = topics.slice(i, i + 20).map((topic) => ({
      topic,
      messages: Array.from({length: FULL.partitions * 5}, (_, m) => ({
        value: `m${m}`,
        partition: m % FULL.partitions,
      })),
    }))
    await retried(() => producer.sendBatch({topicMessages, acks: -1}))
  }
  const first = made.topics.length - topics.length
  const groups = topics.map((topic, k) => ({
    groupId: `${topic}-g`,
    topic,
    index: first + k,
    type: groupType(first + k),
  }))
  made.groups.push(...groups.map((g) => g.groupId))
  for (const g of groups) made.groupTypes[g.type]++
  // Each classic group committed 2 of the 5 records of every partition.
  const classic = groups.filter((g) => g.type === 'classic')
  await inBatches(classic, 20, ({groupId, topic}) =>
    retried(() =>
      admin.setOffsets({
        groupId,
        topic,
        partitions: Array.from({length: FULL.partitions}, (_, p) => ({partition: p, offset: '2'})),
      }),
    ),
  )
  await startMembers(groups)
}

async function growRabbit(queueCount) {
  const queues = Array.from(
    {length: queueCount - made.queues.length},
    (_, i) => `bench-lag-${run}-q${made.queues.length + i}`,
  )
  made.queues.push(...queues)
  const options = CLUSTER
    ? {durable: true, arguments: {'x-queue-type': 'quorum', 'x-expires': 60 * 60_000}}
    : {durable: false, arguments: {'x-expires': 15 * 60_000}}
  // Quorum queues start a Raft group on every node each: in batches, so the cluster is not asked for 1,000 at once.
  await inBatches(queues, CLUSTER ? 50 : queues.length || 1, (q) => ch.assertQueue(q, options))
  for (const q of queues) ch.sendToQueue(q, Buffer.from('x'))
}

async function growNats(streamCount) {
  const streams = Array.from(
    {length: streamCount - made.streams.length},
    (_, i) => `BENCH_LAG_${run}_${made.streams.length + i}`,
  )
  for (const s of streams) {
    made.streams.push(s)
    // Adding a stream or consumer again with the same configuration is a no-op: a timed-out step is tried again.
    await retried(() =>
      jsm.streams.add({name: s, subjects: [`${s}.>`], ...(CLUSTER ? {num_replicas: where.replicas} : {})}),
    )
    await retried(() =>
      Promise.all(
        Array.from({length: 5}, (_, i) => js.publish(`${s}.x`, new TextEncoder().encode(`m${i}`), {msgID: `m${i}`})),
      ),
    )
    await retried(() =>
      Promise.all(
        Array.from({length: FULL.consumersPerStream}, (_, c) =>
          jsm.consumers.add(s, {durable_name: `c${c}`, ack_policy: AckPolicy.Explicit}),
        ),
      ),
    )
  }
}

async function grow(size) {
  const t0 = performance.now()
  if (JAVA_MEMBERS) startJvms()
  const steps = await Promise.allSettled([
    growKafka(Math.round(FULL.topics * size)),
    growRabbit(Math.round(FULL.queues * size)),
    growNats(Math.max(1, Math.round(FULL.streams * size))),
  ])
  for (const step of steps) if (step.status === 'rejected') throw step.reason
  return performance.now() - t0
}

async function cleanup() {
  const t0 = performance.now()
  await stopJvms()
  await admin.deleteGroups(made.groups).catch(() => undefined)
  for (let i = 0; i < made.topics.length; i += 100)
    await admin.deleteTopics({topics: made.topics.slice(i, i + 100)}).catch(() => undefined)
  await Promise.all(made.queues.map((q) => ch.deleteQueue(q).catch(() => undefined)))
  await Promise.all(made.streams.map((s) => jsm.streams.delete(s).catch(() => undefined)))
  await producer.disconnect()
  await admin.disconnect()
  await amqpConn.close().catch(() => undefined)
  await nc.close()
  return performance.now() - t0
}

// ---- measurements ----
const settings = {
  rabbitmq: {url: where.amqp.join(','), managementUrl: where.management.join(',')},
  kafka: {brokers: where.kafka},
  nats: {url: where.nats.join(',')},
  // A loaded machine's management API can take seconds for 1,000 queues: measure it rather than time out.
  connectTimeoutMs: 30_000,
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const cpuMs = (since) => {
  const u = process.cpuUsage(since)
  return (u.user + u.system) / 1000
}

/** The median wall and client CPU time of RUNS warm calls (after one cold call), and the round trips of the last. */
async function timed(fn) {
  const first = await fn()
  const walls = []
  const cpus = []
  for (let i = 0; i < RUNS; i++) {
    resetCounts()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await fn()
    walls.push(performance.now() - t0)
    cpus.push(cpuMs(cpu0))
  }
  return {ms: median(walls), cpuMs: median(cpus), trips: {...counts}, first}
}

async function measureCore() {
  const adapters = await Promise.all(['kafka', 'rabbitmq', 'nats'].map((k) => createAdapter(k, settings)))
  await Promise.all(adapters.map((a) => a.connect()))
  try {
    const monitor = new LagMonitor(adapters)
    const lag = await timed(() => monitor.snapshot())
    const thresholds = {maxLag: 1e12, maxLagSeconds: 1e9, maxDlqDepth: 1e12, requireConsumers: true}
    const check = await timed(() => runCheck(adapters, thresholds, {dlqSettings: dlqSettings({})}))
    const perBroker = {}
    for (const a of adapters) perBroker[a.kind] = Math.round((await timed(() => a.consumerLag())).ms)
    const baselineCheck = baseline ? await timedBaselineCheck(thresholds) : undefined
    const rows = lag.first.rows
    const mine = rows.filter(
      (r) => r.target.includes(run) || r.target.includes(run.toUpperCase()) || r.consumer.includes(run),
    )
    // Rows of this run's Kafka groups by the type mailroom describes, "+live" when the group has members.
    const byType = {}
    for (const r of mine.filter((r) => r.broker === 'kafka')) {
      const key = `${r.group?.type ?? '?'}${r.group?.members.length ? '+live' : ''}`
      byType[key] = (byType[key] ?? 0) + 1
    }
    return {
      lag,
      check,
      baselineCheck,
      perBroker,
      rows: rows.length,
      mine: mine.length,
      kafkaRowsByType: byType,
      failures: lag.first.failures,
    }
  } finally {
    await Promise.all(adapters.map((a) => a.close()))
  }
}

/** The previous build's `check`, on its own adapters, the same way. */
async function timedBaselineCheck(thresholds) {
  const adapters = await Promise.all(['kafka', 'rabbitmq', 'nats'].map((k) => baseline.createAdapter(k, settings)))
  await Promise.all(adapters.map((a) => a.connect()))
  try {
    return await timed(() => baseline.runCheck(adapters, thresholds, {dlqSettings: dlqSettings({})}))
  } finally {
    await Promise.all(adapters.map((a) => a.close()))
  }
}

const tmux = (...args) => execFileSync('tmux', args, {encoding: 'utf8'})

/**
 * CPU of `mailroom dashboard --interval 2s` over DASH_SECONDS, after its first frame with rows and a warm-up, in % of
 * one core: this build's, and the previous build's beside it (both at once) with BASELINE_DIST.
 */
async function measureDashboard() {
  const bins = [bin, ...(baseline ? [baseline.bin] : [])]
  const sessions = bins.map((_, i) => `mailroom-bench-lag-${run}-${i}`)
  const env = [
    `XDG_CONFIG_HOME=${mkdtempSync(join(tmpdir(), 'mailroom-bench-'))}`,
    ...(CLUSTER
      ? [
          `MAILROOM_RABBITMQ_URL=${where.amqp.join(',')}`,
          `MAILROOM_RABBITMQ_MANAGEMENT_URL=${where.management.join(',')}`,
          `MAILROOM_KAFKA_BROKERS=${where.kafka.join(',')}`,
          `MAILROOM_NATS_URL=${where.nats.join(',')}`,
        ]
      : []),
  ].join(' ')
  for (const [i, session] of sessions.entries())
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '80',
      '-y',
      '24',
      `env ${env} ${process.execPath} ${bins[i]} dashboard --interval 2s; sleep 5`,
    )
  try {
    for (const session of sessions) {
      for (
        const deadline = performance.now() + 60_000;
        !/Targets and consumers \(\d+\)/.test(tmux('capture-pane', '-p', '-t', session));
      ) {
        if (performance.now() > deadline)
          throw new Error(`the dashboard showed no targets:\n${tmux('capture-pane', '-p', '-t', session)}`)
        await sleep(100)
      }
    }
    const pids = sessions.map((session) => {
      const shell = tmux('display', '-p', '-t', session, '#{pane_pid}').trim()
      return Number(
        execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', shell], {encoding: 'utf8'})
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .find(([, comm]) => comm === 'node')[0],
      )
    })
    await sleep(6000)
    const before = pids.map((pid) => procStat(pid).cpuMs)
    const t0 = performance.now()
    await sleep(DASH_SECONDS * 1000)
    const wall = performance.now() - t0
    const [mine, previous] = pids.map((pid, i) => ((procStat(pid).cpuMs - before[i]) / wall) * 100)
    return {mine, previous}
  } finally {
    for (const session of sessions) {
      try {
        tmux('kill-session', '-t', session)
      } catch {
        // ended already
      }
    }
  }
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
const results = []
let cleanupMs
let failedStep
try {
  for (const size of SIZES) {
    let growMs
    try {
      growMs = await grow(size)
    } catch (error) {
      // The largest size the brokers held is still reported; the step that failed is printed with its error.
      failedStep = {size, error: error?.stack ?? String(error), load: load()}
      console.error(`  FAILED to grow to ${Math.round(size * 100)}%: ${error?.message ?? error}`)
      break
    }
    // The management API shows new queues' depth after its next statistics emission (default every 5 s).
    await sleep(5500)
    const core = await measureCore()
    const dashboard = DASHBOARD ? await measureDashboard() : undefined
    results.push({
      size,
      growMs,
      core,
      dashboard,
      load: load(),
      groupTypes: {...made.groupTypes},
      items: made.topics.length * FULL.partitions + made.queues.length + made.streams.length * FULL.consumersPerStream,
    })
    console.error(`  measured ${Math.round(size * 100)}% (set-up step ${(growMs / 1000).toFixed(1)} s)`)
  }
} finally {
  cleanupMs = await cleanup()
}

const pad = (v, n) => String(v).padStart(n)
console.log(`lag at scale, ${where.name}; warm = median of ${RUNS} after a first call`)
console.log(
  JAVA_MEMBERS
    ? SHARE_GROUPS
      ? 'Kafka groups: classic (committed offsets, no member), new protocol (KIP-848, a live Java member each) and share (KIP-932, a live KafkaShareConsumer each), 2 JVMs'
      : 'Kafka groups: classic (committed offsets, no member) and new protocol (KIP-848, a live Java member each); no share groups (the cluster is formatted without share.version)'
    : 'Kafka groups: classic only (gather the conformance jars for new-protocol and share groups: npx vitest run test/conformance)',
)
console.log(
  `${'size'.padEnd(5)} ${pad('partitions', 10)} ${pad('groups classic/new/share', 23)} ${pad('queues', 6)} ${pad('consumers', 9)} ${pad('rows', 5)}  ${pad('lag ms', 7)} ${pad('cpu ms', 7)} ${pad('check ms', 8)} ${pad('cpu ms', 7)} ${pad('dashboard', 9)}  round trips of one snapshot  load`,
)
for (const r of results) {
  const n = r.size
  const cols = [
    `${Math.round(n * 100)}%`.padEnd(5),
    pad(Math.round(FULL.topics * n) * FULL.partitions, 10),
    pad(`${Math.round(FULL.topics * n)} = ${r.groupTypes.classic}/${r.groupTypes.consumer}/${r.groupTypes.share}`, 23),
    pad(Math.round(FULL.queues * n), 6),
    pad(Math.max(1, Math.round(FULL.streams * n)) * FULL.consumersPerStream, 9),
    pad(r.core.rows, 5),
    ` ${pad(Math.round(r.core.lag.ms), 7)}`,
    pad(Math.round(r.core.lag.cpuMs), 7),
    pad(Math.round(r.core.check.ms), 8),
    pad(Math.round(r.core.check.cpuMs), 7),
    pad(r.dashboard === undefined ? '-' : `${r.dashboard.mine.toFixed(1)}%`, 9),
    ` ${JSON.stringify(r.core.lag.trips)}`,
    ` ${r.load}`,
  ]
  console.log(cols.join(' '))
  console.log(
    `      each broker alone (warm ms): ${JSON.stringify(r.core.perBroker)}; this run's Kafka rows by group type (mailroom's view): ${JSON.stringify(r.core.kafkaRowsByType)}`,
  )
  if (r.core.baselineCheck || r.dashboard?.previous !== undefined)
    console.log(
      `      previous build: check ${Math.round(r.core.baselineCheck?.ms)} ms (cpu ${Math.round(r.core.baselineCheck?.cpuMs)} ms, round trips ${JSON.stringify(r.core.baselineCheck?.trips)}), this build's check round trips ${JSON.stringify(r.core.check.trips)}; dashboard ${r.dashboard?.previous?.toFixed(1)}% (this build ${r.dashboard?.mine.toFixed(1)}%, both at once)`,
    )
  if (r.core.failures.length) console.log(`  FAILURES ${JSON.stringify(r.core.failures)}`)
}
if (results.length > 1) {
  const [a, b] = [results[0], results.at(-1)]
  const items = b.items / a.items
  const growth = (x, y) => `x${(y / x).toFixed(2)}`
  console.log(
    `growth ${Math.round(a.size * 100)}% -> ${Math.round(b.size * 100)}%: set x${items.toFixed(1)}; lag ${growth(a.core.lag.ms, b.core.lag.ms)} (cpu ${growth(a.core.lag.cpuMs, b.core.lag.cpuMs)}), check ${growth(a.core.check.ms, b.core.check.ms)} (cpu ${growth(a.core.check.cpuMs, b.core.check.cpuMs)})${a.dashboard ? `, dashboard ${growth(a.dashboard.mine, b.dashboard.mine)}` : ''}` +
      ` -> ${b.core.lag.ms / a.core.lag.ms <= items && b.core.check.ms / a.core.check.ms <= items ? 'at most linear' : 'WORSE than linear'}`,
  )
  const full = results.find((r) => r.size === 1)
  if (full) {
    const verdict = (ok) => (ok ? 'met' : 'NOT met')
    console.log(
      `targets at 100%: lag ${Math.round(full.core.lag.ms)} ms <= 1000 ${verdict(full.core.lag.ms <= 1000)}; check ${Math.round(full.core.check.ms)} ms <= 1000 ${verdict(full.core.check.ms <= 1000)}` +
        (full.dashboard === undefined
          ? ''
          : `; dashboard ${full.dashboard.mine.toFixed(1)}% <= 10% ${verdict(full.dashboard.mine <= 10)}`),
    )
  }
}
if (failedStep)
  console.log(
    `FAILED to grow the set to ${Math.round(failedStep.size * 100)}% (load ${failedStep.load}): ${failedStep.error.split('\n').slice(0, 4).join(' | ')}`,
  )
console.log(
  `set-up ${results.map((r) => `${(r.growMs / 1000).toFixed(1)} s`).join(' + ')}, tear-down ${(cleanupMs / 1000).toFixed(1)} s`,
)
