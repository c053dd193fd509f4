// Publish and tail throughput of the built CLI vs bare client loops with the same guarantee, side by side, on the
// local brokers; then peak RSS of the CLI publishing and tailing MEM_N small messages.
//
// Two measurements, side by side:
// - in-process: the core services the CLI runs (publishAll over the adapter; tailBatches into the NDJSON writer on a
//   file) vs the bare loop, each in a fresh process of its own and timed inside it from connect to close - the hot
//   path, without process start-up and imports (and no client library shared between the two);
// - CLI: whole processes, wall clock from spawn to exit (Node start, oclif, connect, work, close) - `mailroom publish
//   ... --count N` and `mailroom tail ... --until-end -o ndjson > file` vs `node bench/messaging.mjs --bare <case>`,
//   so both pay a process start and a connection.
//   publish, confirmed:  RabbitMQ amqplib ConfirmChannel, mandatory, 500 in flight (mailroom's default window);
//                        Kafka kafkajs producer acks=-1, sends of 1000 (mailroom's window); kcat -P -X acks=all;
//                        NATS js.publish with 512 PubAcks in flight (mailroom's window).
//   tail to a file:      RabbitMQ stream queue offset consumer (prefetch 250) writing each body + "\n";
//                        Kafka kafkajs consumer (throwaway group, eachBatch) to the end captured at start; kcat -C -e;
//                        NATS ordered consumer to the last sequence captured at start.
//                        Each bare tail runs twice: writing raw bodies, and writing one JSON line per message with
//                        its key, headers, body and position ("bare, JSON": like for like with mailroom's NDJSON).
// Targets: publish >= 0.9x and tail >= 0.8x the bare loop's throughput; RSS < 200 MB.
// Needs `npm run build` and the brokers up. Run: node bench/messaging.mjs
//   N=20000 (messages per run) RUNS=3 (median of) SIZE=100 (body bytes) MEM_N=1000000 (0 skips the memory runs)
//   BROKERS=rabbitmq,kafka,nats MODES=in-process,cli
import {spawn, spawnSync} from 'node:child_process'
import {createWriteStream, existsSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {connect as natsConnect} from 'nats'

// mailroom's drivers patch kafkajs's and amqplib's publish internals (src/adapters/*/patches) before those load.
// Bare loops run on the client libraries as published, except the "bare, patched" rows (BENCH_CLIENT_PATCHES): for
// the record, the same loop on mailroom's patched client, which isolates mailroom's own overhead on the same client.
if (!process.argv[2]?.startsWith('--bare') || process.env.BENCH_CLIENT_PATCHES) {
  for (const broker of ['kafka', 'rabbitmq']) await import(new URL(`../dist/adapters/${broker}/driver.js`, import.meta.url).href)
}
const {default: kafkajs} = await import('kafkajs')
const {default: amqp} = await import('amqplib')
const {Kafka, logLevel} = kafkajs
const SELF = fileURLToPath(import.meta.url)
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const N = Number(process.env.N ?? 20_000)
const RUNS = Number(process.env.RUNS ?? 3)
const SIZE = Number(process.env.SIZE ?? 100)
const MEM_N = Number(process.env.MEM_N ?? 1_000_000)
const BROKERS = (process.env.BROKERS ?? 'rabbitmq,kafka,nats').split(',')
const MODES = (process.env.MODES ?? 'in-process,cli').split(',').filter((m) => m && m !== 'none')
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672'
const KAFKA = ['127.0.0.1:9092']
const NATS = '127.0.0.1:4222'
const BODY = 'x'.repeat(SIZE)
const OUT = join(tmpdir(), `mailroom-bench-${process.pid}.out`)
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

if (process.argv[2] === '--bare') {
  await bare(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6], process.argv[7])
  process.exit(0)
}
if (process.argv[2] === '--bare-timed') {
  const started = process.hrtime.bigint()
  await bare(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6], process.argv[7])
  process.stdout.write(JSON.stringify({ms: Number(process.hrtime.bigint() - started) / 1e6}))
  process.exit(0)
}

// ------------------------------------------------------------------------------------------------------------
// Bare client loops (run in their own process)

/**
 * How a bare tail loop writes a message: `raw` its body and a newline (the least a loop can do), or `json` one JSON
 * line with its key, headers, body and position (what a script that keeps the messages writes: like for like with
 * mailroom's NDJSON, though not lossless for binary data).
 */
function lineWriter(file, style) {
  if (style === 'json') return (body, fields) => file.write(`${JSON.stringify({...fields(), body: body.toString('utf8')})}\n`)
  return (body) => {
    file.write(body)
    file.write('\n')
  }
}

