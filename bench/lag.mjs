// One lag snapshot over 20 Kafka groups on 200 partitions (plus, when the conformance jars are gathered, 10 groups of
// the new consumer protocol, KIP-848, with a live Java member each, and 5 share groups, KIP-932, with a live
// KafkaShareConsumer each: every group type is described, batched per coordinator), 200 RabbitMQ queues and 50 JetStream consumers, on the local brokers (issue 5 target: under 2 s). Prints the time of a cold and a warm snapshot and the broker round
// trips each made: Kafka requests (kafkajs Connection.send), RabbitMQ management HTTP requests (fetch), NATS
// requests (JetStream API calls through NatsConnection.request). Needs `npm run build` and the brokers up.
// Run: node bench/lag.mjs   (SCALE=0.5 halves every count)
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {randomUUID} from 'node:crypto'
import amqp from 'amqplib'
import kafkajs from 'kafkajs'
import {AckPolicy, connect as natsConnect} from 'nats'

import {createAdapter} from '../dist/adapters/registry.js'
import {LagMonitor} from '../dist/core/lag/service.js'

const SCALE = Number(process.env.SCALE ?? 1)
const KAFKA_TOPICS = Math.round(20 * SCALE)
const PARTITIONS = 10
const GROUPS = Math.round(20 * SCALE)
const QUEUES = Math.round(200 * SCALE)
const STREAMS = Math.max(1, Math.round(5 * SCALE))
const CONSUMERS_PER_STREAM = 10
const NEW_PROTOCOL_GROUPS = Math.round(10 * SCALE)
const SHARE_GROUPS = Math.round(5 * SCALE)
const conformanceLibs = new URL('../.brokers/conformance/libs/', import.meta.url).pathname
const run = randomUUID().slice(0, 8)

// ---- round-trip counters (installed before any client is created) ----
const counts = {kafka: 0, rabbitmq: 0, nats: 0}
const require = createRequire(import.meta.url)
const Connection = require('kafkajs/src/network/connection.js')
const send = Connection.prototype.send
Connection.prototype.send = function (...args) {
  counts.kafka++
  return send.apply(this, args)
}
const realFetch = globalThis.fetch
globalThis.fetch = (...args) => {
  counts.rabbitmq++
  return realFetch(...args)
}
const nc = await natsConnect({servers: '127.0.0.1:4222'})
const natsProto = Object.getPrototypeOf(nc)
const natsRequest = natsProto.request
natsProto.request = function (...args) {
  counts.nats++
  return natsRequest.apply(this, args)
}

// ---- setup ----
const kafka = new kafkajs.Kafka({clientId: 'bench-lag', brokers: ['127.0.0.1:9092'], logLevel: kafkajs.logLevel.NOTHING})
const admin = kafka.admin()
const producer = kafka.producer({allowAutoTopicCreation: false})
await Promise.all([admin.connect(), producer.connect()])
const topics = Array.from({length: KAFKA_TOPICS}, (_, i) => `bench-lag-${run}-${i}`)
const groups = Array.from({length: GROUPS}, (_, i) => `bench-lag-${run}-g${i}`)
const amqpConn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
const ch = await amqpConn.createChannel()
const queues = Array.from({length: QUEUES}, (_, i) => `bench-lag-${run}-q${i}`)
const jsm = await nc.jetstreamManager()
const js = nc.jetstream()
const streams = Array.from({length: STREAMS}, (_, i) => `BENCH_LAG_${run}_${i}`)

async function setup() {
  const t0 = performance.now()
  await admin.createTopics({topics: topics.map((topic) => ({topic, numPartitions: PARTITIONS})), waitForLeaders: true})
  for (const topic of topics) {
    const messages = Array.from({length: PARTITIONS * 5}, (_, i) => ({value: `m${i}`, partition: i % PARTITIONS}))
    await producer.send({topic, messages})
  }
  // Each group committed 2 of the 5 records of every partition of its topic.
  await Promise.all(groups.map((groupId, i) => admin.setOffsets({groupId, topic: topics[i % topics.length], partitions: Array.from({length: PARTITIONS}, (_, p) => ({partition: p, offset: '2'}))})))
  for (const q of queues) {
    await ch.assertQueue(q, {durable: false})
    ch.sendToQueue(q, Buffer.from('x'))
  }
  for (const s of streams) {
    await jsm.streams.add({name: s, subjects: [`${s}.>`]})
    for (let i = 0; i < 5; i++) await js.publish(`${s}.x`, new TextEncoder().encode(`m${i}`))
    for (let c = 0; c < CONSUMERS_PER_STREAM; c++) await jsm.consumers.add(s, {durable_name: `c${c}`, ack_policy: AckPolicy.Explicit})
  }
  return performance.now() - t0
}

