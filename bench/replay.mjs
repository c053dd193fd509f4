// Replay speed, side by side (not a test): mailroom's safe-move replay vs a bare client loop doing the same
// confirm-then-settle move on each broker, and on RabbitMQ vs the broker's own shovel (dynamic shovel, ack-mode
// on-confirm, src-delete-after queue-length, timed until the source is empty and the destination full), once at the
// shovel's defaults (what `rabbitmqctl set_parameter shovel` gives: src-prefetch-count 1000) and once with
// src-prefetch-count lowered to mailroom's window. A replay stamps provenance headers on every message, so the report
// also runs contenders doing the same work on the wire: the bare loop stamping the same headers, and the shovel
// stamping its own provenance. Medians of RUNS runs, interleaved (every contender once per round); ratios are
// throughput ratios (> 1 = mailroom faster), against mailroom in process and against the whole CLI.
// In-process rows: each contender moves the messages in a fresh child process (set-up and checks stay here), timed
// inside it from connect to close, so no client library is shared or pre-warmed: mailroom's Kafka record encoder
// replaces kafkajs's inside its process, and the bare loops keep the stock one. "mailroom CLI" rows: the whole
// `mailroom dlq replay <source> --to <dest> --yes --json` process, timed from spawn to exit (Node start-up, imports,
// connect, the move, close), its CPU from the kernel's accounting of the reaped child.
// CPU columns: the contender's process (and its main thread; the rest is V8's compiler and garbage-collector
// helpers) and the broker's, in seconds per run and in microseconds per message. The shovel runs inside the
// broker: its client column is the poller that watches the queue depths. Then memory: one big replay through the
// CLI with its peak RSS sampled from /proc.
//
// The bare loops are the fastest straightforward loop each client allows for the same guarantee:
// - amqplib: BARE_STYLE (default `multiple`): one consuming channel with prefetch = window, one confirm channel,
//   confirms collected and acked at the source with one basic.ack `multiple` per event-loop turn. Measured against
//   acking each delivery on its confirm, publishing on a second connection, and stop-and-wait batches
//   (bench/rabbitmq-moves.mjs; BARE_STYLES=all prints a row for each);
// - kafkajs: a consumer group's fetched batch sent with acks=all in chunks of the window, each chunk committed once
//   acknowledged;
// - nats.js: a window of moves (publish, PubAck awaited, delete from the source) kept full (NATS_STYLE).
//
//   node bench/replay.mjs                  # RabbitMQ: N=30000 per run, RUNS=5; Kafka and NATS: N=20000, RUNS=3;
//                                          # BIG=200000 (memory run on Kafka)
//   N=50000 RUNS=5 BIG=1000000 BIG_BROKER=kafka node bench/replay.mjs
//   ONLY=rabbitmq BIG=0 node bench/replay.mjs      # the RabbitMQ rows alone (the quick path)
//   RUNS=0 BIG=1000000 node bench/replay.mjs   # only the memory run
//   BENCH_PROFILE=/tmp/prof node bench/replay.mjs   # a V8 CPU profile of each contender, one folder per contender
//   CONTENDERS='^mailroom|^bare' node bench/replay.mjs   # only the contenders whose names match
//   BARE_STYLES=all ONLY=rabbitmq node bench/replay.mjs # every amqplib windowing style, one row each
//   DIAGNOSTIC=1 node bench/replay.mjs     # adds the bare loops on mailroom's patched client libraries
//   BASELINE_DIST=/path/to/other/dist node bench/replay.mjs   # adds "mailroom baseline": another build, side by side
//                                       (inside this checkout, e.g. cp -r dist .baseline-dist, so it finds node_modules)
//
// Uses the build in dist/ (npm run build) or MAILROOM_DIST, and bin/run.js (or MAILROOM_BIN) for the CLI rows;
// brokers from scripts/brokers.mjs (local defaults).
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {connect as natsConnect, headers as natsHeaders} from 'nats'

