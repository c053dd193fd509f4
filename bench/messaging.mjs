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
//   publish, confirmed:  every bare loop runs in each windowing style its client allows (PUBLISH_STYLES below: a window
//                        sent and awaited together, a sliding window settled by callbacks, `await inFlight.shift()`;
//                        kafkajs: sends of 1000 or 5000, or 4 sends of 1000 at once); the fastest in process is the
//                        bare row, and the whole-process rows run that one. RabbitMQ amqplib ConfirmChannel, mandatory,
//                        500 in flight; Kafka kafkajs acks=-1, keyed records; kcat -P -K : -X acks=all (whole process
//                        only); NATS js.publish with 512 PubAcks in flight. Windows are mailroom's defaults.
//   tail to a file:      RabbitMQ stream queue offset consumer (prefetch 250) writing each body + "\n";
//                        Kafka kafkajs consumer (throwaway group, eachBatch) to the end captured at start; kcat -C -e;
//                        NATS ordered consumer to the last sequence captured at start.
//                        Each bare tail runs twice: writing raw bodies, and writing one JSON line per message with
//                        its key, headers, body and position ("bare, JSON": like for like with mailroom's NDJSON).
// Every row prints the client's CPU per message (the contender process's user + system time: inside the process for
// the in-process rows, time(1) for whole processes). Then the Kafka phase breakdown (bench/kafka-phases.mjs).
// Targets: publish >= 0.9x and tail >= 0.8x the fastest bare loop's throughput; RSS < 200 MB.
// Needs `npm run build` and the brokers up. Run: node bench/messaging.mjs
//   N=20000 (messages per run) RUNS=5 (median of) SIZE=100 (body bytes) MEM_N=250000 (0 skips the memory runs; 1000000 for
//   the full memory bound, which takes minutes more)
//   BROKERS=rabbitmq,kafka,nats MODES=in-process,cli CASES=publish,tail,decode PHASES=0 (skips the Kafka phases)
//   decode: Kafka tail of DECODE_N=100000 Avro records with schema-registry decoding off and on (bench/schema-decode.mjs;
//   needs the registry: npm run brokers -- up schema-registry)
import {spawn, spawnSync} from 'node:child_process'
import {createWriteStream, existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {connect as natsConnect} from 'nats'

// mailroom's drivers patch kafkajs's and amqplib's publish internals (src/adapters/*/patches) before those load.
// Bare loops run on the client libraries as published, except the "bare, patched" rows (BENCH_CLIENT_PATCHES): for
// the record, the same loop on mailroom's patched client, which isolates mailroom's own overhead on the same client.
if (!process.argv[2]?.startsWith('--bare') || process.env.BENCH_CLIENT_PATCHES) {
  for (const broker of ['kafka', 'rabbitmq'])
    await import(new URL(`../dist/adapters/${broker}/driver.js`, import.meta.url).href)
}
const {default: kafkajs} = await import('kafkajs')
const {default: amqp} = await import('amqplib')
const {Kafka, logLevel} = kafkajs
const SELF = fileURLToPath(import.meta.url)
const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const N = Number(process.env.N ?? 20_000)
const RUNS = Number(process.env.RUNS ?? 5)
const SIZE = Number(process.env.SIZE ?? 100)
const MEM_N = Number(process.env.MEM_N ?? 250_000)
const BROKERS = (process.env.BROKERS ?? 'rabbitmq,kafka,nats').split(',')
const CASES = (process.env.CASES ?? 'publish,tail,decode').split(',')
const MODES = (process.env.MODES ?? 'in-process,cli').split(',').filter((m) => m && m !== 'none')
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672'
const KAFKA = ['127.0.0.1:9092']
const NATS = '127.0.0.1:4222'
const BODY = 'x'.repeat(SIZE)
const OUT = join(tmpdir(), `mailroom-bench-${process.pid}.out`)
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

/** Wall and CPU (user + system, all threads) milliseconds of fn, from inside the process. */
async function timedInProcess(fn) {
  const started = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  await fn()
  const used = process.cpuUsage(cpu)
  return {ms: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: (used.user + used.system) / 1000}
}

// ------------------------------------------------------------------------------------------------------------
// Bare client loops (run in their own process)

// The windowing styles each bare publish loop is run with, all with the same guarantee (every message confirmed by
// the broker before the loop ends, nothing unconfirmed left when it returns); the fastest one is the bare row:
//   window:  send a window of W, await them together, repeat (NATS Promise.all, RabbitMQ waitForConfirms)
//   sliding: W in flight, each confirmation sends the next (per-message callbacks / promise callbacks)
//   shift:   W in flight, await the oldest before sending the next (`await inFlight.shift()`)
//   kafkajs: sequential producer.send of W=1000 (mailroom's window) or 5000 records (10000 go over the broker's 1 MB request limit), or 4 sends of 1000 at a time.
const PUBLISH_STYLES = {
  nats: ['window', 'sliding', 'shift'],
  rabbitmq: ['window', 'sliding', 'shift'],
  kafka: ['send1000', 'send5000', 'concurrent4x1000'],
}
const NATS_WINDOW = 512
const RABBITMQ_WINDOW = 500
const KAFKA_KEY = 'k'

/** Runs `send(i)` for i < n with at most `window` in flight, the next one started as each completes. */
function slidingWindow(n, window, send) {
  return new Promise((resolve, reject) => {
    let started = 0
    let done = 0
    let failed = false
    const next = () => {
      if (failed) return
      if (done === n) return resolve()
      while (started < n && started - done < window) {
        started++
        send(started - 1).then(
          () => {
            done++
            next()
          },
          (error) => {
            failed = true
            reject(error)
          },
        )
      }
    }
    next()
  })
}

async function natsPublish(subject, n, body, style) {
  const nc = await natsConnect({servers: NATS})
  const js = nc.jetstream()
  if (style === 'window') {
    for (let i = 0; i < n; i += NATS_WINDOW) {
      await Promise.all(Array.from({length: Math.min(NATS_WINDOW, n - i)}, () => js.publish(subject, body)))
    }
  } else if (style === 'sliding') {
    await slidingWindow(n, NATS_WINDOW, () => js.publish(subject, body))
  } else {
    const inFlight = []
    for (let i = 0; i < n; i++) {
      inFlight.push(js.publish(subject, body))
      if (inFlight.length >= NATS_WINDOW) await inFlight.shift()
    }
    await Promise.all(inFlight)
  }
  await nc.close()
}

async function rabbitmqPublish(queue, n, body, style) {
  const conn = await amqp.connect(AMQP_URL)
  const ch = await conn.createConfirmChannel()
  let returned = 0
  ch.on('return', () => returned++)
  const confirmed = () =>
    new Promise((resolve, reject) =>
      ch.publish('', queue, body, {mandatory: true}, (err) => (err ? reject(err) : resolve())),
    )
  if (style === 'window') {
    for (let i = 0; i < n; i += RABBITMQ_WINDOW) {
      for (let j = 0; j < Math.min(RABBITMQ_WINDOW, n - i); j++) {
        if (!ch.publish('', queue, body, {mandatory: true})) await new Promise((resolve) => ch.once('drain', resolve))
      }
      await ch.waitForConfirms()
    }
  } else if (style === 'sliding') {
    await slidingWindow(n, RABBITMQ_WINDOW, confirmed)
  } else {
    const inFlight = []
    for (let i = 0; i < n; i++) {
      inFlight.push(confirmed())
      if (inFlight.length >= RABBITMQ_WINDOW) await inFlight.shift()
    }
    await Promise.all(inFlight)
  }
  if (returned) throw new Error(`${returned} returned`)
  await conn.close()
}

async function kafkaPublish(topic, n, body, style) {
  const kafka = new Kafka({brokers: KAFKA, logLevel: logLevel.NOTHING})
  const producer = kafka.producer()
  await producer.connect()
  const records = (count) => Array.from({length: count}, () => ({key: KAFKA_KEY, value: body}))
  const sendOf = (size) => (i) => producer.send({topic, acks: -1, messages: records(Math.min(size, n - i * size))})
  if (style === 'concurrent4x1000') await slidingWindow(Math.ceil(n / 1000), 4, sendOf(1000))
  else {
    const size = style === 'send5000' ? 5000 : 1000
    const send = sendOf(size)
    for (let i = 0; i < Math.ceil(n / size); i++) await send(i)
  }
  await producer.disconnect()
}

/**
 * How a bare tail loop writes a message: `raw` its body and a newline (the least a loop can do), or `json` one JSON
 * line with its key, headers, body and position (what a script that keeps the messages writes: like for like with
 * mailroom's NDJSON, though not lossless for binary data).
 */
function lineWriter(file, style) {
  if (style === 'json')
    return (body, fields) => file.write(`${JSON.stringify({...fields(), body: body.toString('utf8')})}\n`)
  return (body) => {
    file.write(body)
    file.write('\n')
  }
}

function textHeaders(h) {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, String(v)]))
}