/** A Java program of test/conformance/java in a JVM of its own, driven by lines on stdin; resolves once it is ready. */
async function javaMembers(program, args = []) {
  const source = new URL(`../test/conformance/java/${program}.java`, import.meta.url).pathname
  const child = spawn('java', ['-XX:TieredStopAtLevel=1', '-cp', `${conformanceLibs}*`, source, ...args], {stdio: ['pipe', 'pipe', 'ignore']})
  const members = {child, out: ''}
  child.stdout.on('data', (c) => (members.out += c))
  members.until = async (ok) => {
    for (const deadline = Date.now() + 180_000; !ok(members.out); ) {
      if (Date.now() > deadline) throw new Error(`the Java members (${program}) did not start:\n${members.out}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  await members.until((out) => out.includes('ready'))
  return members
}

/** Java consumers of the new protocol (GroupMembers.java) and share consumers (OtherGroups.java), one per group. */
const jvms = []
const newGroups = Array.from({length: NEW_PROTOCOL_GROUPS}, (_, i) => `bench-lag-${run}-kip848-g${i}`)
const shareGroups = Array.from({length: SHARE_GROUPS}, (_, i) => `bench-lag-${run}-share-g${i}`)
async function startJavaMembers() {
  if (!existsSync(`${conformanceLibs}kafka-clients-4.1.1.jar`)) return 'no new-protocol or share groups (gather the conformance jars: npx vitest run test/conformance)'
  const [consumers, sharers] = await Promise.all([javaMembers('GroupMembers'), javaMembers('OtherGroups', ['127.0.0.1:9092'])])
  jvms.push(consumers, sharers)
  newGroups.forEach((g, i) => consumers.child.stdin.write(`start m${i} ${g} consumer ${topics[i % topics.length]} commit\n`))
  shareGroups.forEach((g, i) => sharers.child.stdin.write(`earliest ${g}\nshare s${i} ${g} ${topics[i % topics.length]}\n`))
  await consumers.until((out) => newGroups.every((_, i) => new RegExp(`^committed m${i} `, 'm').test(out)))
  await sharers.until((out) => shareGroups.every((_, i) => new RegExp(`^acked s${i} `, 'm').test(out)))
  return `${newGroups.length} new-protocol groups and ${shareGroups.length} share groups with a live member each`
}

async function cleanup() {
  for (const {child} of jvms) {
    child.stdin.write('quit\n')
    await new Promise((r) => child.once('exit', r))
  }
  await admin.deleteGroups([...groups, ...newGroups, ...shareGroups]).catch(() => undefined)
  await admin.deleteTopics({topics}).catch(() => undefined)
  for (const q of queues) await ch.deleteQueue(q).catch(() => undefined)
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined)
  await producer.disconnect()
  await admin.disconnect()
  await amqpConn.close()
  await nc.close()
}

const settings = {
  rabbitmq: {url: 'amqp://guest:guest@127.0.0.1:5672', managementUrl: 'http://127.0.0.1:15672'},
  kafka: {brokers: ['127.0.0.1:9092']},
  nats: {url: 'nats://127.0.0.1:4222'},
  connectTimeoutMs: 5000,
}

async function measure(monitor) {
  Object.keys(counts).forEach((k) => (counts[k] = 0))
  const t0 = performance.now()
  const report = await monitor.snapshot()
  const ms = performance.now() - t0
  const mine = report.rows.filter((r) => r.target.includes(run) || r.consumer.includes(run))
  return {ms, trips: {...counts}, rows: report.rows.length, mine, failures: report.failures}
}

try {
  const setupMs = await setup()
  const newProtocol = await startJavaMembers()
  // The management API shows new queues' depth after its next statistics emission (default every 5 s).
  await new Promise((r) => setTimeout(r, 5500))
  const adapters = await Promise.all(['kafka', 'rabbitmq', 'nats'].map((k) => createAdapter(k, settings)))
  Object.keys(counts).forEach((k) => (counts[k] = 0))
  const c0 = performance.now()
  await Promise.all(adapters.map((a) => a.connect()))
  const connectMs = performance.now() - c0
  const connectTrips = {...counts}
  const monitor = new LagMonitor(adapters)
  const cold = await measure(monitor)
  const warm = await measure(monitor)
  const perBroker = []
  for (const a of adapters) {
    Object.keys(counts).forEach((k) => (counts[k] = 0))
    const t0 = performance.now()
    await a.consumerLag()
    perBroker.push(`${a.kind} ${Math.round(performance.now() - t0)} ms / ${counts[a.kind]} trips`)
  }
  await Promise.all(adapters.map((a) => a.close()))

  const by = (b) => cold.mine.filter((r) => r.broker === b)
  const kafkaRows = by('kafka')
  console.log(`lag snapshot bench (setup ${Math.round(setupMs)} ms; the brokers also hold other data: ${cold.rows} rows in all)`)
  console.log(`  ${newProtocol}; rows by group type: ${JSON.stringify(kafkaRows.reduce((n, r) => ({...n, [r.group?.type ?? '?']: (n[r.group?.type ?? '?'] ?? 0) + 1}), {}))}`)
  console.log(`  made here: ${kafkaRows.length} Kafka group rows over ${kafkaRows.reduce((n, r) => n + (r.partitions?.length ?? 0), 0)} partitions` +
    ` (${kafkaRows.filter((r) => r.lagSeconds !== undefined).length} with lag in seconds), ${by('rabbitmq').length} RabbitMQ queues, ${by('nats').length} JetStream consumers`)
  if (cold.failures.length) console.log('  FAILURES', JSON.stringify(cold.failures))
  console.log(`  connect (3 brokers)   ${Math.round(connectMs).toString().padStart(6)} ms   round trips ${JSON.stringify(connectTrips)}`)
  console.log(`  first snapshot        ${Math.round(cold.ms).toString().padStart(6)} ms   round trips ${JSON.stringify(cold.trips)}`)
  console.log(`  second snapshot       ${Math.round(warm.ms).toString().padStart(6)} ms   round trips ${JSON.stringify(warm.trips)}`)
  console.log(`  each broker alone (warm): ${perBroker.join(', ')}`)
  console.log(`  target: under 2000 ms for one snapshot -> ${cold.ms < 2000 ? 'met' : 'NOT met'} (first), ${warm.ms < 2000 ? 'met' : 'NOT met'} (second)`)
} finally {
  await cleanup()
}