function textHeaders(h) {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, String(v)]))
}

async function bare(kind, target, n, out, style = 'raw') {
  const body = Buffer.from(BODY)
  switch (kind) {
    case 'rabbitmq-publish': {
      const conn = await amqp.connect(AMQP_URL)
      const ch = await conn.createConfirmChannel()
      let returned = 0
      ch.on('return', () => returned++)
      const inFlight = []
      for (let i = 0; i < n; i++) {
        inFlight.push(new Promise((resolve, reject) => ch.publish('', target, body, {mandatory: true}, (err) => (err ? reject(err) : resolve()))))
        if (inFlight.length >= 500) await inFlight.shift()
      }
      await Promise.all(inFlight)
      if (returned) throw new Error(`${returned} returned`)
      await conn.close()
      return
    }
    case 'rabbitmq-tail': {
      const conn = await amqp.connect(AMQP_URL)
      const ch = await conn.createChannel()
      const file = createWriteStream(out)
      const write = lineWriter(file, style)
      await ch.prefetch(250)
      let seen = 0
      await new Promise((resolve) => {
        ch.consume(target, (msg) => {
          write(msg.content, () => ({routingKey: msg.fields.routingKey, headers: textHeaders(msg.properties.headers), offset: msg.properties.headers?.['x-stream-offset']}))
          ch.ack(msg)
          if (++seen === n) resolve()
        }, {arguments: {'x-stream-offset': 'first'}})
      })
      await new Promise((resolve) => file.end(resolve))
      await conn.close()
      return
    }
    case 'kafka-publish': {
      const kafka = new Kafka({brokers: KAFKA, logLevel: logLevel.NOTHING})
      const producer = kafka.producer()
      await producer.connect()
      for (let i = 0; i < n; i += 1000) {
        const messages = Array.from({length: Math.min(1000, n - i)}, () => ({value: body}))
        await producer.send({topic: target, acks: -1, messages})
      }
      await producer.disconnect()
      return
    }
    case 'kafka-tail': {
      const kafka = new Kafka({brokers: KAFKA, logLevel: logLevel.NOTHING})
      const admin = kafka.admin()
      await admin.connect()
      const ends = new Map((await admin.fetchTopicOffsets(target)).map((p) => [p.partition, BigInt(p.high)]))
      const groupId = `msgbench-bare-${process.pid}-${Date.now()}`
      const consumer = kafka.consumer({groupId, maxWaitTimeInMs: 250})
      await consumer.connect()
      await consumer.subscribe({topics: [target], fromBeginning: true})
      const file = createWriteStream(out)
      const write = lineWriter(file, style)
      const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p))
      await new Promise((resolve) => {
        consumer.run({
          autoCommit: false,
          eachBatch: async ({batch}) => {
            for (const m of batch.messages) write(m.value, () => ({key: m.key?.toString('utf8') ?? null, headers: textHeaders(m.headers), partition: batch.partition, offset: m.offset}))
            if (BigInt(batch.lastOffset()) >= ends.get(batch.partition) - 1n) remaining.delete(batch.partition)
            if (remaining.size === 0) resolve()
          },
        })
      })
      await new Promise((resolve) => file.end(resolve))
      await consumer.disconnect()
      await admin.deleteGroups([groupId]).catch(() => {})
      await admin.disconnect()
      return
    }
    case 'nats-publish': {
      const nc = await natsConnect({servers: NATS})
      const js = nc.jetstream()
      const inFlight = []
      for (let i = 0; i < n; i++) {
        inFlight.push(js.publish(target, body))
        if (inFlight.length >= 512) await inFlight.shift()
      }
      await Promise.all(inFlight)
      await nc.close()
      return
    }
    case 'nats-tail': {
      const nc = await natsConnect({servers: NATS})
      const js = nc.jetstream()
      const jsm = await nc.jetstreamManager()
      const last = (await jsm.streams.info(target)).state.last_seq
      const consumer = await js.consumers.get(target)
      const messages = await consumer.consume()
      const file = createWriteStream(out)
      const write = lineWriter(file, style)
      for await (const m of messages) {
        write(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), () => ({subject: m.subject, headers: m.headers ? Object.fromEntries([...m.headers.keys()].map((k) => [k, m.headers.get(k)])) : {}, seq: m.seq}))
        if (m.seq >= last) break
      }
      await new Promise((resolve) => file.end(resolve))
      await nc.close()
      return
    }
  }
  throw new Error(`unknown bare case ${kind}`)
}

// ------------------------------------------------------------------------------------------------------------
// mailroom in-process: the same core services the commands call

