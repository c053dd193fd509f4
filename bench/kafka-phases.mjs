// Where a Kafka publish and tail spend their time, next to kcat: start-up, connect/metadata, encode (decode for a
// tail: kafkajs's protocol code and mailroom's patches of it), send (the rest of kafkajs: producer/consumer, cluster and
// network; and Node's sockets), mailroom's own code, garbage collection, and wait (the process idle: the broker's round
// trips), at 10k and 100k records of 100 B. Also run by
// bench/messaging.mjs. The share bound by kafkajs = its encoder/decoder + the rest of kafkajs, of the CPU of the work.
//   start-up:          Node boot and the import of mailroom's Kafka path (kafkajs, patches, core services); the CLI
//                      adds oclif's boot on top (bench/startup.mjs, "targets list --help").
//   connect/metadata:  adapter.connect() and, for publish, preparePublish (producer connect, topic metadata).
//   the rest:          a CPU profile (node:inspector, 250 µs) of the publish / tail to the end, by where each sample is.
// Then the windows of mailroom's Kafka publish (records per produce request) at 100k: WINDOWS=1000,2500,5000.
// Run: node bench/kafka-phases.mjs   COUNTS=10000,100000 RUNS=3 (median of)
import {spawn, spawnSync} from 'node:child_process'
import {writeFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const SELF = fileURLToPath(import.meta.url)
const KAFKA = '127.0.0.1:9092'
const BODY = 'x'.repeat(100)
const KEY = 'k'
const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href)

if (process.argv[2] === '--child') {
  const [what, topic, n, window] = process.argv.slice(3)
  process.stdout.write(JSON.stringify(await child(what, topic, Number(n), Number(window) || undefined)))
  process.exit(0)
}

/** One measured run in this fresh process: phases in ms. */
async function child(what, topic, n, window) {
  const {createAdapter} = await dist('adapters/registry.js')
  const {publishAll} = await dist('core/services/publish.js')
  const {envelopeFromBody, repeat} = await dist('core/services/message-source.js')
  const {tailBatches} = await dist('core/services/tail.js')
  const {createMessageWriter} = await dist('core/output/message-writer.js')
  await dist('adapters/kafka/adapter.js')
  const {Session} = await import('node:inspector')
  const startup = performance.now()
  const adapter = await createAdapter('kafka', {kafka: {brokers: [KAFKA]}, connectTimeoutMs: 5000})
  await adapter.connect()
  if (what === 'publish') await adapter.preparePublish(topic)
  const connected = performance.now()
  const session = new Session()
  session.connect()
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))))
  await post('Profiler.enable')
  await post('Profiler.setSamplingInterval', {interval: 250})
  await post('Profiler.start')
  const cpu = process.cpuUsage()
  const workStart = performance.now()
  if (what === 'publish') {
    const summary = await publishAll(adapter, topic, repeat(envelopeFromBody(Buffer.from(BODY), {key: KEY}), n), {
      window,
    })
    if (summary.published !== n) throw new Error(`published ${summary.published} of ${n}`)
  } else {
    const out = join(tmpdir(), `kafka-phases-${process.pid}.out`)
    const {createWriteStream} = await import('node:fs')
    const file = createWriteStream(out)
    const writer = createMessageWriter('ndjson', {out: file})
    const stats = {received: 0, matched: 0, stoppedBy: 'source'}
    for await (const batch of tailBatches(adapter, topic, {from: {kind: 'earliest'}, untilEnd: true}, stats)) {
      for (const d of batch) {
        const full = writer.write(d.envelope)
        if (full) await full
      }
    }
    await writer.end()
    await new Promise((resolve) => file.end(resolve))
    rmSync(out, {force: true})
    if (stats.received !== n) throw new Error(`tailed ${stats.received} of ${n}`)
  }
  const workMs = performance.now() - workStart
  const used = process.cpuUsage(cpu)
  const {profile} = await post('Profiler.stop')
  await adapter.close()
  return {startup, connect: connected - startup, workMs, cpuMs: (used.user + used.system) / 1000, ...attribute(profile)}
}