async function bare(kindAndStyle, target, n, out, style = 'raw') {
  const body = Buffer.from(BODY)
  const [kind, publishStyle] = kindAndStyle.split(':')
  switch (kind) {
    case 'rabbitmq-publish':
      return rabbitmqPublish(target, n, body, publishStyle)
    case 'rabbitmq-tail': {
      const conn = await amqp.connect(AMQP_URL)
      const ch = await conn.createChannel()
      const file = createWriteStream(out)
      const write = lineWriter(file, style)
      await ch.prefetch(250)
      let seen = 0
      await new Promise((resolve) => {
        ch.consume(
          target,
          (msg) => {
            write(msg.content, () => ({
              routingKey: msg.fields.routingKey,
              headers: textHeaders(msg.properties.headers),
              offset: msg.properties.headers?.['x-stream-offset'],
            }))
            ch.ack(msg)
            if (++seen === n) resolve()
          },
          {arguments: {'x-stream-offset': 'first'}},
        )
      })
      await new Promise((resolve) => file.end(resolve))
      await conn.close()
      return
    }
    case 'kafka-publish':
      return kafkaPublish(target, n, body, publishStyle)
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
            for (const m of batch.messages)
              write(m.value, () => ({
                key: m.key?.toString('utf8') ?? null,
                headers: textHeaders(m.headers),
                partition: batch.partition,
                offset: m.offset,
              }))
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
    case 'nats-publish':
      return natsPublish(target, n, body, publishStyle)
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
        write(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), () => ({
          subject: m.subject,
          headers: m.headers ? Object.fromEntries([...m.headers.keys()].map((k) => [k, m.headers.get(k)])) : {},
          seq: m.seq,
        }))
        if (m.seq >= last) break
      }
      await new Promise((resolve) => file.end(resolve))
      await nc.close()
      return
    }
  }
  throw new Error(`unknown bare case ${kind}`)
}

