// The dashboard in a real terminal (tmux, 120x40) on the local brokers with the demo (`mailroom demo up`) and 100
// targets of its own, this build side by side with a previous one, against the targets of issue 18:
//  - start -> first frame (the brokers row) < 1.0 s, and -> first full overview < 2.5 s (every broker answered,
//    every target listed, every DLQ on screen with its reasons); median of RUNS starts, the builds alternating;
//  - idle CPU at the default interval (utime + stime from /proc) <= 5% of one core, both builds running at once
//    (the same load on both);
//  - a key's effect on screen < 50 ms: from tmux's send-keys to the dashboard's next terminal write (a tmux
//    control-mode client timestamps every write), median and p90 of KEYS keys, the builds alternating;
//  - no key lost: bursts of keys written at once (typing into the filter prompt, Esc then a key, keys after a
//    screen change, a run of j), each checked on screen.
// Run `npm run build` first. The previous build: BASELINE_DIST=<a copy of main's dist/> (its parent's bin/run.js,
// package.json and oclif.manifest.json are used when present, else this checkout's), e.g.
//   git -C /work/main worktree ... or: mkdir /tmp/prev && cp -r ../main/{bin,dist,package.json,oclif.manifest.json} /tmp/prev
//   BASELINE_DIST=/tmp/prev/dist node bench/dashboard.mjs
// Targets: QUEUES RabbitMQ queues (5 messages each) and TOPICS Kafka topics named bench.dash.<id>.*, removed at
// the end; the demo is created (and removed at the end) unless it is already there.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, symlinkSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {createAdapter, topologyDriver} from '../dist/adapters/registry.js'
import {resolveContext} from '../dist/core/config/resolve.js'
import {publishAll} from '../dist/core/services/publish.js'
import {procStat} from './proc-stat.mjs'
import {TmuxPane} from './tmux-pane.mjs'

const QUEUES = Number(process.env.QUEUES ?? 75)
const TOPICS = Number(process.env.TOPICS ?? 25)
const RUNS = Number(process.env.RUNS ?? 5)
const KEYS = Number(process.env.KEYS ?? 20)
const CPU_SECONDS = Number(process.env.CPU_SECONDS ?? 30)
const root = fileURLToPath(new URL('..', import.meta.url))
const id = `${Date.now().toString(36)}${process.pid}`
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.9) - 1)]
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

const rabbit = {
  exchanges: [],
  bindings: [],
  queues: Array.from({length: QUEUES}, (_, i) => ({name: `bench.dash.${id}.q${String(i).padStart(3, '0')}`})),
}
const kafka = {
  topics: Array.from({length: TOPICS}, (_, i) => ({
    name: `bench.dash.${id}.t${String(i).padStart(3, '0')}`,
    partitions: 1,
  })),
  groups: [],
}

/** The builds compared: this checkout and, with BASELINE_DIST, the previous one. */
function builds() {
  const list = [{name: 'this build', bin: join(root, 'bin', 'run.js')}]
  if (process.env.BASELINE_DIST) list.push({name: 'previous', bin: baselineBin(resolve(process.env.BASELINE_DIST))})
  return list
}

function baselineBin(dist) {
  const parent = dirname(dist)
  if (existsSync(join(parent, 'bin', 'run.js')) && existsSync(join(parent, 'oclif.manifest.json')))
    return join(parent, 'bin', 'run.js')
  const home = mkdtempSync(join(tmpdir(), 'mailroom-baseline-'))
  for (const [name, from] of [
    ['dist', dist],
    ['bin', join(root, 'bin')],
    ['package.json', join(root, 'package.json')],
    ['oclif.manifest.json', join(root, 'oclif.manifest.json')],
    ['node_modules', join(root, 'node_modules')],
  ]) {
    symlinkSync(from, join(home, name))
  }
  return join(home, 'bin', 'run.js')
}

