// Replay speed, side by side (not a test): mailroom's safe-move replay vs a bare client loop doing the same
// confirm-then-settle move on each broker, and on RabbitMQ vs the broker's own shovel (dynamic shovel, ack-mode
// on-confirm, src-delete-after queue-length, src-prefetch-count the window, timed until the source is empty and the
// destination full). A replay stamps provenance headers on every message, so the report also runs contenders doing
// the same work on the wire: the bare loop stamping the same headers, and the shovel stamping its own provenance.
// Medians of RUNS runs; ratios are throughput ratios (> 1 = mailroom faster). Each contender moves the messages in
// a fresh child process (set-up and checks stay here), so no client library is shared or pre-warmed: mailroom's
// Kafka record encoder replaces kafkajs's inside its process, and the bare loops keep the stock one. Then memory:
// one big replay through the CLI with its peak RSS sampled from /proc.
//
//   node bench/replay.mjs                  # N=20000 per run, RUNS=3, BIG=200000 (memory run on Kafka)
//   N=50000 RUNS=5 BIG=1000000 BIG_BROKER=kafka node bench/replay.mjs
//   ONLY=rabbitmq node bench/replay.mjs
//   RUNS=0 BIG=1000000 node bench/replay.mjs   # only the memory run
//   BENCH_PROFILE=/tmp/prof node bench/replay.mjs   # a V8 CPU profile of each contender, one folder per contender
//   CONTENDERS='^mailroom|^bare' node bench/replay.mjs   # only the contenders whose names match
//   BASELINE_DIST=/path/to/other/dist node bench/replay.mjs   # adds "mailroom baseline": another build, side by side
//                                       (inside this checkout, e.g. cp -r dist .baseline-dist, so it finds node_modules)
//
// Uses the build in dist/ (npm run build) or MAILROOM_DIST; brokers from scripts/brokers.mjs (local defaults).
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {connect as natsConnect, headers as natsHeaders} from 'nats'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = process.env.MAILROOM_DIST ?? join(root, 'dist')
const N = Number(process.env.N ?? 20_000)
const RUNS = Number(process.env.RUNS ?? 3)
const BIG = Number(process.env.BIG ?? 200_000)
const BIG_BROKER = process.env.BIG_BROKER ?? 'kafka'
const ONLY = process.env.ONLY?.split(',')
const WINDOW = Number(process.env.WINDOW ?? 500)
const BASELINE = 'mailroom baseline'
const CONTENDERS = process.env.CONTENDERS ? new RegExp(process.env.CONTENDERS) : undefined
const BODY = Buffer.alloc(128, 'x')
const MGMT = 'http://127.0.0.1:15672/api'
const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`

const child = process.argv[2] === '--contender' ? process.argv.slice(3) : undefined
// mailroom's drivers patch kafkajs and amqplib before those are first loaded; a bare loop keeps the client libraries
// as they are unless asked to use mailroom's patches (for the record: how much of the difference they make).
const isMailroom = (name) => name === 'mailroom' || name === BASELINE
if ((child && isMailroom(child[1])) || process.env.BENCH_CLIENT_PATCHES) {
  for (const broker of ['kafka', 'rabbitmq']) await import(pathToFileURL(join(dist, 'adapters', broker, 'driver.js')).href)
}
const {default: kafkajs} = await import('kafkajs')
const {default: amqp} = await import('amqplib')
const {AMQP, bareMove, fillQueue} = await import('./rabbitmq-moves.mjs')
const {procStat} = await import('./proc-stat.mjs')
const {createAdapter} = await import(pathToFileURL(join(dist, 'adapters', 'registry.js')).href)
const {startReplay} = await import(pathToFileURL(join(dist, 'core', 'replay', 'service.js')).href)

const settings = {
  rabbitmq: {url: AMQP, managementUrl: 'http://127.0.0.1:15672'},
  kafka: {brokers: ['127.0.0.1:9092']},
  nats: {url: 'nats://127.0.0.1:4222'},
  connectTimeoutMs: 5000,
}
const state = mkdtempSync(join(tmpdir(), 'mailroom-bench-'))
const unique = (p) => `bench-${p}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function timed(fn) {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

/** Runs one contender's move in a fresh process; resolves to the milliseconds it took (timed inside the child). */
function inChild(broker, name, source, dest, env = {}) {
  return new Promise((resolve, reject) => {
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_PROFILE, name.replace(/\W+/g, '-'))}`] : []
    const proc = spawn(process.execPath, [...profile, fileURLToPath(import.meta.url), '--contender', broker, name, source, dest], {
      env: {...process.env, XDG_STATE_HOME: state, ...env},
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    proc.stdout.on('data', (d) => (out += d))
    const brokerBefore = brokerCpuMs(broker)
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${broker} ${name}: child exited with ${code}`))
      const {ms, cpuMs, mainCpuMs} = JSON.parse(out)
      resolve({ms, cpuMs, mainCpuMs, brokerCpuMs: brokerCpuMs(broker) - brokerBefore})
    })
  })
}

