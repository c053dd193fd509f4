// The dashboard end to end in a real terminal (tmux) against the real brokers, on the demo scenario: a new user
// runs `demo up`, finds the RabbitMQ DLQ, sees why its messages died, and replays them to their origin.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {faultOf} from '../../src/core/demo/orders.js'
import {committedOffsets, headerBytes, kafkaRecords, utf8} from '../conformance/kafka-truth.js'
import {BIN, isolatedConfigHome, jsonOf, runCli} from '../helpers/cli.js'

const FIRST_SESSION = `mailroom-dashboard-${process.pid}`
let SESSION = FIRST_SESSION
const stateHome = mkdtempSync(join(tmpdir(), 'mailroom-state-'))
const env = {XDG_CONFIG_HOME: isolatedConfigHome(), XDG_STATE_HOME: stateHome}

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, {encoding: 'utf8'})
}

const screen = () => tmux('capture-pane', '-p', '-t', SESSION)

async function waitForScreen(what: RegExp | string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    last = screen()
    if (typeof what === 'string' ? last.includes(what) : what.test(last)) return last
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  throw new Error(`the screen never showed ${String(what)}; it shows:\n${last}`)
}

/** What the dashboard received (MAILROOM_DEBUG_LOG: stdin chunks, keys, renders) and what this test sent. */
const keyLog = join(stateHome, 'dashboard-keys.log')
const sent: string[] = []

/**
 * Sends one key (tmux key names: Tab, Enter, Escape) once and waits for its effect. A key is never pressed again: if
 * its effect does not show, the failure lists what was sent beside what the dashboard's stdin and key handler got.
 */
async function press(key: string, what: RegExp | string, timeoutMs?: number): Promise<string> {
  if (key) keys(key)
  try {
    return await waitForScreen(what, timeoutMs)
  } catch (error) {
    const received = existsSync(keyLog)
      ? readFileSync(keyLog, 'utf8')
          .split('\n')
          .filter((l) => !l.includes('"render"'))
          .slice(-40)
          .join('\n')
      : '(no key log)'
    throw new Error(
      `${(error as Error).message}\nsent (last 20):\n${sent.slice(-20).join('\n')}\nreceived (last 40):\n${received}`,
    )
  }
}

/** The filter is applied and its prompt closed. */
const FILTER_KEPT = /filter: demo\.orders\.dlq(?![\s\S]*Enter keeps)/

function keys(...names: string[]): void {
  for (const name of names) {
    sent.push(`${new Date().toISOString()} key ${name}`)
    tmux('send-keys', '-t', SESSION, name)
  }
}

/**
 * Keys written at once, one tmux command per key (chained with ';' in one tmux call), as a terminal hands over keys
 * typed while the dashboard was busy: `['/', {text: 'abc'}, 'Enter']` sends /, a, b, c and Enter.
 */
function burst(...items: (string | {text: string})[]): void {
  const names = items.flatMap((item): ({key: string} | {literal: string})[] =>
    typeof item === 'string' ? [{key: item}] : [...item.text].map((ch) => ({literal: ch})),
  )
  sent.push(`${new Date().toISOString()} burst ${names.map((n) => ('key' in n ? n.key : n.literal)).join(' ')}`)
  const args = names.flatMap((n, i) => [
    ...(i ? [';'] : []),
    'send-keys',
    '-t',
    SESSION,
    ...('key' in n ? [n.key] : ['-l', n.literal]),
  ])
  tmux(...args)
}

/** Waits for what a burst should show; on failure, lists what was sent beside what the dashboard received. */
async function burstShows(what: RegExp | string, timeoutMs?: number): Promise<string> {
  return press('', what, timeoutMs)
}

function text(literal: string): void {
  sent.push(`${new Date().toISOString()} text ${literal}`)
  tmux('send-keys', '-t', SESSION, '-l', literal)
}

async function depthOf(ref: string): Promise<number> {
  return jsonOf<{depth: number}>(await runCli(['targets', 'describe', ref, '--json'], {env})).result.depth
}

async function waitForDepth(ref: string, depth: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: number | undefined
  while (Date.now() < deadline) {
    last = await depthOf(ref)
    if (last === depth) return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`${ref} has depth ${last}, not ${depth}`)
}

