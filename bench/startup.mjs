// Cold start, side by side with `node -e 0` (median of RUNS, interleaved so machine noise hits every row alike):
// - no broker: `mailroom --version` (target <= 1.15x node -e 0), the help fast paths, a full oclif boot;
// - what users wait for: `ping --broker nats`, `lag` of one local Kafka group, the first line of `tail --from
//   earliest` (NATS and Kafka). Target: within 2x `node -e 0` plus the broker round trips the command needs, which
//   are measured as a bare client doing the same requests inside an already started process (nats.js connect + rtt;
//   kafkajs admin connect + describe group + committed and end offsets; nats.js ordered consumer to its first
//   message), or, for Kafka's first message, kcat as a whole process (kcat -C -o beginning -c 1).
// CPU: user + system seconds of the process (time(1); for the tail rows /proc/<pid>/stat at the first line).
// Needs `npm run build`; the broker rows need the local brokers (BROKERS=0 skips them). Run: node bench/startup.mjs
import {spawn, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {procStat} from './proc-stat.mjs'

const RUNS = Number(process.env.RUNS ?? 21)
const BROKER_RUNS = Number(process.env.BROKER_RUNS ?? 9)
const WITH_BROKERS = process.env.BROKERS !== '0'
const SELF = fileURLToPath(import.meta.url)
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
const KAFKA = '127.0.0.1:9092'
const NATS = '127.0.0.1:4222'

if (process.argv[2] === '--round-trips') {
  process.stdout.write(JSON.stringify({ms: await roundTrips(process.argv[3], process.argv[4])}))
  process.exit(0)
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Wall ms from spawn to exit, and CPU ms (user + system) from time(1). */
function timeOnce([cmd, args], env = process.env) {
  const start = process.hrtime.bigint()
  const r = spawnSync(TIME ?? cmd, TIME ? ['-f', '%U %S', cmd, ...args] : args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  if (!TIME) return {ms}
  const [user, system] = r.stderr.toString().trim().split('\n').at(-1).split(' ').map(Number)
  return {ms, cpuMs: (user + system) * 1000}
}

/** Wall ms from spawn to the first line on stdout, and the process's CPU ms until then; then the process is ended. */
function firstLine([cmd, args]) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (d) => {
      if (!d.includes(10)) return
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      const {cpuMs} = procStat(child.pid)
      child.kill()
      resolve({ms, cpuMs})
    })
    child.on('close', (code) => reject(new Error(`${cmd} ${args.join(' ')} ended (${code}) before a line: ${stderr}`)))
  })
}

const node = (...args) => [process.execPath, args]
const mailroom = (...args) => [process.execPath, [bin, ...args]]

const quickCases = {
  'node -e 0': () => timeOnce(node('-e', '0')),
  'mailroom --version': () => timeOnce(mailroom('--version')),
  'mailroom ping --help': () => timeOnce(mailroom('ping', '--help')),
  'mailroom help ping': () => timeOnce(mailroom('help', 'ping')),
  'mailroom __complete (one Tab press)': () => timeOnce(mailroom('__complete', 'bash', 'dlq', 're')),
  'mailroom targets list --help (oclif boot)': () =>
    timeOnce(mailroom('targets', 'list', '--help'), {...process.env, OCLIF_COLUMNS: '60'}),
}

async function sample(cases, runs) {
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
  for (let i = 0; i < runs; i++) for (const [name, run] of Object.entries(cases)) samples[name].push(await run())
  return samples
}

function row(name, runs, base, note = '') {
  const cpu =
    runs[0].cpuMs === undefined
      ? ''
      : `   CPU ${median(runs.map((r) => r.cpuMs))
          .toFixed(0)
          .padStart(4)} ms`
  const ms = median(runs.map((r) => r.ms))
  console.log(`${name.padEnd(48)} ${ms.toFixed(1).padStart(7)} ms   ${(ms / base).toFixed(2)}x${cpu}${note}`)
}

const quick = await sample(quickCases, RUNS)
const base = median(quick['node -e 0'].map((r) => r.ms))
console.log(`start-up, median of ${RUNS} runs (target: mailroom --version <= 1.15x node -e 0)`)
for (const [name, runs] of Object.entries(quick)) {
  const verdict =
    name === 'mailroom --version' ? (median(runs.map((r) => r.ms)) <= 1.15 * base ? '  OK' : '  ABOVE TARGET') : ''
  row(name, runs, base, verdict)
}
if (WITH_BROKERS) await brokerRows()