async function setUp(settings) {
  await (await topologyDriver('rabbitmq', settings)).apply(rabbit)
  const adapter = await createAdapter('rabbitmq', settings)
  await adapter.connect()
  for (const q of rabbit.queues) {
    await publishAll(
      adapter,
      q.name,
      (async function* () {
        for (let i = 0; i < 5; i++) yield {v: 1, headers: [], body: {utf8: `message ${i}`}}
      })(),
    )
  }
  await adapter.close()
  // On a loaded broker a topic can be created before its leader is known: one more try.
  const topics = await topologyDriver('kafka', settings)
  await topics.apply(kafka).catch(() => sleep(3000).then(() => topics.apply(kafka)))
}

async function tearDown(settings) {
  await (
    await topologyDriver('rabbitmq', settings)
  )
    .remove(rabbit)
    .catch((e) => console.error(`rabbitmq clean-up: ${e.message}`))
  await (
    await topologyDriver('kafka', settings)
  )
    .remove(kafka)
    .catch((e) => console.error(`kafka clean-up: ${e.message}`))
}

const cli = (args, env) =>
  execFileSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], {
    encoding: 'utf8',
    env: {...process.env, ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })

function demoTargets(env) {
  const {targets} = JSON.parse(cli(['targets', 'list', '--json'], env)).result
  return targets.filter((t) => /^(demo\.|DEMO_)/.test(t.name)).length
}

const BROKERS_ROW = (s) => /rabbitmq[\s\S]*kafka[\s\S]*nats/.test(s.split('\n')[1] ?? '')

/** Every broker answered, the targets listed, every DLQ on screen with its reasons (none still being counted). */
function fullOverview(expectedTargets) {
  return (s) => {
    const lines = s.split('\n')
    const brokers = lines[1] ?? ''
    if (brokers.includes('◌') || (brokers.match(/●/g) ?? []).length < 3) return false
    if (Number(s.match(/Targets and consumers \((\d+)\)/)?.[1] ?? 0) < expectedTargets) return false
    const dlqPane = s.slice(s.indexOf('Dead-letter queues ('))
    // A DLQ whose reasons are still being counted shows … in its reasons column.
    return Number(dlqPane.match(/Dead-letter queues \((\d+)\)/)?.[1] ?? 0) >= 3 && !/ …\s*$/m.test(dlqPane)
  }
}

function dashboardCommand(build, env, interval) {
  return `env ${Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')} ${process.execPath} ${build.bin} dashboard${interval ? ` --interval ${interval}` : ''}`
}

async function startUp(build, env, expectedTargets, run) {
  const pane = await TmuxPane.open(
    `mailroom-bench-dash-${id}-${run}-${build.name.replace(/\W/g, '')}`,
    dashboardCommand(build, env),
  )
  try {
    const started = pane.go()
    const firstFrame = (await pane.waitFor(BROKERS_ROW, 15_000, 10)) - started
    // CPU seconds the process used up to then (read a few ms late): on a loaded machine, what the wall time hides.
    const pid = pane.pid()
    const firstFrameCpu = procStat(pid).cpuMs
    const full = (await pane.waitFor(fullOverview(expectedTargets), 60_000)) - started
    const fullCpu = procStat(pid).cpuMs
    await pane.keys('q')
    await sleep(300)
    return {firstFrame, full, firstFrameCpu, fullCpu}
  } finally {
    pane.close()
  }
}