describe('mailroom dashboard (tmux, real brokers, demo scenario)', () => {
  beforeAll(async () => {
    const up = await runCli(['demo', 'up'], {env, timeoutMs: 120_000})
    expect(up.code, up.stderr).toBe(0)
  }, 150_000)

  afterAll(async () => {
    for (const session of [FIRST_SESSION, `${FIRST_SESSION}-keys`]) {
      try {
        tmux('kill-session', '-t', session)
      } catch {
        // already ended
      }
    }
    await runCli(['demo', 'down'], {env, timeoutMs: 60_000})
  }, 90_000)

  test('without a terminal it refuses (exit 2) and points to lag --watch and tail', async () => {
    const r = await runCli(['dashboard'], {env})
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('needs an interactive terminal')
    expect(r.stderr).toContain('mailroom lag --watch')
    expect(r.stderr).toContain('mailroom tail')
  })

  test('demo up made real dead letters and lag on all three brokers', async () => {
    const dlqs = jsonOf<{dlqs: {broker: string; name: string; depth: number; origins: string[]}[]}>(
      await runCli(['dlq', 'list', '--json'], {env}),
    ).result.dlqs
    const demo = Object.fromEntries(dlqs.filter((d) => /demo/i.test(d.name)).map((d) => [`${d.broker}:${d.name}`, d]))
    expect(demo['rabbitmq:demo.orders.dlq']).toMatchObject({depth: 12, origins: ['demo.orders', 'demo.payments']})
    // The DLT holds exactly the unparseable records that demo.billing handled (below its committed offsets), as
    // Kafka's own Java client reads topic, DLT and commits; mailroom's DLQ listing shows that depth.
    const [events, committed] = await Promise.all([
      kafkaRecords('demo.orders.events', 'demo.orders.events.DLT'),
      committedOffsets('demo.billing', 'demo.orders.events'),
    ])
    const handledFaulty = events
      .get('demo.orders.events')!
      .filter(
        (r) =>
          Number(r.offset) < (committed[String(r.partition)] ?? 0) && faultOf(utf8(r.value) ?? '') === 'malformed-json',
      )
    const dlt = events.get('demo.orders.events.DLT')!
    expect(handledFaulty.length).toBeGreaterThan(0)
    expect(
      dlt.map((r) => `${r.partition}/${headerBytes(r, 'kafka_dlt-original-offset')!.readBigInt64BE()}`).sort(),
    ).toEqual(handledFaulty.map((r) => `${r.partition}/${r.offset}`).sort())
    expect(demo['kafka:demo.orders.events.DLT']).toMatchObject({depth: dlt.length})
    expect(demo['nats:DEMO_ORDERS_DLQ']).toMatchObject({depth: 4})
    const inspect = jsonOf(await runCli(['dlq', 'inspect', 'kafka:demo.orders.events.DLT', '--json'], {env})).result
    expect(JSON.stringify(inspect)).toContain('demo.orders.events')
    const lag = jsonOf<{rows: {consumer: string; lag: number}[]}>(
      await runCli(['lag', 'kafka:demo.billing', '--json'], {env}),
    ).result.rows
    expect(lag).toEqual([expect.objectContaining({consumer: 'demo.billing', lag: 150})])
  })

  test('find the RabbitMQ DLQ, see why its messages died, replay them to their origin: the DLQ empties', async () => {
    // CI=true as in a CI job: Ink would render nothing live with it, the dashboard must not.
    const command = `env MAILROOM_DEBUG_LOG=${keyLog} CI=true XDG_CONFIG_HOME=${env.XDG_CONFIG_HOME} XDG_STATE_HOME=${stateHome} NO_COLOR=1 ${process.execPath} ${BIN} dashboard --interval 1s; echo "DASHBOARD-EXIT=$?"; sleep 30`
    tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', command)

    const overview = await waitForScreen(/● rabbitmq .*● kafka .*● nats/, 30_000)
    // At 80x24 the whole frame fits: title on the first line, the key hints at the bottom.
    expect(overview.split('\n')[0]).toMatch(/^mailroom local brokers › overview/)
    expect(overview).toContain('? help · q quit')
    await waitForScreen('Dead-letter queues (')

    // Other DLQs may exist on shared brokers: Tab to the DLQ pane and filter to the demo's.
    // Tab and / in one write, as the terminal hands over keys typed while the dashboard was busy: both take effect.
    sent.push(`${new Date().toISOString()} keys Tab /`)
    tmux('send-keys', '-t', SESSION, 'Tab', '/')
    await waitForScreen(/▸ Dead-letter queues[\s\S]*Enter keeps/)
    text('demo.orders.dlq')
    await waitForScreen('/demo.orders.dlq')
    await press('Enter', FILTER_KEPT)
    await waitForScreen('Dead-letter queues (1)')
    // The DLQ with its counts by reason, made by the broker itself (rejected, delivery_limit).
    await waitForScreen(/rabbitmq:demo\.orders\.dlq\s+12 rejected 10 · delivery_limit 2/, 40_000)

    // The DLQ view, grouped by origin and reason.
    const view = await press('Enter', '12 dead letter(s)')
    expect(view).toMatch(/rabbitmq:demo\.orders\s+rejected\s+10/)
    expect(view).toMatch(/rabbitmq:demo\.payments\s+delivery_limit\s+2/)

    // Dry run, then the typed confirmation, then the replay.
    const plan = await press('r', 'would replay 12 of 12')
    expect(plan).toMatch(/10 → rabbitmq:demo\.orders/)
    expect(plan).toMatch(/2 → rabbitmq:demo\.payments/)
    await press('Enter', 'Type "demo.orders.dlq" to confirm')
    text('demo.orders.dlq')
    await waitForScreen('to confirm (Esc cancels): demo.orders.dlq')
    await press('Enter', /Esc stops safely|replayed \d+ of/)
    const done = await waitForScreen('replayed 12 of 12 read', 30_000)
    expect(done).toContain('failed 0')
    await press('Enter', '0 dead letter(s)')

    // The broker agrees: the DLQ is empty and the messages are back where they died.
    await waitForDepth('rabbitmq:demo.orders.dlq', 0)
    await waitForDepth('rabbitmq:demo.orders', 18 + 10)
    await waitForDepth('rabbitmq:demo.payments', 2)
    const audit = readFileSync(join(stateHome, 'mailroom', 'audit.log'), 'utf8')
    expect(audit).toMatch(/"command":"dlq replay".*"target":"rabbitmq:demo\.orders\.dlq".*"replayed":12/)

    // Back to the overview and its filter in one burst, right after the replay (where keys used to be lost): Esc
    // closes the DLQ view, and the keys after it, one per write, go to the overview's filter prompt.
    burst('Escape', '/', {text: 'demo.orders.dlq'}, 'Enter')
    await burstShows(FILTER_KEPT)
    await waitForScreen('Dead-letter queues (1)')
    await waitForScreen(/rabbitmq:demo\.orders\.dlq\s+0/, 30_000)
    await press('q', 'DASHBOARD-EXIT=0')
  }, 180_000)

  test('keys typed faster than the dashboard draws: every key takes effect, in order', async () => {
    const command = `env MAILROOM_DEBUG_LOG=${keyLog} XDG_CONFIG_HOME=${env.XDG_CONFIG_HOME} XDG_STATE_HOME=${stateHome} NO_COLOR=1 ${process.execPath} ${BIN} dashboard; echo "DASHBOARD-EXIT=$?"; sleep 30`
    // A session of its own, the replay's left as it is (killing the last session would stop the tmux server).
    SESSION = `${FIRST_SESSION}-keys`
    tmux('new-session', '-d', '-s', SESSION, '-x', '120', '-y', '40', command)
    await waitForScreen(/● rabbitmq .*● kafka .*● nats/, 30_000)
    await waitForScreen(/Targets and consumers \([1-9]/, 30_000)

    // 40 characters typed into the filter prompt, one key per write, and Enter: all 40 are in the filter.
    const typed = 'demo.orders.dlq'.padEnd(40, '~')
    burst('/', {text: typed}, 'Enter')
    await burstShows(new RegExp(`filter: ${typed.replace(/[.~]/g, '\\$&')}(?![\\s\\S]*Enter keeps)`))
    burst('Escape')
    await waitForScreen(/^(?![\s\S]*filter:)/)

    // Esc and the next key read together are both keys: the prompt is cancelled, then opened again.
    burst('/', {text: 'xyz'}, 'Escape', '/', {text: 'demo.orders'}, 'Enter')
    await burstShows(/filter: demo\.orders(?!\S)(?![\s\S]*Enter keeps)/)
    expect(screen()).not.toContain('xyz')
    burst('Escape')
    await waitForScreen(/^(?![\s\S]*filter:)/)

    // g, ten j and Enter open the eleventh row (a consumer row opens its target), then Esc and ? in the same write
    // go back and open the help over the overview.
    const rows = screen()
      .split('\n')
      .slice(4, 15)
      .map((r) => r.trim())
    // (A name too long for its column is shortened in the middle: its two ends are in the title.)
    const eleventh = rows
      .slice(0, 11)
      .reverse()
      .find((r) => !r.startsWith('└'))!
      .split(/\s+/)[0]
    burst('g', ...Array<string>(10).fill('j'), 'Enter')
    const opened = (await burstShows('› target ')).split('\n')[0]
    for (const part of eleventh.split('…')) expect(opened).toContain(part)
    burst('Escape', '?')
    await burstShows(/› overview[\s\S]*Everywhere/)
    burst('?', 'q')
    await burstShows('DASHBOARD-EXIT=0')
  }, 120_000)

  test('demo down removes everything demo up made', async () => {
    const down = await runCli(['demo', 'down'], {env, timeoutMs: 60_000})
    expect(down.code, down.stderr).toBe(0)
    const targets = jsonOf<{targets: {name: string}[]}>(await runCli(['targets', 'list', '--json'], {env})).result
      .targets
    expect(targets.filter((t) => /^(demo\.|DEMO_)/.test(t.name))).toEqual([])
  }, 90_000)
})