async function brokerRows() {
  const fixture = await createFixture()
  try {
    const cases = {
      'node -e 0': () => timeOnce(node('-e', '0')),
      'mailroom ping --broker nats': () => timeOnce(mailroom('ping', '--broker', 'nats')),
      'round trips: nats.js connect + rtt': () => roundTripsChild('ping-nats'),
      [`mailroom lag kafka:<group>`]: () => timeOnce(mailroom('lag', `kafka:${fixture.group}`)),
      'round trips: kafkajs group + offsets': () => roundTripsChild('lag-kafka', fixture.group),
      'mailroom tail nats --from earliest, 1st line': () =>
        firstLine(mailroom('tail', `nats:${fixture.stream}`, '--from', 'earliest')),
      'round trips: nats.js ordered consumer, 1st msg': () => roundTripsChild('tail-nats', fixture.stream),
      'mailroom tail kafka --from earliest, 1st line': () =>
        firstLine(mailroom('tail', `kafka:${fixture.topic}`, '--from', 'earliest')),
      ...(hasKcat()
        ? {
            'kcat -C -o beginning -c 1 (whole process)': () =>
              timeOnce(['kcat', ['-C', '-b', KAFKA, '-t', fixture.topic, '-o', 'beginning', '-c', '1', '-q']]),
          }
        : {}),
    }
    const samples = await sample(cases, BROKER_RUNS)
    const nodeMs = median(samples['node -e 0'].map((r) => r.ms))
    console.log(
      `\nwhat users wait for, median of ${BROKER_RUNS} runs (target: <= 2x node -e 0 + the round trips the command needs)`,
    )
    const targets = {
      'mailroom ping --broker nats': 'round trips: nats.js connect + rtt',
      'mailroom lag kafka:<group>': 'round trips: kafkajs group + offsets',
      'mailroom tail nats --from earliest, 1st line': 'round trips: nats.js ordered consumer, 1st msg',
      'mailroom tail kafka --from earliest, 1st line': 'kcat -C -o beginning -c 1 (whole process)',
    }
    for (const [name, runs] of Object.entries(samples)) {
      const against = targets[name] && samples[targets[name]]
      const bound = against ? 2 * nodeMs + median(against.map((r) => r.ms)) : undefined
      const verdict =
        bound === undefined
          ? ''
          : `   target ${bound.toFixed(0)} ms${median(runs.map((r) => r.ms)) <= bound ? '  OK' : '  ABOVE TARGET'}`
      row(name, runs, nodeMs, verdict)
    }
  } finally {
    await fixture.remove()
  }
}

function hasKcat() {
  return spawnSync('kcat', ['-V']).status === 0
}

function roundTripsChild(what, name = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, '--round-trips', what, name], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`round trips ${what} exited ${code}`)),
    )
  })
}

/** The bare client's requests for one row, timed inside a process that has already loaded the client. */
async function roundTrips(what, name) {
  if (what === 'lag-kafka') {
    const {Kafka, logLevel} = (await import('kafkajs')).default
    const started = performance.now()
    const admin = new Kafka({brokers: [KAFKA], logLevel: logLevel.NOTHING}).admin()
    await admin.connect()
    await admin.describeGroups([name])
    const [committed] = await admin.fetchOffsets({groupId: name})
    await admin.fetchTopicOffsets(committed.topic)
    await admin.disconnect()
    return performance.now() - started
  }
  const {connect} = await import('nats')
  const started = performance.now()
  const nc = await connect({servers: NATS})
  if (what === 'ping-nats') await nc.rtt()
  else {
    const consumer = await nc.jetstream().consumers.get(name)
    const messages = await consumer.consume()
    for await (const m of messages) {
      m.ack()
      break
    }
  }
  await nc.close()
  return performance.now() - started
}

async function createFixture() {
  const suffix = `${process.pid}-${Date.now()}`
  const stream = `startbench_${suffix.replace('-', '_')}`
  const topic = `startbench-${suffix}`
  const group = `startbench-g-${suffix}`
  const {connect} = await import('nats')
  const nc = await connect({servers: NATS})
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({name: stream, subjects: [`${stream}.>`]})
  for (let i = 0; i < 10; i++) await nc.jetstream().publish(`${stream}.m`, new TextEncoder().encode(`message ${i}`))
  const {Kafka, logLevel} = (await import('kafkajs')).default
  const kafka = new Kafka({brokers: [KAFKA], logLevel: logLevel.NOTHING})
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({length: 10}, (_, i) => ({key: 'k', value: `message ${i}`})),
  })
  await producer.disconnect()
  await admin.setOffsets({groupId: group, topic, partitions: [{partition: 0, offset: '4'}]})
  return {
    stream,
    topic,
    group,
    async remove() {
      await jsm.streams.delete(stream).catch(() => {})
      await nc.close()
      await admin.deleteGroups([group]).catch(() => {})
      await admin.deleteTopics({topics: [topic]}).catch(() => {})
      await admin.disconnect()
    },
  }
}