const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href)
const {createAdapter} = await dist('adapters/registry.js')
const {publishAll} = await dist('core/services/publish.js')
const {envelopeFromBody, repeat} = await dist('core/services/message-source.js')
const {tailBatches} = await dist('core/services/tail.js')
const {createMessageWriter} = await dist('core/output/message-writer.js')

const SETTINGS = {
  rabbitmq: {url: AMQP_URL, managementUrl: 'http://127.0.0.1:15672'},
  kafka: {brokers: KAFKA},
  nats: {url: `nats://${NATS}`},
  connectTimeoutMs: 5000,
}

async function withAdapter(ref, fn) {
  const [kind, name] = [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)]
  const adapter = await createAdapter(kind, SETTINGS)
  await adapter.connect()
  try {
    return await fn(adapter, name)
  } finally {
    await adapter.close()
  }
}

function inProcessPublish(ref, n, key) {
  return withAdapter(ref, async (adapter, name) => {
    const summary = await publishAll(adapter, name, repeat(envelopeFromBody(Buffer.from(BODY), {key}), n))
    if (summary.published !== n) throw new Error(`published ${summary.published} of ${n}`)
  })
}

function inProcessTail(ref, out) {
  return withAdapter(ref, async (adapter, name) => {
    const file = createWriteStream(out)
    const writer = createMessageWriter('ndjson', {out: file})
    const stats = {received: 0, matched: 0, stoppedBy: 'source'}
    // As the tail command writes: a batch at a time, waiting only when the output pushes back.
    for await (const batch of tailBatches(adapter, name, {from: {kind: 'earliest'}, untilEnd: true}, stats)) {
      for (const d of batch) {
        const full = writer.write(d.envelope)
        if (full) await full
      }
    }
    await writer.end()
    await new Promise((resolve) => file.end(resolve))
  })
}

async function timedInProcess(fn) {
  const started = process.hrtime.bigint()
  await fn()
  return {ms: Number(process.hrtime.bigint() - started) / 1e6}
}

if (process.argv[2] === '--mailroom-timed') {
  const [what, ref, n, out, key] = process.argv.slice(3)
  // Loaded before the clock starts, as a bare loop loads its client library: both are timed from connect to close.
  await dist(`adapters/${ref.slice(0, ref.indexOf(':'))}/adapter.js`)
  const {ms} = await timedInProcess(() => (what === 'publish' ? inProcessPublish(ref, Number(n), key || undefined) : inProcessTail(ref, out)))
  process.stdout.write(JSON.stringify({ms}))
  process.exit(0)
}

// ------------------------------------------------------------------------------------------------------------
// Broker fixtures

const kafka = new Kafka({brokers: KAFKA, logLevel: logLevel.NOTHING})
const admin = kafka.admin()
let amqpConn
let natsConn
const cleanups = []
let serial = 0
const uniq = (p) => `msgbench-${p}-${process.pid}-${++serial}`

async function freshTarget(broker) {
  if (broker === 'rabbitmq') {
    const q = uniq('q')
    const ch = await amqpConn.createChannel()
    await ch.assertQueue(q, {durable: true})
    await ch.close()
    cleanups.push(async () => {
      const c = await amqpConn.createChannel()
      await c.deleteQueue(q)
      await c.close()
    })
    return {mailroom: `rabbitmq:${q}`, bare: q}
  }
  if (broker === 'kafka') {
    const t = uniq('t')
    await admin.createTopics({topics: [{topic: t, numPartitions: 1}], waitForLeaders: true})
    cleanups.push(() => admin.deleteTopics({topics: [t]}))
    return {mailroom: `kafka:${t}`, bare: t}
  }
  const s = uniq('S').replaceAll('-', '_')
  const jsm = await natsConn.jetstreamManager()
  await jsm.streams.add({name: s, subjects: [`${s}.>`]})
  cleanups.push(() => jsm.streams.delete(s))
  return {mailroom: `nats:${s}`, bare: `${s}.m`, key: `${s}.m`}
}

/** A target holding n messages, for the tail runs (RabbitMQ: a stream queue, read by offset). */
async function filledTarget(broker, n) {
  if (broker === 'rabbitmq') {
    const q = uniq('stream')
    const ch = await amqpConn.createChannel()
    await ch.assertQueue(q, {durable: true, arguments: {'x-queue-type': 'stream'}})
    await ch.close()
    cleanups.push(async () => {
      const c = await amqpConn.createChannel()
      await c.deleteQueue(q)
      await c.close()
    })
    await runBare('rabbitmq-publish', q, n)
    return {mailroom: `rabbitmq:${q}`, bare: q}
  }
  const target = await freshTarget(broker)
  await runBare(`${broker}-publish`, target.bare, n)
  return {...target, bare: broker === 'nats' ? target.mailroom.slice(5) : target.bare}
}