const BROKER_PROCESS = {rabbitmq: 'beam.smp', kafka: 'java', nats: 'nats-server'}

/** CPU time used so far by the broker's processes (every process of that name: the idle ones add next to nothing). */
function brokerCpuMs(broker) {
  let total = 0
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const {name, cpuMs} = procStat(pid)
      if (name === BROKER_PROCESS[broker]) total += cpuMs
    } catch {}
  }
  return total
}

/**
 * CPU time so far of this process's main thread (JavaScript and its system calls); the rest of the process's CPU is
 * V8's compiler and garbage-collector helper threads, and libuv's pool.
 */
function mainThreadCpuMs() {
  return procStat(`self/task/${process.pid}`).cpuMs
}

/** mailroom's replay in this process (no CLI start-up in the figure), as the command runs it. */
async function mailroomReplay(kind, source, to) {
  const adapter = await createAdapter(kind, settings)
  await adapter.connect()
  try {
    const report = await startReplay(
      {source: {broker: kind, name: source}, to: {broker: kind, name: to}, mode: 'move', maxReplays: 3, force: false, keepPartition: false, window: WINDOW},
      {source: adapter, destination: async () => adapter, signal: new AbortController().signal, confirm: async () => {}, onAuditFailure: (w) => console.warn(w), env: {...process.env, XDG_STATE_HOME: state}},
    )
    if (report.counts.replayed !== N) throw new Error(`mailroom replayed ${report.counts.replayed} of ${N}`)
  } finally {
    await adapter.close()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// RabbitMQ

function rabbitFill(queue, n) {
  return fillQueue(amqp, queue, n, BODY)
}

async function rabbitDepth(queue) {
  const c = await amqp.connect(AMQP)
  try {
    return (await (await c.createChannel()).checkQueue(queue)).messageCount
  } finally {
    await c.close()
  }
}

async function rabbitDelete(...queues) {
  const c = await amqp.connect(AMQP)
  const ch = await c.createChannel()
  for (const q of queues) await ch.deleteQueue(q).catch(() => {})
  await c.close().catch(() => {})
}

/**
 * The naive safe move (bench/rabbitmq-moves.mjs); `stamp` sees the headers and the timestamp, and the id mailroom
 * would give the message (a queue message's is a 24-hex content hash: the delivery tag stands in, padded to the
 * same length).
 */
function rabbitBareLoop(source, dest, stamp = (m) => m.headers) {
  const id = (m) => m.fields.deliveryTag.toString(16).padStart(24, '0')
  return bareMove(amqp, source, dest, {n: N, window: WINDOW, stamp: (m) => stamp({headers: m.properties.headers, timestamp: m.properties.timestamp}, id(m))})
}

/** The shovel; `provenance` has it stamp its own (x-shovelled and x-shovelled-timestamp headers). */
async function rabbitShovel(source, dest, provenance = false) {
  const name = unique('shovel')
  const value = {
    'src-protocol': 'amqp091', 'src-uri': 'amqp://guest:guest@127.0.0.1', 'src-queue': source, 'src-delete-after': 'queue-length',
    'dest-protocol': 'amqp091', 'dest-uri': 'amqp://guest:guest@127.0.0.1', 'dest-queue': dest, 'ack-mode': 'on-confirm',
    // The same bound on unsettled messages as every other contender (the shovel's default is 1000).
    'src-prefetch-count': WINDOW,
    ...(provenance ? {'dest-add-forward-headers': true, 'dest-add-timestamp-header': true} : {}),
  }
  const put = await fetch(`${MGMT}/parameters/shovel/%2F/${name}`, {method: 'PUT', headers: {authorization: AUTH, 'content-type': 'application/json'}, body: JSON.stringify({value})})
  if (!put.ok) throw new Error(`shovel: ${put.status} ${await put.text()}`)
  try {
    while ((await rabbitDepth(source)) > 0 || (await rabbitDepth(dest)) < N) await sleep(20)
  } finally {
    await fetch(`${MGMT}/parameters/shovel/%2F/${name}`, {method: 'DELETE', headers: {authorization: AUTH}})
  }
}

async function rabbitCase(label, move) {
  const [source, dest] = [unique('src'), unique('dst')]
  await rabbitFill(source, N)
  await rabbitDelete(dest)
  const c = await amqp.connect(AMQP)
  await (await c.createChannel()).assertQueue(dest, {durable: true})
  await c.close()
  try {
    const ms = await move(source, dest)
    const [d, s] = [await rabbitDepth(dest), await rabbitDepth(source)]
    if (d !== N || s !== 0) throw new Error(`${label}: not a complete move (destination ${d}, source ${s})`)
    return ms
  } finally {
    await rabbitDelete(source, dest)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Kafka

const kafka = new kafkajs.Kafka({brokers: ['127.0.0.1:9092'], logLevel: kafkajs.logLevel.NOTHING})

async function kafkaFill(topic, n, partitions = 3) {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({topics: [{topic, numPartitions: partitions}], waitForLeaders: true})
  await admin.disconnect()
  const p = kafka.producer()
  await p.connect()
  for (let i = 0; i < n; i += 5000) {
    await p.send({topic, acks: -1, messages: Array.from({length: Math.min(5000, n - i)}, (_, j) => ({key: `k${(i + j) % 97}`, value: BODY, headers: {id: String(i + j)}}))})
  }
  await p.disconnect()
}

async function kafkaDelete(...topics) {
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({topics}).catch(() => {})
  await admin.disconnect()
}

/**
 * The naive safe move: a consumer group; each fetched batch sent with acks=all in chunks of the window (the same
 * bound on unsettled messages mailroom keeps), each chunk's offsets committed once it is acknowledged.
 */
async function kafkaBareLoop(source, dest, stamp = (m) => m.headers) {
  const producer = kafka.producer()
  await producer.connect()
  const consumer = kafka.consumer({groupId: unique('bare'), maxWaitTimeInMs: 100})
  await consumer.connect()
  await consumer.subscribe({topics: [source], fromBeginning: true})
  let moved = 0
  await new Promise((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({batch, heartbeat}) => {
          for (let i = 0; i < batch.messages.length; i += WINDOW) {
            const chunk = batch.messages.slice(i, i + WINDOW)
            await producer.send({topic: dest, acks: -1, messages: chunk.map((m) => ({key: m.key, value: m.value, headers: stamp(m, `${batch.partition}/${m.offset}`)}))})
            await consumer.commitOffsets([{topic: source, partition: batch.partition, offset: (BigInt(chunk.at(-1).offset) + 1n).toString()}])
            moved += chunk.length
            await heartbeat()
          }
          if (moved >= N) resolve()
        },
      })
      .catch(reject)
  })
  await consumer.disconnect()
  await producer.disconnect()
}

/**
 * A stamp giving a bare loop the same work on the wire as a mailroom replay: the same provenance headers (and on
 * Kafka the original timestamp), with values of the same length as mailroom's. `id` is the message's place in the
 * source as mailroom names it. This isolates what the headers cost (client encoding, broker storage) from mailroom's
 * own overhead.
 */
function withReplayHeaders(broker, source, originalTimestamp = true) {
  const from = `${broker}:${source}`
  return (m, id) => ({
    ...m.headers,
    ...(originalTimestamp ? {'mailroom-original-timestamp': new Date(Number(m.timestamp)).toISOString()} : {}),
    'mailroom-replay-id': '20261127T010203-3f9a1c',
    'mailroom-replay-msg-id': `${from}/${id}`,
    'mailroom-replayed-at': new Date().toISOString(),
    'mailroom-replayed-from': from,
    'mailroom-replay-count': '1',
  })
}

async function kafkaCase(label, move) {
  const [source, dest] = [unique('src'), unique('dst')]
  await kafkaFill(source, N)
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({topics: [{topic: dest, numPartitions: 3}], waitForLeaders: true})
  await admin.disconnect()
  try {
    return await move(source, dest)
  } finally {
    await kafkaDelete(source, dest)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// NATS JetStream

async function natsFill(stream, n) {
  const nc = await natsConnect({servers: settings.nats.url})
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({name: stream, subjects: [`${stream}.in`]})
  const js = nc.jetstream()
  for (let i = 0; i < n; i += 500) {
    await Promise.all(Array.from({length: Math.min(500, n - i)}, (_, j) => {
      const h = natsHeaders()
      h.set('id', String(i + j))
      return js.publish(`${stream}.in`, BODY, {headers: h})
    }))
  }
  await nc.close()
}

async function natsDelete(...streams) {
  const nc = await natsConnect({servers: settings.nats.url})
  const jsm = await nc.jetstreamManager()
  for (const s of streams) await jsm.streams.delete(s).catch(() => {})
  await nc.close()
}

/** The naive safe move: ordered consumer, windowed PubAcks with Nats-Msg-Id, then delete each source entry. */
async function natsBareLoop(source, dest) {
  const nc = await natsConnect({servers: settings.nats.url})
  const js = nc.jetstream()
  const jsm = await nc.jetstreamManager()
  const consumer = await js.consumers.get(source)
  const messages = await consumer.consume({max_messages: WINDOW})
  const inFlight = []
  let moved = 0
  const move = async (m) => {
    await js.publish(`${dest}.in`, m.data, {headers: m.headers, msgID: `${source}/${m.seq}`})
    await jsm.streams.deleteMessage(source, m.seq)
  }
  for await (const m of messages) {
    inFlight.push(move(m))
    if (inFlight.length >= WINDOW) await inFlight.shift()
    if (++moved === N) break
  }
  await Promise.all(inFlight)
  await messages.close()
  await nc.close()
}

async function natsCase(label, move) {
  const [source, dest] = [unique('SRC').replace(/-/g, '_'), unique('DST').replace(/-/g, '_')]
  await natsFill(source, N)
  const nc = await natsConnect({servers: settings.nats.url})
  await (await nc.jetstreamManager()).streams.add({name: dest, subjects: [`${dest}.in`]})
  await nc.close()
  try {
    return await move(source, dest)
  } finally {
    await natsDelete(source, dest)
  }
}

// ---------------------------------------------------------------------------------------------------------------

const suites = {
  rabbitmq: {
    run: rabbitCase,
    contenders: {
      mailroom: (s, d) => mailroomReplay('rabbitmq', s, d),
      'bare amqplib loop': (s, d) => rabbitBareLoop(s, d),
      // RabbitMQ keeps the timestamp property: no original-timestamp header, as mailroom.
      'bare loop + replay headers': (s, d) => rabbitBareLoop(s, d, withReplayHeaders('rabbitmq', s, false)),
      'bare + headers, patched amqplib': (s, d) => rabbitBareLoop(s, d, withReplayHeaders('rabbitmq', s, false)),
      'rabbitmq_shovel on-confirm': (s, d) => rabbitShovel(s, d),
      'shovel + its provenance headers': (s, d) => rabbitShovel(s, d, true),
    },
    env: {'bare + headers, patched amqplib': {BENCH_CLIENT_PATCHES: '1'}},
  },
  kafka: {
    run: kafkaCase,
    contenders: {
      mailroom: (s, d) => mailroomReplay('kafka', s, d),
      'bare kafkajs loop': (s, d) => kafkaBareLoop(s, d),
      'bare loop + replay headers': (s, d) => kafkaBareLoop(s, d, withReplayHeaders('kafka', s)),
      'bare + headers, patched kafkajs': (s, d) => kafkaBareLoop(s, d, withReplayHeaders('kafka', s)),
    },
    env: {'bare + headers, patched kafkajs': {BENCH_CLIENT_PATCHES: '1'}},
  },
  nats: {run: natsCase, contenders: {mailroom: (s, d) => mailroomReplay('nats', s, d), 'bare nats.js loop': natsBareLoop}},
}

if (process.env.BASELINE_DIST) {
  for (const [broker, suite] of Object.entries(suites)) {
    suite.contenders = {mailroom: suite.contenders.mailroom, [BASELINE]: (s, d) => mailroomReplay(broker, s, d), ...suite.contenders}
    suite.env = {...suite.env, [BASELINE]: {MAILROOM_DIST: resolve(process.env.BASELINE_DIST)}}
  }
}

if (child) {
  const [broker, name, source, dest] = child
  // Loaded before the clock starts, as a bare loop loads its client library: both are timed from connect to close.
  if (isMailroom(name)) await import(pathToFileURL(join(dist, 'adapters', broker, 'adapter.js')).href)
  const cpu = process.cpuUsage()
  const mainBefore = mainThreadCpuMs()
  const ms = await timed(() => suites[broker].contenders[name](source, dest))
  const used = process.cpuUsage(cpu)
  const mainCpuMs = mainThreadCpuMs() - mainBefore
  process.stdout.write(JSON.stringify({ms, cpuMs: (used.user + used.system) / 1000, mainCpuMs}))
  process.exit(0)
}

console.log(`replay: ${N} messages of ${BODY.length} B per run, window ${WINDOW}, median of ${RUNS} runs (ratio = throughput vs mailroom's; > 1 means mailroom is faster)`)
for (const [broker, suite] of Object.entries(suites)) {
  if ((ONLY && !ONLY.includes(broker)) || RUNS === 0) continue
  const samples = Object.fromEntries(Object.keys(suite.contenders).map((k) => [k, []]))
  for (let r = 0; r < RUNS; r++) {
    // Interleaved so machine noise hits every contender alike.
    for (const name of Object.keys(suite.contenders).filter((n) => n === 'mailroom' || !CONTENDERS || CONTENDERS.test(n))) {
      samples[name].push(await suite.run(name, (source, dest) => inChild(broker, name, source, dest, suite.env?.[name])))
    }
  }
  const ours = median(samples.mailroom.map((x) => x.ms))
  for (const [name, xs] of Object.entries(samples).filter(([, xs]) => xs.length > 0)) {
    const ms = median(xs.map((x) => x.ms))
    const cpu = (key) => (xs[0][key] === undefined ? '     -' : `${(median(xs.map((x) => x[key])) / 1000).toFixed(2).padStart(6)}`)
    const ratio = name === 'mailroom' ? '' : `   mailroom is ${(ms / ours).toFixed(2)}x its throughput`
    console.log(`${broker.padEnd(9)} ${name.padEnd(32)} ${ms.toFixed(0).padStart(7)} ms  ${Math.round((N * 1000) / ms).toString().padStart(7)} msg/s  cpu s: client ${cpu('cpuMs')} (main thread ${cpu('mainCpuMs')}) broker ${cpu('brokerCpuMs')}${ratio}`)
  }
}

// Memory: one big replay through the CLI, its peak RSS sampled every 100 ms.
if (BIG > 0 && (!ONLY || ONLY.includes(BIG_BROKER))) {
  const fill = {rabbitmq: rabbitFill, kafka: kafkaFill, nats: natsFill}[BIG_BROKER]
  const target = (p) => (BIG_BROKER === 'nats' ? unique(p).replace(/-/g, '_') : unique(p))
  const [source, dest] = [target('bigsrc'), target('bigdst')]
  const started = performance.now()
  await fill(source, BIG)
  if (BIG_BROKER === 'kafka') await kafkaFill(dest, 0)
  if (BIG_BROKER === 'rabbitmq') await rabbitFill(dest, 0)
  if (BIG_BROKER === 'nats') await natsFill(dest, 0)
  console.log(`memory: filled ${BIG} messages into ${BIG_BROKER}:${source} in ${((performance.now() - started) / 1000).toFixed(0)} s`)
  const cli = spawn(process.execPath, [process.env.MAILROOM_BIN ?? join(root, 'bin', 'run.js'), 'dlq', 'replay', `${BIG_BROKER}:${source}`, '--to', `${BIG_BROKER}:${dest}`, '--yes', '--json'], {
    env: {...process.env, XDG_STATE_HOME: state},
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  cli.stdout.on('data', (d) => (out += d))
  let peak = 0
  const samples = []
  const timer = setInterval(() => {
    try {
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${cli.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
      peak = Math.max(peak, rss)
      samples.push(rss)
    } catch {}
  }, 100)
  const t = performance.now()
  await new Promise((r) => cli.on('exit', r))
  clearInterval(timer)
  const report = JSON.parse(out).result
  const q = (f) => samples[Math.floor(samples.length * f)]?.toFixed(0)
  console.log(`memory: replayed ${report.counts.replayed} of ${BIG} (${BIG_BROKER}) in ${((performance.now() - t) / 1000).toFixed(0)} s; peak RSS ${peak.toFixed(0)} MB; RSS at 25/50/75% of the run ${q(0.25)}/${q(0.5)}/${q(0.75)} MB`)
  if (BIG_BROKER === 'kafka') await kafkaDelete(source, dest)
  if (BIG_BROKER === 'rabbitmq') await rabbitDelete(source, dest)
  if (BIG_BROKER === 'nats') await natsDelete(source, dest)
}