import {mailroomMove} from './mailroom-move.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = process.env.MAILROOM_DIST ?? join(root, 'dist')
/** Messages per run and runs per contender, per broker (N and RUNS override both). */
const SIZES = {rabbitmq: {n: 30_000, runs: 5}, kafka: {n: 20_000, runs: 3}, nats: {n: 20_000, runs: 3}}
const sizeOf = (broker) => ({
  n: Number(process.env.N ?? SIZES[broker].n),
  runs: Number(process.env.RUNS ?? SIZES[broker].runs),
})
const BIG = Number(process.env.BIG ?? 200_000)
const BIG_BROKER = process.env.BIG_BROKER ?? 'kafka'
const ONLY = process.env.ONLY?.split(',')
/** mailroom's default --window (src/commands/dlq/replay.ts), given to every contender that takes one. */
const WINDOW = Number(process.env.WINDOW ?? 1000)
const BARE_STYLE = process.env.BARE_STYLE ?? 'multiple'
/** The shovel's own src-prefetch-count when none is given (rabbitmq_shovel's default). */
const SHOVEL_DEFAULT_PREFETCH = 1000
const BIN = process.env.MAILROOM_BIN ?? join(root, 'bin', 'run.js')
/** Extra arguments for the CLI rows (e.g. CLI_ARGS='--window 1000'); by default the CLI runs at its own defaults. */
const CLI_ARGS = process.env.CLI_ARGS?.split(' ').filter(Boolean) ?? []
const BASELINE = 'mailroom baseline'
const CONTENDERS = process.env.CONTENDERS ? new RegExp(process.env.CONTENDERS) : undefined
const BODY = Buffer.alloc(128, 'x')
const MGMT = 'http://127.0.0.1:15672/api'
/**
 * The shovel's source and destination: this broker over the network, as mailroom reaches it (SHOVEL_URI=amqp:// for
 * the Erlang client's direct connection inside the broker).
 */