// ------------------------------------------------------------------------------------------------------------
// Timing

function timed(cmd, args, o = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const useTime = o.rss && TIME
    const child = spawn(useTime ? TIME : cmd, useTime ? ['-f', '%M', cmd, ...args] : args, {
      stdio: ['ignore', o.stdoutFile ? 'pipe' : 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const file = o.stdoutFile ? createWriteStream(o.stdoutFile) : undefined
    const fileClosed = file ? new Promise((r) => file.on('close', r)) : Promise.resolve()
    if (file) child.stdout.pipe(file)
    child.on('close', async (code) => {
      await fileClosed
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`))
      const rssKb = useTime ? Number(stderr.trim().split('\n').at(-1)) : undefined
      resolve({ms, rssMb: rssKb ? rssKb / 1024 : undefined})
    })
  })
}

const runBare = (kind, target, n, out = '/dev/null', style = 'raw') => timed(process.execPath, [SELF, '--bare', kind, target, String(n), out, style])

/** One contender in a fresh process of its own, timed inside it from connect to close. */
function timedChild(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, ...args], {stdio: ['ignore', 'pipe', 'inherit'], env: {...process.env, ...env}})
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`${args.join(' ')} exited ${code}`))))
  })
}

const bareTimed = (kind, target, n, out = '/dev/null', style = 'raw', env = {}) => timedChild(['--bare-timed', kind, target, String(n), out, style], env)
const mailroomTimed = (what, ref, n, out = '/dev/null', key = '') => timedChild(['--mailroom-timed', what, ref, String(n), out, key])
const mailroom = (args, o) => timed(process.execPath, [BIN, ...args], o)

function lines(file) {
  const text = readFileSync(file)
  let count = 0
  for (const byte of text) if (byte === 10) count++
  return count
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function kcatPublish(topic, n) {
  const input = join(tmpdir(), `mailroom-bench-kcat-${process.pid}.in`)
  if (!existsSync(input) || statSync(input).size !== n * (SIZE + 1)) writeFileSync(input, `${BODY}\n`.repeat(n))
  return timed('sh', ['-c', `kcat -P -b ${KAFKA[0]} -t ${topic} -X acks=all -X queue.buffering.max.messages=1000000 < ${input}`])
}

const kcatTail = (topic) => timed('kcat', ['-C', '-b', KAFKA[0], '-t', topic, '-o', 'beginning', '-e', '-q'], {stdoutFile: OUT})
const hasKcat = spawnSync('kcat', ['-V']).status === 0

// ------------------------------------------------------------------------------------------------------------
// Cases: each returns {label -> [ms...]} with interleaved runs

async function publishCase(broker, mode) {
  const samples = {
    mailroom: [],
    bare: [],
    ...(broker !== 'nats' && mode === 'in-process' ? {'bare, patched': []} : {}),
    ...(broker === 'kafka' && hasKcat && mode === 'cli' ? {kcat: []} : {}),
  }
  for (let run = 0; run < RUNS; run++) {
    const a = await freshTarget(broker)
    const keyArgs = a.key ? ['--key', a.key] : []
    samples.mailroom.push(
      (mode === 'cli' ? await mailroom(['publish', a.mailroom, BODY, '--count', String(N), ...keyArgs]) : await mailroomTimed('publish', a.mailroom, N, undefined, a.key)).ms,
    )
    const b = await freshTarget(broker)
    samples.bare.push((mode === 'cli' ? await runBare(`${broker}-publish`, b.bare, N) : await bareTimed(`${broker}-publish`, b.bare, N)).ms)
    if (samples['bare, patched']) {
      const c = await freshTarget(broker)
      samples['bare, patched'].push((await bareTimed(`${broker}-publish`, c.bare, N, undefined, undefined, {BENCH_CLIENT_PATCHES: '1'})).ms)
    }
    if (samples.kcat) samples.kcat.push((await kcatPublish((await freshTarget('kafka')).bare, N)).ms)
  }
  return samples
}

async function tailCase(broker, mode) {
  const target = await filledTarget(broker, N)
  const samples = {mailroom: [], bare: [], 'bare, JSON': [], ...(broker === 'kafka' && hasKcat && mode === 'cli' ? {'kcat -C -e': []} : {})}
  for (let run = 0; run < RUNS; run++) {
    samples.mailroom.push(
      (mode === 'cli'
        ? await mailroom(['tail', target.mailroom, '--until-end', '-o', 'ndjson'], {stdoutFile: OUT})
        : await mailroomTimed('tail', target.mailroom, N, OUT)
      ).ms,
    )
    check(lines(OUT), `mailroom tail ${target.mailroom}`)
    for (const [label, style] of [['bare', 'raw'], ['bare, JSON', 'json']]) {
      samples[label].push((mode === 'cli' ? await runBare(`${broker}-tail`, target.bare, N, OUT, style) : await bareTimed(`${broker}-tail`, target.bare, N, OUT, style)).ms)
      check(lines(OUT), `${label} tail ${target.bare}`)
    }
    if (samples['kcat -C -e']) {
      samples['kcat -C -e'].push((await kcatTail(target.bare)).ms)
      check(lines(OUT), 'kcat -C -e')
    }
  }
  return samples
}

function check(count, what) {
  if (count !== N) throw new Error(`${what} wrote ${count} lines, expected ${N}`)
}

function report(title, samples, target) {
  const base = median(samples.bare)
  console.log(`\n${title} — ${N} messages of ${SIZE} B, median of ${RUNS} (target: mailroom >= ${target}x the bare loop's rate)`)
  for (const [label, xs] of Object.entries(samples)) {
    const ms = median(xs)
    const rate = Math.round((N * 1000) / ms)
    const ratio = base / ms
    console.log(`  ${label.padEnd(14)} ${ms.toFixed(0).padStart(7)} ms  ${String(rate).padStart(8)} msg/s   ${ratio.toFixed(2)}x bare${label === 'mailroom' ? (ratio >= target ? '  OK' : '  BELOW TARGET') : ''}`)
  }
  return base / median(samples.mailroom)
}

async function memoryCase(broker) {
  const target = await freshTarget(broker)
  const pub = await mailroom(['publish', target.mailroom, 'm'.repeat(20), '--count', String(MEM_N), ...(target.key ? ['--key', target.key] : [])], {rss: true})
  let tailTarget = target
  if (broker === 'rabbitmq') {
    // A non-destructive read to the end needs a stream queue; fill one with the bare loop.
    tailTarget = await filledTarget('rabbitmq', MEM_N)
  }
  const tail = await mailroom(['tail', tailTarget.mailroom, '--until-end', '-o', 'ndjson'], {rss: true, stdoutFile: OUT})
  const count = lines(OUT)
  console.log(`  ${broker.padEnd(9)} publish ${MEM_N}: peak RSS ${pub.rssMb?.toFixed(0) ?? '?'} MB (${(pub.ms / 1000).toFixed(1)} s)   tail ${count}: peak RSS ${tail.rssMb?.toFixed(0) ?? '?'} MB (${(tail.ms / 1000).toFixed(1)} s)${Math.max(pub.rssMb ?? 0, tail.rssMb ?? 0) < 200 ? '  OK' : '  OVER 200 MB'}`)
}

await admin.connect()
amqpConn = await amqp.connect(AMQP_URL)
natsConn = await natsConnect({servers: NATS})
try {
  console.log(`mailroom messaging benchmark (whole processes; bare loops via node ${SELF.split('/').slice(-2).join('/')} --bare)`)
  if (!hasKcat) console.log('kcat not found: the kcat columns are skipped (Debian: apt-get install -y kcat)')
  const ratios = {}
  for (const broker of BROKERS) {
    for (const mode of MODES) {
      ratios[`${broker} publish (${mode})`] = report(`${broker}: publish, confirmed [${mode}]`, await publishCase(broker, mode), 0.9)
      const tail = await tailCase(broker, mode)
      ratios[`${broker} tail (${mode})`] = report(`${broker}: tail -o ndjson to a file [${mode}]`, tail, 0.8)
      ratios[`${broker} tail vs JSON loop (${mode})`] = median(tail['bare, JSON']) / median(tail.mailroom)
    }
  }
  if (MODES.length > 0) console.log('\nratios (mailroom / bare loop throughput):')
  for (const [name, r] of Object.entries(ratios)) console.log(`  ${name.padEnd(30)} ${r.toFixed(2)}x`)
  if (MEM_N > 0) {
    console.log(`\nmemory: ${MEM_N} messages of 20 B, peak RSS of the mailroom process (${TIME ? '/usr/bin/time -f %M' : 'unavailable'}; target < 200 MB)`)
    for (const broker of BROKERS) await memoryCase(broker)
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  rmSync(OUT, {force: true})
  await admin.disconnect()
  await amqpConn.close()
  await natsConn.close()
}