if (process.argv[2] === '--bare') {
  await bare(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6], process.argv[7])
  process.exit(0)
}
if (process.argv[2] === '--bare-timed') {
  const result = await timedInProcess(() =>
    bare(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6], process.argv[7]),
  )
  process.stdout.write(JSON.stringify(result))
  process.exit(0)
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

if (process.argv[2] === '--mailroom-timed') {
  const [what, ref, n, out, key] = process.argv.slice(3)
  // Loaded before the clock starts, as a bare loop loads its client library: both are timed from connect to close.
  await dist(`adapters/${ref.slice(0, ref.indexOf(':'))}/adapter.js`)
  const result = await timedInProcess(() =>
    what === 'publish' ? inProcessPublish(ref, Number(n), key || undefined) : inProcessTail(ref, out),
  )
  process.stdout.write(JSON.stringify(result))
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
    await createTopic(t)
    cleanups.push(() => admin.deleteTopics({topics: [t]}))
    return {mailroom: `kafka:${t}`, bare: t, key: KAFKA_KEY}
  }
  const s = uniq('S').replaceAll('-', '_')
  const jsm = await natsConn.jetstreamManager()
  await jsm.streams.add({name: s, subjects: [`${s}.>`]})
  cleanups.push(() => jsm.streams.delete(s))
  return {mailroom: `nats:${s}`, bare: `${s}.m`, key: `${s}.m`}
}

