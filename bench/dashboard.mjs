// The dashboard at a 1 s refresh with 200 targets, in a real terminal (tmux, 80x24), on the local brokers:
//  - time from the command to the first frame (target < 1.5 s), and to the first frame with the targets listed;
//  - CPU of the dashboard process over 30 s (utime + stime from /proc/<pid>/stat; target < 10% of one core).
// Targets: 150 RabbitMQ queues (each with messages: each is also a lag row) and 50 Kafka topics, named
// bench.dash.<id>.*, removed at the end. Run `npm run build` first. BROKERS=rabbitmq,kafka by default.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {createAdapter, topologyDriver} from '../dist/adapters/registry.js'
import {resolveContext} from '../dist/core/config/resolve.js'
import {publishAll} from '../dist/core/services/publish.js'
import {procStat} from './proc-stat.mjs'

const QUEUES = Number(process.env.QUEUES ?? 150)
const TOPICS = Number(process.env.TOPICS ?? 50)
const CPU_SECONDS = Number(process.env.CPU_SECONDS ?? 30)
const BROKERS = (process.env.BROKERS ?? 'rabbitmq,kafka').split(',')
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const id = `${Date.now().toString(36)}${process.pid}`
const session = `mailroom-bench-dashboard-${id}`

const rabbit = {exchanges: [], bindings: [], queues: Array.from({length: QUEUES}, (_, i) => ({name: `bench.dash.${id}.q${String(i).padStart(3, '0')}`}))}
const kafka = {topics: Array.from({length: TOPICS}, (_, i) => ({name: `bench.dash.${id}.t${String(i).padStart(3, '0')}`, partitions: 1})), groups: []}

const tmux = (...args) => execFileSync('tmux', args, {encoding: 'utf8'})
const screen = () => tmux('capture-pane', '-p', '-t', session)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function setUp(settings) {
  if (BROKERS.includes('rabbitmq')) {
    await (await topologyDriver('rabbitmq', settings)).apply(rabbit)
    const adapter = await createAdapter('rabbitmq', settings)
    await adapter.connect()
    for (const q of rabbit.queues) {
      await publishAll(adapter, q.name, (async function* () {
        for (let i = 0; i < 5; i++) yield {v: 1, headers: [], body: {utf8: `message ${i}`}}
      })())
    }
    await adapter.close()
  }
  if (BROKERS.includes('kafka')) await (await topologyDriver('kafka', settings)).apply(kafka)
}

async function tearDown(settings) {
  if (BROKERS.includes('rabbitmq')) await (await topologyDriver('rabbitmq', settings)).remove(rabbit)
  if (BROKERS.includes('kafka')) await (await topologyDriver('kafka', settings)).remove(kafka)
}

async function waitForScreen(test, timeoutMs) {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const text = screen()
    if (test(text)) return performance.now()
    await sleep(25) // each poll spawns tmux: polling harder would slow the start it measures
  }
  throw new Error(`the dashboard never showed what was expected; screen:\n${screen()}`)
}

function dashboardPid() {
  const shell = tmux('display', '-p', '-t', session, '#{pane_pid}').trim()
  const children = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', shell], {encoding: 'utf8'})
  const node = children.split('\n').map((l) => l.trim().split(/\s+/)).find(([, comm]) => comm === 'node')
  if (!node) throw new Error('dashboard process not found')
  return Number(node[0])
}

/** The same refresh cadence through DashboardServices in this process, without Ink: what the UI itself adds. */
async function coreServicesCpu(context) {
  const {DashboardServices} = await import('../dist/ui/services.js')
  const adapters = new Map()
  for (const kind of BROKERS) adapters.set(kind, await createAdapter(kind, context.settings))
  const services = new DashboardServices(context, adapters, 3000)
  await Promise.all([services.overview(), services.discoverDlqs(), services.brokerStates()])
  const before = process.cpuUsage()
  const t0 = performance.now()
  for (let n = 1; performance.now() - t0 < CPU_SECONDS * 1000; n++) {
    const started = performance.now()
    await services.overview()
    if (n % 10 === 0) await Promise.all([services.discoverDlqs(), services.brokerStates()])
    await sleep(Math.max(0, 1000 - (performance.now() - started)))
  }
  const used = process.cpuUsage(before)
  for (const adapter of adapters.values()) await adapter.close()
  return ((used.user + used.system) / 1e6 / ((performance.now() - t0) / 1000)) * 100
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
const context = await resolveContext({})
console.log(`setting up ${BROKERS.includes('rabbitmq') ? QUEUES : 0} RabbitMQ queues and ${BROKERS.includes('kafka') ? TOPICS : 0} Kafka topics…`)
await setUp(context.settings)
const env = `XDG_CONFIG_HOME=${mkdtempSync(join(tmpdir(), 'mailroom-bench-'))}`
const brokerFlags = BROKERS.map((b) => `-b ${b}`).join(' ')
try {
  const started = performance.now()
  tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', `env ${env} ${process.execPath} ${bin} dashboard --interval 1s ${brokerFlags}; sleep 5`)
  const firstFrame = await waitForScreen((s) => s.includes('mailroom') && s.includes('q quit'), 10_000)
  const expected = (BROKERS.includes('rabbitmq') ? QUEUES : 0) + (BROKERS.includes('kafka') ? TOPICS : 0)
  const firstData = await waitForScreen((s) => Number(s.match(/Targets and consumers \((\d+)\)/)?.[1] ?? 0) >= expected, 60_000)
  const pid = dashboardPid()
  await sleep(5000) // warm-up: the first refreshes, DLQ discovery
  const before = procStat(pid).cpuMs
  const t0 = performance.now()
  await sleep(CPU_SECONDS * 1000)
  const cpuMs = procStat(pid).cpuMs - before
  const seconds = (performance.now() - t0) / 1000
  const cpuPercent = (cpuMs / 1000 / seconds) * 100
  const shown = screen().match(/Targets and consumers \((\d+)\)/)?.[1]
  const toFirstFrame = (firstFrame - started) / 1000
  const toData = (firstData - started) / 1000
  console.log(`machine: ${(await import('node:os')).cpus().length} cores, load average ${load()} (other work on the machine inflates both figures)`)
  console.log(`targets listed by the dashboard: ${shown} (${BROKERS.join(', ')}; includes what else is on the brokers)`)
  console.log(`command -> first frame:          ${toFirstFrame.toFixed(2)} s   (target < 1.5 s) ${toFirstFrame < 1.5 ? 'OK' : 'OVER'}`)
  console.log(`command -> first frame with data: ${toData.toFixed(2)} s`)
  console.log(`CPU at a 1 s refresh over ${seconds.toFixed(0)} s: ${cpuPercent.toFixed(1)}% of one core   (target < 10%) ${cpuPercent < 10 ? 'OK' : 'OVER'}`)
  tmux('send-keys', '-t', session, 'q')
  await sleep(2000)
  const services = await coreServicesCpu(context)
  console.log(`  of which the core services it calls (lag snapshot + listings, same cadence, no UI): ${services.toFixed(1)}% of one core`)
} finally {
  await sleep(1000)
  try {
    execFileSync('tmux', ['kill-session', '-t', session], {stdio: 'ignore'})
  } catch {
    // ended with the dashboard
  }
  await tearDown(context.settings)
}