/** Bursts of keys written at once; each returns what it expected and whether the screen shows it. */
async function keyBursts(pane) {
  const results = []
  const check = async (name, sent, test, settleMs = 8000) => {
    const ok = await pane.waitFor(test, settleMs).then(
      () => true,
      () => false,
    )
    results.push({name, sent, ok, screen: ok ? '' : (await pane.screen()).split('\n').slice(0, 3).join(' | ')})
  }
  const typed = 'bench.dash.filter.typed.fast.0123456789'
  await pane.burst([pane.keysCommand('/'), ...[...typed].map((ch) => pane.textCommand(ch)), pane.keysCommand('Enter')])
  await check(
    'the filter prompt: / + 40 characters + Enter, one key per write',
    typed.length + 2,
    (s) => s.includes(`filter: ${typed}`) && !s.includes('Enter keeps'),
  )
  await pane.keys('Escape')
  await pane.waitFor((s) => !s.includes('filter:'), 5000).catch(() => undefined)

  await pane.burst([
    pane.keysCommand('/'),
    pane.textCommand('abc'),
    pane.keysCommand('Escape', '/'),
    pane.textCommand('xyz'),
    pane.keysCommand('Enter'),
  ])
  await check(
    'Esc then a key: / abc Esc / xyz Enter',
    10,
    (s) => /filter: xyz(?!\S)/.test(s) && !s.includes('Enter keeps'),
  )
  await pane.keys('Escape')
  await pane.waitFor((s) => !s.includes('filter:'), 5000).catch(() => undefined)

  await pane.burst([pane.keysCommand('g', 'Enter', 'Escape', '?')])
  await check('keys after a screen change: g Enter Esc ?', 4, (s) => s.includes('Everywhere') && s.includes('overview'))
  await pane.keys('?')
  await pane.waitFor((s) => !s.includes('Everywhere'), 5000).catch(() => undefined)

  // The 11th row (a consumer row opens its target): below the title, brokers row, pane title and column header.
  // A build that lost keys above may have been left on another screen: back to the overview first.
  const onOverview = (s) => s.includes('TARGET / CONSUMER') && !s.includes('Everywhere')
  for (let tries = 0; tries < 3 && !onOverview(await pane.screen()); tries++) {
    await pane.keys('Escape')
    await pane.waitFor(onOverview, 3000).catch(() => undefined)
  }
  const overview = await pane.waitFor(onOverview, 5000).then(
    () => pane.screen(),
    () => '',
  )
  const rows = overview
    .split('\n')
    .slice(4, 15)
    .map((r) => r.trim())
  const expected =
    rows
      .slice(0, 11)
      .reverse()
      .find((r) => r && !r.startsWith('└'))
      ?.split(/\s+/)[0] || '?'
  await pane.burst([pane.keysCommand('g', ...Array(10).fill('j'), 'Enter')])
  await check(`a run of j: g + 10 j + Enter opens the 11th row (${expected})`, 12, (s) => {
    const title = s.split('\n')[0]
    return expected !== '?' && title.includes('› target ') && expected.split('…').every((part) => title.includes(part))
  })
  await pane.keys('Escape')
  await sleep(500)
  return results
}

async function idleAndKeys(list, env, expectedTargets) {
  const panes = []
  for (const build of list)
    panes.push({
      build,
      pane: await TmuxPane.open(
        `mailroom-bench-dash-${id}-idle-${build.name.replace(/\W/g, '')}`,
        dashboardCommand(build, env),
      ),
    })
  try {
    for (const {pane} of panes) pane.go()
    for (const {pane} of panes) await pane.waitFor(fullOverview(expectedTargets), 60_000)
    await sleep(8000) // the first refreshes, DLQ discovery and reason counts
    const pids = panes.map(({pane}) => pane.pid())
    const before = pids.map((pid) => procStat(pid).cpuMs)
    const t0 = performance.now()
    await sleep(CPU_SECONDS * 1000)
    const seconds = (performance.now() - t0) / 1000
    const cpu = pids.map((pid, i) => ((procStat(pid).cpuMs - before[i]) / 1000 / seconds) * 100)
    const shown = (await panes[0].pane.screen()).match(/Targets and consumers \((\d+)\)/)?.[1]

    const latencies = panes.map(() => [])
    for (let k = 0; k < KEYS; k++) {
      for (const [i, {pane}] of panes.entries()) {
        latencies[i].push(await pane.keyLatency(k % 2 ? 'k' : 'j'))
        await sleep(150 + Math.random() * 200)
      }
    }
    const bursts = []
    for (const {pane} of panes) bursts.push(await keyBursts(pane))
    return {
      seconds,
      shown,
      rows: panes.map(({build}, i) => ({
        build,
        cpu: cpu[i],
        latencies: latencies[i].filter((x) => !Number.isNaN(x)),
        bursts: bursts[i],
      })),
    }
  } finally {
    for (const {pane} of panes) {
      await pane.keys('q').catch(() => undefined)
      pane.close()
    }
  }
}