/** A loaded broker may not have elected the new topic's leader within kafkajs's wait: the topic is there, wait again. */
async function createTopic(topic) {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
      return
    } catch (error) {
      if (!error.retriable || attempt === 5) throw error
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt))
    }
  }
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

/** A whole process, wall clock from spawn to exit, with its CPU seconds (and children's) and peak RSS from time(1). */
function timed(cmd, args, o = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(TIME ?? cmd, TIME ? ['-f', '%U %S %M', cmd, ...args] : args, {
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
      if (!TIME) return resolve({ms})
      const [user, system, rssKb] = stderr.trim().split('\n').at(-1).split(' ').map(Number)
      resolve({ms, cpuMs: (user + system) * 1000, rssMb: rssKb / 1024})
    })
  })
}

const runBare = (kind, target, n, out = '/dev/null', style = 'raw') =>
  timed(process.execPath, [SELF, '--bare', kind, target, String(n), out, style])

/** One contender in a fresh process of its own, timed inside it from connect to close. */
function timedChild(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {...process.env, ...env},
    })
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`${args.join(' ')} exited ${code}`)),
    )
  })
}

const bareTimed = (kind, target, n, out = '/dev/null', style = 'raw', env = {}) =>
  timedChild(['--bare-timed', kind, target, String(n), out, style], env)
const mailroomTimed = (what, ref, n, out = '/dev/null', key = '') =>
  timedChild(['--mailroom-timed', what, ref, String(n), out, key])
const mailroom = (args, o) => timed(process.execPath, [BIN, ...args], o)

