// The dashboard's DLQ multi-select end to end in a real terminal (tmux) on the real brokers: in a DLQ of 5 dead
// letters (a RabbitMQ DLQ, a Kafka DLT, a JetStream DLQ stream of advisories) a user marks 2 with Space, exports
// them, replays them, then marks 1 of the 3 left and purges it. Each step is checked with the broker itself —
// RabbitMQ's management API, Kafka's Java clients (kafka-truth.ts), nats.js's JetStream API — never with mailroom's
// reading: exactly the marked messages moved (or went), the others stay as they were; the audit lines name them.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {
  AckPolicy,
  type JetStreamManager,
  type NatsConnection,
  connect as natsConnect,
  headers as natsHeaders,
  nanos,
} from 'nats'
import {afterAll, describe, expect, test} from 'vitest'

import {committedOffsets, headerText, topicRecords} from '../conformance/kafka-truth.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {BIN, isolatedConfigHome, runCli} from '../helpers/cli.js'
import {
  kafkaDeadLetters,
  kafkaDelete,
  kafkaTopics,
  natsDelete,
  rabbitDeadLetters,
  rabbitDelete,
} from '../integration/replay-fixtures.js'

const stateHome = mkdtempSync(join(tmpdir(), 'mailroom-multiselect-'))
const env = {XDG_CONFIG_HOME: isolatedConfigHome(), XDG_STATE_HOME: stateHome}
const auditLog = join(stateHome, 'mailroom', 'audit.log')
const MANAGEMENT = 'http://127.0.0.1:15672/api'
const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`
const NATS_URL = 'nats://127.0.0.1:4222'

const sessions: string[] = []
const queues: string[] = []
const topics: string[] = []
const streams: string[] = []

afterAll(async () => {
  for (const s of sessions) {
    try {
      tmux('kill-session', '-t', s)
    } catch {
      // already ended
    }
  }
  await rabbitDelete(...queues)
  await kafkaDelete(...topics).catch(() => undefined)
  await natsDelete(...streams)
}, 60_000)

// The three brokers' dashboards run side by side, each in its own tmux session on its own DLQ (the audit log they
// share is read per target): most of each test is waiting for a dashboard's refresh and discovery cycles.

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, {encoding: 'utf8'})
}

/** One dashboard in its own tmux session, and the keys a user types into it. */
class Terminal {
  private readonly sent: string[] = []

  constructor(
    private readonly session: string,
    private readonly keyLog: string,
  ) {}

  static open(broker: string): Terminal {
    const session = `mailroom-multiselect-${broker}-${process.pid}`
    const keyLog = join(stateHome, `${broker}-keys.log`)
    const command = `env MAILROOM_DEBUG_LOG=${keyLog} XDG_CONFIG_HOME=${env.XDG_CONFIG_HOME} XDG_STATE_HOME=${stateHome} NO_COLOR=1 ${process.execPath} ${BIN} dashboard -b ${broker} --interval 1s; echo "DASHBOARD-EXIT=$?"; sleep 30`
    tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', command)
    sessions.push(session)
    return new Terminal(session, keyLog)
  }

  screen(): string {
    return tmux('capture-pane', '-p', '-t', this.session)
  }

  async waitFor(what: RegExp | string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    let last = ''
    while (Date.now() < deadline) {
      last = this.screen()
      if (typeof what === 'string' ? last.includes(what) : what.test(last)) return last
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
    const received = existsSync(this.keyLog)
      ? readFileSync(this.keyLog, 'utf8')
          .split('\n')
          .filter((l) => !l.includes('"render"'))
          .slice(-30)
          .join('\n')
      : '(no key log)'
    throw new Error(
      `the screen never showed ${String(what)}; it shows:\n${last}\nsent:\n${this.sent.slice(-20).join('\n')}\nreceived:\n${received}`,
    )
  }

  /** Sends each key once (tmux key names) and waits for the effect of the last. */
  async press(keys: string[], what: RegExp | string, timeoutMs?: number): Promise<string> {
    for (const key of keys) {
      this.sent.push(`key ${key}`)
      tmux('send-keys', '-t', this.session, key)
    }
    return this.waitFor(what, timeoutMs)
  }

  async type(text: string, what: RegExp | string): Promise<string> {
    this.sent.push(`text ${text}`)
    tmux('send-keys', '-t', this.session, '-l', text)
    return this.waitFor(what)
  }

  /** From the overview to the DLQ's view: the DLQ pane, filtered to its name, Enter. */
  async openDlq(ref: string, depth: number): Promise<void> {
    await this.waitFor('Dead-letter queues (', 60_000)
    await this.press(['Tab', '/'], /▸ Dead-letter queues[\s\S]*Enter keeps/)
    const name = ref.slice(ref.indexOf(':') + 1)
    await this.type(name, `/${name}`)
    // The filter kept (its prompt closed), and the DLQ found by discovery (its own, slower cycle) in the DLQ pane,
    // which lists it below the targets.
    await this.press(['Enter'], new RegExp(`filter: ${escape(name)}(?![\\s\\S]*Enter keeps)`))
    await this.waitFor(new RegExp(`▸ Dead-letter queues \\(1\\)[\\s\\S]*${escape(ref)}\\s+${depth}`), 60_000)
    await this.press(['Enter'], `${depth} dead letter(s)`, 60_000)
    await this.press(['Tab'], `▸ Messages (${depth})`)
  }

  /** The body ids ("id" in each JSON body) of the messages shown with a mark. */
  marked(): string[] {
    return this.screen()
      .split('\n')
      .filter((l) => /^● \S/.test(l) && l.includes('"id"'))
      .map((l) => /"id":"([^"]+)"/.exec(l)![1])
      .sort()
  }

  /** The message under the cursor (the line drawn in inverse video), by its body id. */
  cursor(): string | undefined {
    const line = tmux('capture-pane', '-e', '-p', '-t', this.session)
      .split('\n')
      .find((l) => (l.includes('\u001B[7m') || l.includes('\u001B[0;7m')) && l.includes('"id"'))
    return line ? /"id":"([^"]+)"/.exec(line)?.[1] : undefined
  }

  /** j, once, and waits until the cursor is on the next message. */
  async down(): Promise<void> {
    const from = this.cursor()
    this.sent.push('key j')
    tmux('send-keys', '-t', this.session, 'j')
    await waitFor(async () => this.cursor() !== from, {timeoutMs: 10_000})
  }

  /** The typed confirmation: the DLQ's name, Enter. */
  async confirm(word: string, done: RegExp | string): Promise<string> {
    await this.waitFor(`Type "${word}" to confirm`)
    await this.type(word, `to confirm (Esc cancels): ${word}`)
    return this.press(['Enter'], done, 60_000)
  }

  /** e, the file name typed over the proposed one, Enter. */
  async exportTo(file: string, count: number): Promise<string> {
    await this.press(['e'], `Export the ${count} marked message(s)`)
    await this.press(
      Array.from({length: 90}, () => 'BSpace'),
      /│ > \s+│/,
    )
    await this.type(file, file)
    return this.press(['Enter'], `${count} message(s) written to`, 60_000)
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

interface AuditLine {
  command: string
  target: string
  outcome: string
  counts: Record<string, number>
  details: {select?: string[]; method?: string}
}

function auditLines(target: string): AuditLine[] {
  if (!existsSync(auditLog)) return []
  return readFileSync(auditLog, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditLine)
    .filter((l) => l.target === target)
}

function exportedIds(file: string): string[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(JSON.parse(l).body.utf8).id as string)
    .sort()
}

/** The 2nd and 4th message marked: down, Space, down, down, Space (each key once, after the last one's effect). */
async function markTwo(t: Terminal): Promise<string[]> {
  await t.down()
  await t.press(['Space'], '· 1 marked')
  await t.down()
  await t.down()
  await t.press(['Space'], '· 2 marked')
  const marked = t.marked()
  expect(marked).toHaveLength(2)
  return marked
}

/** r, the plan of exactly the marked, Enter, the typed name: the report. */
async function replayMarked(t: Terminal, name: string, count: number): Promise<string> {
  const plan = await t.press(['r'], `would replay ${count} of the ${count} marked`, 60_000)
  expect(plan).toContain(`selection: ${count} selected message(s)`)
  await t.press(['Enter'], `Type "${name}" to confirm`)
  return t.confirm(name, `replayed ${count} of`)
}

// ---------------------------------------------------------------------------------------------------------------
// RabbitMQ, through the management API

interface ManagedMessage {
  payload: string
  properties: {headers?: Record<string, unknown>}
}

/** The messages of a queue as the management API hands them out (requeued: the queue keeps them). */
async function queueMessages(queue: string): Promise<ManagedMessage[]> {
  const response = await fetch(`${MANAGEMENT}/queues/%2F/${encodeURIComponent(queue)}/get`, {
    method: 'POST',
    headers: {authorization: AUTH, 'content-type': 'application/json'},
    body: JSON.stringify({count: 100, ackmode: 'ack_requeue_true', encoding: 'auto'}),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as ManagedMessage[]
}

async function queueDepth(queue: string): Promise<{ready: number; unacked: number}> {
  const response = await fetch(`${MANAGEMENT}/queues/%2F/${encodeURIComponent(queue)}`, {
    headers: {authorization: AUTH},
  })
  const q = (await response.json()) as {messages_ready?: number; messages_unacknowledged?: number}
  return {ready: q.messages_ready ?? -1, unacked: q.messages_unacknowledged ?? -1}
}

/** Waits until the queue holds exactly `n` ready messages and none is held, then returns their body ids. */
async function settledIds(queue: string, n: number): Promise<string[]> {
  await waitFor(
    async () => {
      const d = await queueDepth(queue)
      return d.ready === n && d.unacked === 0
    },
    {timeoutMs: 30_000},
  )
  return (await queueMessages(queue)).map((m) => JSON.parse(m.payload).id as string).sort()
}

describe.concurrent('multi-select on a RabbitMQ DLQ (tmux, management API)', () => {
  test('export, replay and purge act on exactly the marked messages', async () => {
    const id = uniqueName('fix-dlq-multiselect')
    const [work, dlq] = [`${id}.work`, `${id}.dlq`]
    queues.push(work, dlq)
    const all = (await rabbitDeadLetters(work, dlq, 5)).sort()
    const t = Terminal.open('rabbitmq')
    await t.openDlq(`rabbitmq:${dlq}`, 5)
    const marked = await markTwo(t)

    // An export peeks the queue (basic.get, then requeue): it sees what no other reader holds at that moment, so it
    // starts once RabbitMQ has every message of the view's own peek back.
    expect(await settledIds(dlq, 5)).toEqual(all)
    const file = join(stateHome, `${id}.ndjson`)
    await t.exportTo(file, 2)
    expect(exportedIds(file)).toEqual(marked)
    await t.press(['Enter'], '▸ Messages (5)')

    await replayMarked(t, dlq, 2)
    await t.press(['Enter'], '· 3 dead letter(s)', 60_000)
    expect(await settledIds(work, 2)).toEqual(marked)
    const rest = all.filter((m) => !marked.includes(m))
    const left = await queueMessages(dlq)
    expect(left.map((m) => JSON.parse(m.payload).id).sort()).toEqual(rest)
    // Untouched: still the dead letters the broker made (their x-death), no replay headers.
    for (const m of left) {
      expect(m.properties.headers?.['x-death']).toBeDefined()
      expect(m.properties.headers?.['mailroom-replay-id']).toBeUndefined()
    }

    // The marks ended with the re-read: mark the first of the 3 left and purge it.
    await t.press(['Space'], '· 1 marked')
    const [purged] = t.marked()
    await t.press(['x'], `Type "${dlq}" to confirm`, 60_000)
    await t.confirm(dlq, '1 message(s) deleted')
    await t.press(['Enter'], '· 2 dead letter(s)', 60_000)
    expect(await settledIds(dlq, 2)).toEqual(rest.filter((m) => m !== purged))
    expect(await settledIds(work, 2)).toEqual(marked)

    const [replayLine, purgeLine] = auditLines(`rabbitmq:${dlq}`)
    expect(replayLine).toMatchObject({command: 'dlq replay', outcome: 'ok', counts: {replayed: 2}})
    expect(replayLine.details.select).toHaveLength(2)
    for (const selected of replayLine.details.select!)
      expect(selected).toMatch(new RegExp(`^rabbitmq:${escape(dlq)}/[0-9a-f]{24}$`))
    expect(purgeLine).toMatchObject({
      command: 'dlq purge',
      outcome: 'ok',
      counts: {purged: 1},
      details: {method: 'consume-and-ack'},
    })
    expect(purgeLine.details.select).toHaveLength(1)
    await t.press(['q'], 'DASHBOARD-EXIT=0')
  }, 240_000)
})

// ---------------------------------------------------------------------------------------------------------------
// Kafka, through Kafka's Java clients

describe.concurrent('multi-select on a Kafka DLT (tmux, Kafka Java clients)', () => {
  test('export and replay act on exactly the marked records; a purge of marked records is refused, nothing removed', async () => {
    const id = uniqueName('fix-dlq-multiselect')
    const [origin, dlt] = [`${id}.orders`, `${id}.DLT`]
    topics.push(origin, dlt)
    await kafkaTopics([
      {topic: origin, partitions: 2},
      {topic: dlt, partitions: 1},
    ])
    await kafkaDeadLetters(origin, dlt, 5)
    const before = await topicRecords(dlt)
    expect(before).toHaveLength(5)
    const offsetOf = new Map(before.map((r) => [headerText(r, 'id')!, r.offset]))
    const t = Terminal.open('kafka')
    await t.openDlq(`kafka:${dlt}`, 5)
    const marked = await markTwo(t)

    const file = join(stateHome, `${id}.ndjson`)
    await t.exportTo(file, 2)
    expect(exportedIds(file)).toEqual(marked)
    await t.press(['Enter'], '▸ Messages (5)')

    await replayMarked(t, dlt, 2)
    // The view re-read the DLQ (a Kafka DLT keeps its records): the marks ended with it.
    await t.press(['Enter'], /· 5 dead letter\(s\)\s*\n/, 60_000)
    // The origin topic holds exactly the 2 marked records, replayed once each.
    const replayed = (await topicRecords(origin)).filter((r) => headerText(r, 'mailroom-replay-id'))
    expect(replayed.map((r) => headerText(r, 'id')).sort()).toEqual(marked)
    // The DLT is as it was (an append-only log), and the replay group's cursor has not passed the first record it
    // left: the 3 others stay replayable.
    const after = await topicRecords(dlt)
    expect(after.map((r) => `${r.offset}:${r.value}`)).toEqual(before.map((r) => `${r.offset}:${r.value}`))
    const firstLeft = Math.min(...[...offsetOf].filter(([m]) => !marked.includes(m)).map(([, o]) => Number(o)))
    expect((await committedOffsets(`mailroom-replay.${dlt}`, dlt))['0'] ?? 0).toBeLessThanOrEqual(firstLeft)

    // Kafka cannot remove single records: the purge of a marked record is refused before any confirmation.
    await t.press(['Space'], '· 1 marked')
    const refused = await t.press(['x'], 'Purge refused', 60_000)
    expect(refused).toContain('UNSUPPORTED')
    expect(refused).not.toContain('to confirm')
    expect((await topicRecords(dlt)).map((r) => r.offset)).toEqual(before.map((r) => r.offset))

    const lines = auditLines(`kafka:${dlt}`)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({command: 'dlq replay', outcome: 'ok', counts: {replayed: 2}})
    expect(lines[0].details.select!.sort()).toEqual(marked.map((m) => `kafka:${dlt}/0/${offsetOf.get(m)}`).sort())
    // Esc and q apart: in one read they would be Alt+q.
    await t.press(['Escape'], /^(?![\s\S]*Enter or Esc closes)/)
    await t.press(['q'], 'DASHBOARD-EXIT=0')
  }, 240_000)
})

// ---------------------------------------------------------------------------------------------------------------
// JetStream, through nats.js

async function withJsm<T>(fn: (jsm: JetStreamManager, nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await natsConnect({servers: NATS_URL})
  try {
    return await fn(await nc.jetstreamManager(), nc)
  } finally {
    await nc.close()
  }
}

/** The messages a stream stores, by sequence, with their body ids (direct get on every sequence). */
async function streamIds(stream: string): Promise<{seq: number; id: string; replayed: boolean}[]> {
  return withJsm(async (jsm) => {
    const {state} = await jsm.streams.info(stream)
    const out: {seq: number; id: string; replayed: boolean}[] = []
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, {seq}).catch(() => undefined)
      if (m)
        out.push({
          seq,
          id: JSON.parse(Buffer.from(m.data).toString('utf8')).id,
          replayed: m.header?.has('mailroom-replay-id') ?? false,
        })
    }
    return out
  })
}

/** The DLQ stream's advisories: each one's own sequence and the body id of the dead message it points at. */
async function deadLetters(dlq: string, source: string): Promise<{seq: number; id: string}[]> {
  const bySeq = new Map((await streamIds(source)).map((m) => [m.seq, m.id]))
  return withJsm(async (jsm) => {
    const {state} = await jsm.streams.info(dlq)
    const out: {seq: number; id: string}[] = []
    for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(dlq, {seq}).catch(() => undefined)
      if (m)
        out.push({seq, id: bySeq.get(JSON.parse(Buffer.from(m.data).toString('utf8')).stream_seq as number) ?? '?'})
    }
    return out
  })
}

/** n messages into `stream`, naked by a MaxDeliver-2 consumer until the captured DLQ holds n advisories. */
async function natsDeadLetters(stream: string, dlq: string, n: number): Promise<string[]> {
  const ids = Array.from({length: n}, (_, i) => `${stream}-${i}`)
  await withJsm(async (jsm, nc) => {
    const js = nc.jetstream()
    for (const id of ids) {
      const h = natsHeaders()
      h.set('id', id)
      await js.publish(`${stream}.orders`, Buffer.from(JSON.stringify({id})), {headers: h})
    }
    await jsm.consumers.add(stream, {
      durable_name: 'worker',
      ack_policy: AckPolicy.Explicit,
      max_deliver: 2,
      ack_wait: nanos(500),
    })
    const c = await js.consumers.get(stream, 'worker')
    await waitFor(
      async () => {
        for await (const m of await c.fetch({max_messages: 10, expires: 1000})) m.nak()
        return (await jsm.streams.info(dlq)).state.messages >= n
      },
      {timeoutMs: 30_000},
    )
    await jsm.consumers.delete(stream, 'worker')
  })
  return ids
}

describe.concurrent('multi-select on a JetStream DLQ (tmux, nats.js JetStream API)', () => {
  test('export, replay and purge act on exactly the marked dead letters', async () => {
    const stream = uniqueName('MSEL').replace(/-/g, '_')
    const dlq = `${stream}_DLQ`
    streams.push(stream, dlq)
    await withJsm((jsm) => jsm.streams.add({name: stream, subjects: [`${stream}.>`]}))
    const capture = await runCli(['dlq', 'capture', `nats:${stream}`], {env})
    expect(capture.code, capture.stderr).toBe(0)
    const all = (await natsDeadLetters(stream, dlq, 5)).sort()
    const entries = await deadLetters(dlq, stream)
    expect(entries.map((e) => e.id).sort()).toEqual(all)
    const seqOf = new Map(entries.map((e) => [e.id, e.seq]))

    const t = Terminal.open('nats')
    await t.openDlq(`nats:${dlq}`, 5)
    const marked = await markTwo(t)

    const file = join(stateHome, `${stream}.ndjson`)
    await t.exportTo(file, 2)
    expect(exportedIds(file)).toEqual(marked)
    await t.press(['Enter'], '▸ Messages (5)')

    await replayMarked(t, dlq, 2)
    await t.press(['Enter'], '· 3 dead letter(s)', 60_000)
    // The source stream got exactly the 2 marked back (replayed copies); the DLQ keeps the 3 other advisories,
    // at their own sequences.
    const rest = all.filter((m) => !marked.includes(m))
    expect(
      (await streamIds(stream))
        .filter((m) => m.replayed)
        .map((m) => m.id)
        .sort(),
    ).toEqual(marked)
    const left = await deadLetters(dlq, stream)
    expect(left.map((e) => e.id).sort()).toEqual(rest)
    expect(left.map((e) => e.seq)).toEqual(rest.map((m) => seqOf.get(m)).sort((a, b) => a! - b!))

    await t.press(['Space'], '· 1 marked')
    const [purged] = t.marked()
    await t.press(['x'], `Type "${dlq}" to confirm`, 60_000)
    await t.confirm(dlq, '1 message(s) deleted (delete-by-sequence)')
    await t.press(['Enter'], '· 2 dead letter(s)', 60_000)
    expect((await deadLetters(dlq, stream)).map((e) => e.id).sort()).toEqual(rest.filter((m) => m !== purged))

    const [replayLine, purgeLine] = auditLines(`nats:${dlq}`)
    expect(replayLine).toMatchObject({command: 'dlq replay', outcome: 'ok', counts: {replayed: 2}})
    expect(replayLine.details.select!.sort()).toEqual(marked.map((m) => `nats:${dlq}/${seqOf.get(m)}`).sort())
    expect(purgeLine).toMatchObject({
      command: 'dlq purge',
      outcome: 'ok',
      counts: {purged: 1},
      details: {method: 'delete-by-sequence'},
    })
    expect(purgeLine.details.select).toEqual([`nats:${dlq}/${seqOf.get(purged)}`])
    await t.press(['q'], 'DASHBOARD-EXIT=0')
  }, 240_000)
})