const verdict = (value, target) => (value <= target ? 'OK  ' : 'OVER')
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`

const list = builds()
const context = await resolveContext({})
const env = {
  XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'mailroom-bench-')),
  XDG_STATE_HOME: mkdtempSync(join(tmpdir(), 'mailroom-bench-state-')),
}
console.log(`setting up ${QUEUES} RabbitMQ queues and ${TOPICS} Kafka topics (bench.dash.${id}.*)…`)
let demoMadeHere = false
try {
  await setUp(context.settings)
  if (demoTargets(env) === 0) {
    console.log('mailroom demo up…')
    cli(['demo', 'up'], env)
    demoMadeHere = true
  }
  const expectedTargets = QUEUES + TOPICS + demoTargets(env)
  console.log(
    `machine: ${cpus().length} cores, load average ${load()} at the start; builds: ${list.map((b) => `${b.name} (${b.bin})`).join(', ')}`,
  )
  const starts = list.map(() => [])
  for (let run = 0; run < RUNS; run++) {
    for (const [i, build] of list.entries()) starts[i].push(await startUp(build, env, expectedTargets, run))
  }
  const idle = await idleAndKeys(list, env, expectedTargets)
  console.log(
    `load average ${load()} at the end; targets on screen ${idle.shown} (${QUEUES + TOPICS} of the bench, the demo's, and what else is on the brokers)\n`,
  )
  const columns = list.map((b) => b.name.padStart(14)).join('')
  const ratio = (values) =>
    values.length === 2 && values[1] > 0 ? `   ${(values[0] / values[1]).toFixed(2)}x previous` : ''
  const line = (label, values, format, target, targetText) =>
    console.log(
      `${label.padEnd(40)}${values.map((v) => format(v).padStart(14)).join('')}   target ${targetText.padEnd(9)} ${verdict(values[0], target)}${ratio(values)}`,
    )
  console.log(`${''.padEnd(40)}${columns}`)
  line(
    `start -> first frame (median of ${RUNS})`,
    starts.map((s) => median(s.map((r) => r.firstFrame))),
    seconds,
    1000,
    '< 1.0 s',
  )
  line(
    '  CPU time used by then (median)',
    starts.map((s) => median(s.map((r) => r.firstFrameCpu))),
    seconds,
    1000,
    '(same)',
  )
  line(
    `start -> full overview (median of ${RUNS})`,
    starts.map((s) => median(s.map((r) => r.full))),
    seconds,
    2500,
    '< 2.5 s',
  )
  line(
    '  CPU time used by then (median)',
    starts.map((s) => median(s.map((r) => r.fullCpu))),
    seconds,
    2500,
    '(same)',
  )
  line(
    `idle CPU, default interval (${idle.seconds.toFixed(0)} s)`,
    idle.rows.map((r) => r.cpu),
    (v) => `${v.toFixed(1)}%`,
    5,
    '<= 5%',
  )
  line(
    `key -> effect on screen, median (${KEYS})`,
    idle.rows.map((r) => median(r.latencies)),
    (v) => `${v.toFixed(0)} ms`,
    50,
    '< 50 ms',
  )
  line(
    'key -> effect on screen, p90',
    idle.rows.map((r) => p90(r.latencies)),
    (v) => `${v.toFixed(0)} ms`,
    50,
    '< 50 ms',
  )
  const lost = idle.rows.map((r) => r.bursts.filter((b) => !b.ok).length)
  line(`key bursts with a key lost (of ${idle.rows[0].bursts.length})`, lost, String, 0, '0')
  for (const [i, row] of idle.rows.entries()) {
    for (const b of row.bursts)
      console.log(`  ${list[i].name}: ${b.ok ? 'ok  ' : 'LOST'} ${b.name}${b.ok ? '' : `; screen: ${b.screen}`}`)
  }
  console.log(
    `first frame runs (s): ${starts.map((s, i) => `${list[i].name} ${s.map((r) => (r.firstFrame / 1000).toFixed(2)).join(' ')}`).join('; ')}`,
  )
  console.log(
    `full overview runs (s): ${starts.map((s, i) => `${list[i].name} ${s.map((r) => (r.full / 1000).toFixed(2)).join(' ')}`).join('; ')}`,
  )
} finally {
  if (demoMadeHere) cli(['demo', 'down'], env)
  await tearDown(context.settings)
}