function lines(file) {
  const text = readFileSync(file)
  let count = 0
  for (const byte of text) if (byte === 10) count++
  return count
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function kcatPublish(topic, n) {
  const input = join(tmpdir(), `mailroom-bench-kcat-${process.pid}-${n}.in`)
  if (!existsSync(input)) writeFileSync(input, `${KAFKA_KEY}:${BODY}\n`.repeat(n))
  return timed('sh', [
    '-c',
    `kcat -P -b ${KAFKA[0]} -t ${topic} -K : -X acks=all -X queue.buffering.max.messages=1000000 < ${input}`,
  ])
}

const kcatTail = (topic) =>
  timed('kcat', ['-C', '-b', KAFKA[0], '-t', topic, '-o', 'beginning', '-e', '-q'], {stdoutFile: OUT})
const hasKcat = spawnSync('kcat', ['-V']).status === 0

// ------------------------------------------------------------------------------------------------------------
// Cases: each returns {label -> [{ms, cpuMs}...]} with interleaved runs

const bareLabel = (style) => `bare ${style}`
const isBareLoop = (label) => label.startsWith('bare ') && !label.startsWith('bare, ')

/** In-process runs try every windowing style; the whole-process runs then use the fastest of them. */
const fastestStyle = {}

async function publishCase(broker, mode) {
  const styles = mode === 'cli' && fastestStyle[broker] ? [fastestStyle[broker]] : PUBLISH_STYLES[broker]
  const samples = {
    mailroom: [],
    ...Object.fromEntries(styles.map((style) => [bareLabel(style), []])),
    ...(broker !== 'nats' && mode === 'in-process' ? {'bare, patched': []} : {}),
    ...(broker === 'kafka' && hasKcat && mode === 'cli' ? {'kcat -P': []} : {}),
  }
  for (let run = 0; run < RUNS; run++) {
    const a = await freshTarget(broker)
    const keyArgs = a.key ? ['--key', a.key] : []
    samples.mailroom.push(
      mode === 'cli'
        ? await mailroom(['publish', a.mailroom, BODY, '--count', String(N), ...keyArgs])
        : await mailroomTimed('publish', a.mailroom, N, undefined, a.key),
    )
    for (const style of styles) {
      const b = await freshTarget(broker)
      const kind = `${broker}-publish:${style}`
      samples[bareLabel(style)].push(mode === 'cli' ? await runBare(kind, b.bare, N) : await bareTimed(kind, b.bare, N))
    }
    if (samples['bare, patched']) {
      const c = await freshTarget(broker)
      samples['bare, patched'].push(
        await bareTimed(`${broker}-publish:${styles[0]}`, c.bare, N, undefined, undefined, {BENCH_CLIENT_PATCHES: '1'}),
      )
    }
    if (samples['kcat -P']) samples['kcat -P'].push(await kcatPublish((await freshTarget('kafka')).bare, N))
  }
  if (mode === 'in-process') fastestStyle[broker] = fastestBare(samples).slice('bare '.length)
  return samples
}

async function tailCase(broker, mode) {
  const target = await filledTarget(broker, N)
  const samples = {
    mailroom: [],
    'bare raw': [],
    'bare, JSON': [],
    ...(broker === 'kafka' && hasKcat && mode === 'cli' ? {'kcat -C -e': []} : {}),
  }
  for (let run = 0; run < RUNS; run++) {
    samples.mailroom.push(
      mode === 'cli'
        ? await mailroom(['tail', target.mailroom, '--until-end', '-o', 'ndjson'], {stdoutFile: OUT})
        : await mailroomTimed('tail', target.mailroom, N, OUT),
    )
    check(lines(OUT), `mailroom tail ${target.mailroom}`)
    for (const [label, style] of [
      ['bare raw', 'raw'],
      ['bare, JSON', 'json'],
    ]) {
      samples[label].push(
        mode === 'cli'
          ? await runBare(`${broker}-tail`, target.bare, N, OUT, style)
          : await bareTimed(`${broker}-tail`, target.bare, N, OUT, style),
      )
      check(lines(OUT), `${label} tail ${target.bare}`)
    }
    if (samples['kcat -C -e']) {
      samples['kcat -C -e'].push(await kcatTail(target.bare))
      check(lines(OUT), 'kcat -C -e')
    }
  }
  return samples
}

function check(count, what) {
  if (count !== N) throw new Error(`${what} wrote ${count} lines, expected ${N}`)
}

const medianMs = (runs) => median(runs.map((r) => r.ms))

/** The label of the bare loop with the lowest median time. */
function fastestBare(samples) {
  return Object.keys(samples)
    .filter(isBareLoop)
    .reduce((best, label) => (medianMs(samples[label]) < medianMs(samples[best]) ? label : best))
}

function cpuPerMessage(runs) {
  if (runs[0].cpuMs === undefined) return '     ?'
  return `${((median(runs.map((r) => r.cpuMs)) * 1000) / N).toFixed(1).padStart(6)}`
}

function report(title, samples, target) {
  const fastest = fastestBare(samples)
  const base = medianMs(samples[fastest])
  console.log(
    `\n${title} — ${N} messages of ${SIZE} B, median of ${RUNS} (target: mailroom >= ${target}x the fastest bare loop's rate)`,
  )
  console.log(
    `  ${''.padEnd(20)} ${'wall'.padStart(7)}     ${'rate'.padStart(8)}         ratio         client CPU µs/msg`,
  )
  for (const [label, runs] of Object.entries(samples)) {
    const ms = medianMs(runs)
    const ratio = base / ms
    const verdict =
      label === 'mailroom' ? (ratio >= target ? '  OK' : '  BELOW TARGET') : label === fastest ? ' (fastest bare)' : ''
    console.log(
      `  ${label.padEnd(20)} ${ms.toFixed(0).padStart(7)} ms  ${String(Math.round((N * 1000) / ms)).padStart(8)} msg/s   ${ratio.toFixed(2)}x   ${cpuPerMessage(runs)}${verdict}`,
    )
  }
  return {ratio: base / medianMs(samples.mailroom), fastest}
}

async function memoryCase(broker) {
  const target = await freshTarget(broker)
  const pub = await mailroom([
    'publish',
    target.mailroom,
    'm'.repeat(20),
    '--count',
    String(MEM_N),
    ...(target.key ? ['--key', target.key] : []),
  ])
  let tailTarget = target
  if (broker === 'rabbitmq') {
    // A non-destructive read to the end needs a stream queue; fill one with the bare loop.
    tailTarget = await filledTarget('rabbitmq', MEM_N)
  }
  const tail = await mailroom(['tail', tailTarget.mailroom, '--until-end', '-o', 'ndjson'], {stdoutFile: OUT})
  const count = lines(OUT)
  console.log(
    `  ${broker.padEnd(9)} publish ${MEM_N}: peak RSS ${pub.rssMb?.toFixed(0) ?? '?'} MB (${(pub.ms / 1000).toFixed(1)} s)   tail ${count}: peak RSS ${tail.rssMb?.toFixed(0) ?? '?'} MB (${(tail.ms / 1000).toFixed(1)} s)${Math.max(pub.rssMb ?? 0, tail.rssMb ?? 0) < 200 ? '  OK' : '  OVER 200 MB'}`,
  )
}

await admin.connect()
amqpConn = await amqp.connect(AMQP_URL)
natsConn = await natsConnect({servers: NATS})
try {
  console.log(
    `mailroom messaging benchmark (whole processes; bare loops via node ${SELF.split('/').slice(-2).join('/')} --bare)`,
  )
  if (!hasKcat) console.log('kcat not found: the kcat columns are skipped (Debian: apt-get install -y kcat)')
  const ratios = {}
  for (const broker of BROKERS) {
    for (const mode of MODES) {
      if (CASES.includes('publish')) {
        const publish = report(`${broker}: publish, confirmed [${mode}]`, await publishCase(broker, mode), 0.9)
        ratios[`${broker} publish (${mode}) vs ${publish.fastest}`] = publish.ratio
      }
      if (!CASES.includes('tail')) continue
      const tail = await tailCase(broker, mode)
      ratios[`${broker} tail (${mode})`] = report(`${broker}: tail -o ndjson to a file [${mode}]`, tail, 0.8).ratio
      ratios[`${broker} tail vs JSON loop (${mode})`] = medianMs(tail['bare, JSON']) / medianMs(tail.mailroom)
    }
  }
  if (BROKERS.includes('kafka') && CASES.includes('decode')) {
    const {schemaDecodeBench} = await import('./schema-decode.mjs')
    ratios['kafka tail decoded / raw (throughput)'] = 1 / (await schemaDecodeBench())
  }
  if (MODES.length > 0) console.log('\nratios (mailroom / bare loop throughput):')
  for (const [name, r] of Object.entries(ratios)) console.log(`  ${name.padEnd(44)} ${r.toFixed(2)}x`)
  if (BROKERS.includes('kafka') && hasKcat && process.env.PHASES !== '0') {
    const {kafkaPhases} = await import('./kafka-phases.mjs')
    await kafkaPhases()
  }
  if (MEM_N > 0) {
    console.log(
      `\nmemory: ${MEM_N} messages of 20 B, peak RSS of the mailroom process (${TIME ? '/usr/bin/time -f %M' : 'unavailable'}; target < 200 MB)`,
    )
    for (const broker of BROKERS) await memoryCase(broker)
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  rmSync(OUT, {force: true})
  await admin.disconnect()
  await amqpConn.close()
  await natsConn.close()
}