const SHOVEL_URI = process.env.SHOVEL_URI ?? 'amqp://guest:guest@127.0.0.1'
const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`

const child = process.argv[2] === '--contender' ? process.argv.slice(3) : undefined
/** Messages per run: the broker's, set for each suite (a child gets it from its parent). */
let N = child ? sizeOf(child[0]).n : 0
// mailroom's drivers patch kafkajs and amqplib before those are first loaded; a bare loop keeps the client libraries
// as they are unless asked to use mailroom's patches (for the record: how much of the difference they make).
const isMailroom = (name) => name === 'mailroom' || name === BASELINE
if ((child && isMailroom(child[1])) || process.env.BENCH_CLIENT_PATCHES) {
  for (const broker of ['kafka', 'rabbitmq'])
    await import(pathToFileURL(join(dist, 'adapters', broker, 'driver.js')).href)
}
const {default: kafkajs} = await import('kafkajs')
const {default: amqp} = await import('amqplib')
const {AMQP, BARE_STYLES, bareMove, fillQueue} = await import('./rabbitmq-moves.mjs')
const {procStat, reapedChildrenCpuMs} = await import('./proc-stat.mjs')

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
    const profile = process.env.BENCH_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_PROFILE, name.replace(/\W+/g, '-'))}`]
      : []
    const proc = spawn(
      process.execPath,
      [...profile, fileURLToPath(import.meta.url), '--contender', broker, name, source, dest],
      {
        env: {...process.env, XDG_STATE_HOME: state, N: String(N), ...env},
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
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

/**
 * The whole CLI moving the messages: wall clock from spawn to exit; CPU from the kernel's accounting of reaped
 * children (this process's cutime and cstime), so everything the process used up to its exit is counted.
 */
function cliReplay(broker, source, dest) {
  return new Promise((resolve, reject) => {
    const brokerBefore = brokerCpuMs(broker)
    const childrenBefore = reapedChildrenCpuMs()
    const started = performance.now()
    const args = ['dlq', 'replay', `${broker}:${source}`, '--to', `${broker}:${dest}`, '--yes', '--json', ...CLI_ARGS]
    const proc = spawn(process.execPath, [BIN, ...args], {
      env: {...process.env, XDG_STATE_HOME: state},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let [out, err] = ['', '']
    proc.stdout.on('data', (d) => (out += d))
    proc.stderr.on('data', (d) => (err += d))
    proc.on('exit', (code) => {
      const ms = performance.now() - started
      if (code !== 0) return reject(new Error(`${broker} mailroom CLI: exited with ${code}\n${out}${err}`))
      const replayed = JSON.parse(out).result.counts.replayed
      if (replayed !== N) return reject(new Error(`${broker} mailroom CLI: replayed ${replayed} of ${N}`))
      resolve({ms, cpuMs: reapedChildrenCpuMs() - childrenBefore, brokerCpuMs: brokerCpuMs(broker) - brokerBefore})
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
  const report = await mailroomMove({dist, kind, settings, source, to, window: WINDOW, stateHome: state})
  if (report.counts.replayed !== N) throw new Error(`mailroom replayed ${report.counts.replayed} of ${N}`)
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
 * The bare safe move (bench/rabbitmq-moves.mjs) in `style`; `stamp` sees the headers and the timestamp, and the id
 * mailroom would give the message (a queue message's is a 24-hex content hash: the delivery tag stands in, padded to
 * the same length).
 */
function rabbitBareLoop(source, dest, {stamp = (m) => m.headers, style = BARE_STYLE} = {}) {
  const id = (m) => m.fields.deliveryTag.toString(16).padStart(24, '0')
  return bareMove(amqp, source, dest, {
    n: N,
    window: WINDOW,
    style,
    stamp: (m) => stamp({headers: m.properties.headers, timestamp: m.properties.timestamp}, id(m)),
  })
}

/**
 * The shovel, as `rabbitmqctl set_parameter shovel <name> '{...}'` creates it: `prefetch` sets src-prefetch-count
 * (otherwise the shovel's default, 1000); `provenance` has it stamp its own (x-shovelled and x-shovelled-timestamp
 * headers). Timed until the destination holds every message and the shovel has removed itself (src-delete-after):
 * only then are its last acks done. Timing only until the source had nothing ready stopped the clock before the
 * shovel acked its last prefetch, and deleting it then put those back in the source (seen: 794 messages in both).
 */
async function rabbitShovel(source, dest, {prefetch, provenance = false} = {}) {
  const name = unique('shovel')
  const value = {
    'src-protocol': 'amqp091',
    'src-uri': SHOVEL_URI,
    'src-queue': source,
    'src-delete-after': 'queue-length',
    'dest-protocol': 'amqp091',
    'dest-uri': SHOVEL_URI,
    'dest-queue': dest,
    'ack-mode': 'on-confirm',
    ...(prefetch === undefined ? {} : {'src-prefetch-count': prefetch}),
    ...(provenance ? {'dest-add-forward-headers': true, 'dest-add-timestamp-header': true} : {}),
  }
  const c = await amqp.connect(AMQP)
  const ch = await c.createChannel()
  const depth = async (q) => (await ch.checkQueue(q)).messageCount
  const put = await fetch(`${MGMT}/parameters/shovel/%2F/${name}`, {
    method: 'PUT',
    headers: {authorization: AUTH, 'content-type': 'application/json'},
    body: JSON.stringify({value}),
  })
  if (!put.ok) throw new Error(`shovel: ${put.status} ${await put.text()}`)
  try {
    const parameter = () => fetch(`${MGMT}/parameters/shovel/%2F/${name}`, {headers: {authorization: AUTH}})
    while ((await depth(source)) > 0 || (await depth(dest)) < N || (await parameter()).status !== 404) await sleep(20)
  } finally {
    await fetch(`${MGMT}/parameters/shovel/%2F/${name}`, {method: 'DELETE', headers: {authorization: AUTH}})
    await c.close()
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
    await p.send({
      topic,
      acks: -1,
      messages: Array.from({length: Math.min(5000, n - i)}, (_, j) => ({
        key: `k${(i + j) % 97}`,
        value: BODY,
        headers: {id: String(i + j)},
      })),
    })
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
            await producer.send({
              topic: dest,
              acks: -1,
              messages: chunk.map((m) => ({
                key: m.key,
                value: m.value,
                headers: stamp(m, `${batch.partition}/${m.offset}`),
              })),
            })
            await consumer.commitOffsets([
              {topic: source, partition: batch.partition, offset: (BigInt(chunk.at(-1).offset) + 1n).toString()},
            ])
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
    await Promise.all(
      Array.from({length: Math.min(500, n - i)}, (_, j) => {
        const h = natsHeaders()
        h.set('id', String(i + j))
        return js.publish(`${stream}.in`, BODY, {headers: h})
      }),
    )
  }
  await nc.close()
}

async function natsDelete(...streams) {
  const nc = await natsConnect({servers: settings.nats.url})
  const jsm = await nc.jetstreamManager()
  for (const s of streams) await jsm.streams.delete(s).catch(() => {})
  await nc.close()
}

/**
 * The safe move on JetStream: a consumer, each message published with Nats-Msg-Id (PubAck awaited) and then deleted
 * from the source. NATS_STYLE `sliding` (default): a window kept full, awaiting the oldest move before starting the
 * next; `batches`: a window of moves started together and awaited together (measured slower and costlier here:
 * 15.2-20.2 s against 11.0-16.1 s and 374-386 against 290-327 µs of CPU per message, 10,000 messages, load 17-27).
 */
async function natsBareLoop(source, dest) {
  const nc = await natsConnect({servers: settings.nats.url})
  const js = nc.jetstream()
  const jsm = await nc.jetstreamManager()
  const consumer = await js.consumers.get(source)
  const messages = await consumer.consume({max_messages: WINDOW})
  const sliding = process.env.NATS_STYLE !== 'batches'
  let inFlight = []
  let moved = 0
  const move = async (m) => {
    await js.publish(`${dest}.in`, m.data, {headers: m.headers, msgID: `${source}/${m.seq}`})
    await jsm.streams.deleteMessage(source, m.seq)
  }
  for await (const m of messages) {
    inFlight.push(move(m))
    if (sliding && inFlight.length >= WINDOW) await inFlight.shift()
    if (!sliding && inFlight.length >= WINDOW) {
      await Promise.all(inFlight)
      inFlight = []
    }
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

const CLI = 'mailroom CLI'

/** Rows that explain a difference rather than measure a contender, run with DIAGNOSTIC=1 (they cost minutes). */
function diagnostic(contenders) {
  return process.env.DIAGNOSTIC ? contenders : {}
}

/** The amqplib bare loop in BARE_STYLE, or with BARE_STYLES=all in every style (bench/rabbitmq-moves.mjs). */
function bareStyles() {
  const styles = process.env.BARE_STYLES === 'all' ? BARE_STYLES : [BARE_STYLE]
  return Object.fromEntries(
    styles.map((style) => [`bare amqplib loop, ${style}`, (s, d) => rabbitBareLoop(s, d, {style})]),
  )
}

const suites = {
  rabbitmq: {
    run: rabbitCase,
    contenders: {
      mailroom: (s, d) => mailroomReplay('rabbitmq', s, d),
      [CLI]: undefined,
      ...bareStyles(),
      // RabbitMQ keeps the timestamp property: no original-timestamp header, as mailroom.
      'bare loop + replay headers': (s, d) => rabbitBareLoop(s, d, {stamp: withReplayHeaders('rabbitmq', s, false)}),
      ...diagnostic({
        'bare + headers, patched amqplib': (s, d) =>
          rabbitBareLoop(s, d, {stamp: withReplayHeaders('rabbitmq', s, false)}),
      }),
      [`shovel, defaults (prefetch ${SHOVEL_DEFAULT_PREFETCH})`]: (s, d) => rabbitShovel(s, d),
      ...(WINDOW === SHOVEL_DEFAULT_PREFETCH
        ? {}
        : {[`shovel, prefetch ${WINDOW}`]: (s, d) => rabbitShovel(s, d, {prefetch: WINDOW})}),
      'shovel, defaults + provenance': (s, d) => rabbitShovel(s, d, {provenance: true}),
    },
    env: {'bare + headers, patched amqplib': {BENCH_CLIENT_PATCHES: '1'}},
  },
  kafka: {
    run: kafkaCase,
    contenders: {
      mailroom: (s, d) => mailroomReplay('kafka', s, d),
      [CLI]: undefined,
      'bare kafkajs loop': (s, d) => kafkaBareLoop(s, d),
      'bare loop + replay headers': (s, d) => kafkaBareLoop(s, d, withReplayHeaders('kafka', s)),
      ...diagnostic({'bare + headers, patched kafkajs': (s, d) => kafkaBareLoop(s, d, withReplayHeaders('kafka', s))}),
    },
    env: {'bare + headers, patched kafkajs': {BENCH_CLIENT_PATCHES: '1'}},
  },
  nats: {
    run: natsCase,
    contenders: {mailroom: (s, d) => mailroomReplay('nats', s, d), [CLI]: undefined, 'bare nats.js loop': natsBareLoop},
  },
}

if (process.env.BASELINE_DIST) {
  for (const [broker, suite] of Object.entries(suites)) {
    suite.contenders = {
      mailroom: suite.contenders.mailroom,
      [BASELINE]: (s, d) => mailroomReplay(broker, s, d),
      ...suite.contenders,
    }
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

console.log(
  `replay: ${BODY.length} B messages, window ${WINDOW}, interleaved runs, medians; "x" columns: mailroom's throughput (in process, whole CLI) over the contender's (> 1 = mailroom faster)`,
)
for (const [broker, suite] of Object.entries(suites)) {
  const {n, runs} = sizeOf(broker)
  if ((ONLY && !ONLY.includes(broker)) || runs === 0) continue
  N = n
  const names = Object.keys(suite.contenders).filter((name) => !CONTENDERS || CONTENDERS.test(name))
  const samples = Object.fromEntries(names.map((name) => [name, []]))
  for (let r = 0; r < runs; r++) {
    // Interleaved so machine noise hits every contender alike.
    for (const name of names) {
      const move =
        name === CLI
          ? (source, dest) => cliReplay(broker, source, dest)
          : (source, dest) => inChild(broker, name, source, dest, suite.env?.[name])
      samples[name].push(await suite.run(name, move))
    }
  }
  console.log(
    `${broker}: ${N} messages per run, median of ${runs} (load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  )
  printRows(broker, samples)
}

function printRows(broker, samples) {
  const msOf = (name) => (samples[name]?.length ? median(samples[name].map((x) => x.ms)) : undefined)
  const [ours, cli] = [msOf('mailroom'), msOf(CLI)]
  const times = (a, b) => (a === undefined || b === undefined ? '    -' : (b / a).toFixed(2).padStart(5))
  console.log(
    `${''.padEnd(9)} ${'contender'.padEnd(34)} ${'ms'.padStart(7)} ${'msg/s'.padStart(8)}   client CPU s (main) µs/msg   broker CPU s µs/msg   x in-proc   x CLI`,
  )
  for (const [name, xs] of Object.entries(samples).filter(([, xs]) => xs.length > 0)) {
    const ms = msOf(name)
    const cpu = (key) => (xs[0][key] === undefined ? undefined : median(xs.map((x) => x[key])))
    const seconds = (v, w = 6) => (v === undefined ? '-'.padStart(w) : (v / 1000).toFixed(2).padStart(w))
    const perMessage = (v) => (v === undefined ? '-'.padStart(6) : ((v * 1000) / N).toFixed(0).padStart(6))
    const [client, main, brokerCpu] = [cpu('cpuMs'), cpu('mainCpuMs'), cpu('brokerCpuMs')]
    console.log(
      `${broker.padEnd(9)} ${name.padEnd(34)} ${ms.toFixed(0).padStart(7)} ${Math.round((N * 1000) / ms)
        .toString()
        .padStart(
          8,
        )}   ${seconds(client)} (${seconds(main, 5)}) ${perMessage(client)}        ${seconds(brokerCpu)} ${perMessage(brokerCpu)}       ${times(ours, ms)}   ${times(cli, ms)}`,
    )
  }
  const shovel = msOf(`shovel, defaults (prefetch ${SHOVEL_DEFAULT_PREFETCH})`)
  if (broker === 'rabbitmq' && shovel !== undefined && cli !== undefined) {
    console.log(`rabbitmq  target: mailroom CLI >= 0.75x the shovel at its defaults: ${(shovel / cli).toFixed(2)}x`)
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
  console.log(
    `memory: filled ${BIG} messages into ${BIG_BROKER}:${source} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  )
  const cli = spawn(
    process.execPath,
    [
      process.env.MAILROOM_BIN ?? join(root, 'bin', 'run.js'),
      'dlq',
      'replay',
      `${BIG_BROKER}:${source}`,
      '--to',
      `${BIG_BROKER}:${dest}`,
      '--yes',
      '--json',
    ],
    {
      env: {...process.env, XDG_STATE_HOME: state},
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
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
  console.log(
    `memory: replayed ${report.counts.replayed} of ${BIG} (${BIG_BROKER}) in ${((performance.now() - t) / 1000).toFixed(0)} s; peak RSS ${peak.toFixed(0)} MB; RSS at 25/50/75% of the run ${q(0.25)}/${q(0.5)}/${q(0.75)} MB`,
  )
  if (BIG_BROKER === 'kafka') await kafkaDelete(source, dest)
  if (BIG_BROKER === 'rabbitmq') await rabbitDelete(source, dest)
  if (BIG_BROKER === 'nats') await natsDelete(source, dest)
}