/** Sample time by where the sampled function is: kafkajs's codec, the rest of kafkajs, mailroom, Node/V8, idle. */
function attribute(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const ms = {codec: 0, kafkajs: 0, mailroom: 0, node: 0, gc: 0, idle: 0}
  profile.samples.forEach((id, i) => {
    const {url, functionName} = byId.get(id).callFrame
    const delta = (profile.timeDeltas[i] ?? 0) / 1000
    if (functionName === '(idle)') ms.idle += delta
    else if (functionName === '(garbage collector)') ms.gc += delta
    else if (/kafkajs\/src\/protocol\//.test(url) || /adapters\/kafka\/patches\//.test(url)) ms.codec += delta
    else if (url.includes('node_modules/kafkajs/')) ms.kafkajs += delta
    else if (url.includes('/dist/')) ms.mailroom += delta
    else ms.node += delta
  })
  return ms
}

function runChild(...args) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [SELF, '--child', ...args.map(String)], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    c.stdout.on('data', (d) => (out += d))
    c.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child ${args.join(' ')} exited ${code}`)),
    )
  })
}

function wall(cmd, args) {
  const started = process.hrtime.bigint()
  const r = spawnSync(cmd, args, {stdio: ['ignore', 'ignore', 'pipe']})
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

export async function kafkaPhases({counts = [10_000, 100_000], runs = 3, windows = [1000, 2500, 5000]} = {}) {
  const {default: kafkajs} = await import('kafkajs')
  const kafka = new kafkajs.Kafka({brokers: [KAFKA], logLevel: kafkajs.logLevel.NOTHING})
  const admin = kafka.admin()
  await admin.connect()
  const topics = []
  let serial = 0
  const freshTopic = async () => {
    const topic = `kafka-phases-${process.pid}-${++serial}`
    await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
    topics.push(topic)
    return topic
  }
  try {
    console.log(
      `\nkafka phases — records of 100 B with a key, median of ${runs} (ms; the CLI adds oclif's boot to start-up)`,
    )
    console.log(
      `  ${'run'.padEnd(26)} ${['start-up', 'connect', 'codec', 'kafkajs', 'mailroom', 'node', 'gc', 'wait', 'work', 'kafkajs share'].map((h) => h.padStart(9)).join(' ')}`,
    )
    for (const n of counts) {
      const input = join(tmpdir(), `kafka-phases-${process.pid}-${n}.in`)
      writeFileSync(input, `${KEY}:${BODY}\n`.repeat(n))
      const filled = await freshTopic()
      const results = {publish: [], tail: [], kcatP: [], kcatC: []}
      for (let r = 0; r < runs; r++) {
        results.publish.push(await runChild('publish', await freshTopic(), n, ''))
        const kcatTopic = await freshTopic()
        results.kcatP.push(
          wall('sh', [
            '-c',
            `kcat -P -b ${KAFKA} -t ${kcatTopic} -K : -X acks=all -X queue.buffering.max.messages=1000000 < ${input}`,
          ]),
        )
        if (r === 0)
          wall('sh', [
            '-c',
            `kcat -P -b ${KAFKA} -t ${filled} -K : -X acks=all -X queue.buffering.max.messages=1000000 < ${input}`,
          ])
        results.tail.push(await runChild('tail', filled, n, ''))
        results.kcatC.push(wall('kcat', ['-C', '-b', KAFKA, '-t', filled, '-o', 'beginning', '-e', '-q']))
      }
      rmSync(input, {force: true})
      for (const what of ['publish', 'tail']) printPhases(`mailroom ${what} ${n / 1000}k`, results[what])
      console.log(
        `  ${`kcat -P ${n / 1000}k (whole process)`.padEnd(26)} ${median(results.kcatP).toFixed(0).padStart(9)} ms wall`,
      )
      console.log(
        `  ${`kcat -C -e ${n / 1000}k (whole process)`.padEnd(26)} ${median(results.kcatC).toFixed(0).padStart(9)} ms wall`,
      )
    }
    const n = counts.at(-1)
    console.log(
      `\nkafka publish window (records per send) — ${n} records, in process from connect to close, median of ${runs}`,
    )
    const byWindow = Object.fromEntries(windows.map((w) => [w, []]))
    for (let r = 0; r < runs; r++)
      for (const w of windows) byWindow[w].push(await runChild('publish', await freshTopic(), n, w))
    for (const w of windows) {
      const ms = median(byWindow[w].map((x) => x.connect + x.workMs))
      console.log(
        `  window ${String(w).padEnd(6)} ${ms.toFixed(0).padStart(7)} ms  ${String(Math.round((n * 1000) / ms)).padStart(8)} msg/s   CPU ${((median(byWindow[w].map((x) => x.cpuMs)) * 1000) / n).toFixed(1)} µs/msg`,
      )
    }
  } finally {
    await admin.deleteTopics({topics}).catch(() => {})
    await admin.disconnect()
  }
}

function printPhases(label, runs) {
  const m = (key) => median(runs.map((r) => r[key]))
  const busy = m('codec') + m('kafkajs') + m('mailroom') + m('node') + m('gc')
  const share = (m('codec') + m('kafkajs')) / busy
  const cells = [
    m('startup'),
    m('connect'),
    m('codec'),
    m('kafkajs'),
    m('mailroom'),
    m('node'),
    m('gc'),
    m('idle'),
    m('workMs'),
  ].map((x) => x.toFixed(0).padStart(9))
  console.log(`  ${label.padEnd(26)} ${cells.join(' ')} ${`${(share * 100).toFixed(0)}%`.padStart(9)}`)
}

if (process.argv[1] === SELF) {
  await kafkaPhases({
    counts: (process.env.COUNTS ?? '10000,100000').split(',').map(Number),
    runs: Number(process.env.RUNS ?? 3),
    windows: (process.env.WINDOWS ?? '1000,2500,5000').split(',').map(Number),
  })
}
