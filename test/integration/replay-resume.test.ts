// RabbitMQ replays that must not end short: a replay right after a peek of a large DLQ (the broker is still
// requeuing what was peeked), a --resume of a --resume that was itself killed, and a --resume pointed at another
// server than the original run. The truth is asked of the broker (management API) and of amqplib, never of mailroom.
import {appendFileSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import amqp from 'amqplib'
import {stringify} from 'yaml'
import {afterAll, describe, expect, it, vi} from 'vitest'

import {messageIdentity} from '../../src/core/replay/identity.js'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf} from '../helpers/cli.js'
import {
  adapter,
  duplicates,
  journaledCount,
  journalIds,
  journalText,
  killWhen,
  missing,
  rabbitConsumersGone,
  rabbitDeadLetters,
  rabbitDelete,
  rabbitIds,
  rabbitQueue,
  runCliWithState,
  startCli,
  stateHome,
} from './replay-fixtures.js'

vi.setConfig({testTimeout: 300_000})

// Every test has its own queues and state directory: they run side by side, since most of their time is spent
// waiting (for the broker's statistics, a replay's idle and stall timeouts, a killed run's consumer to go).

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672'
const MANAGEMENT = 'http://127.0.0.1:15672'
const AUTH = `Basic ${Buffer.from('guest:guest').toString('base64')}`
const queues: string[] = []

afterAll(async () => {
  await rabbitDelete(...queues)
})

interface QueueFigures {
  messages: number
  ready: number
  unacked: number
}

/** The queue's figures as the management API reports them (refreshed every statistics interval, 5 s by default). */
async function managementFigures(queue: string): Promise<QueueFigures | undefined> {
  const res = await fetch(`${MANAGEMENT}/api/queues/%2F/${encodeURIComponent(queue)}`, {headers: {authorization: AUTH}})
  if (!res.ok) throw new Error(`management API: ${res.status} for ${queue}`)
  const q = (await res.json()) as {messages?: number; messages_ready?: number; messages_unacknowledged?: number}
  if (q.messages === undefined) return undefined // not sampled yet
  return {messages: q.messages, ready: q.messages_ready ?? 0, unacked: q.messages_unacknowledged ?? 0}
}

/** Waits until the management API's figures for the queue equal `expected` (they lag by its statistics interval). */
async function managementReports(queue: string, expected: QueueFigures): Promise<void> {
  await waitFor(async () => JSON.stringify(await managementFigures(queue)) === JSON.stringify(expected), {
    timeoutMs: 30_000,
    intervalMs: 500,
  })
}

function rabbitPair(prefix: string): {work: string; dlq: string; dest: string} {
  const names = {
    work: uniqueName(`${prefix}-work`),
    dlq: uniqueName(`${prefix}-dlq`),
    dest: uniqueName(`${prefix}-dest`),
  }
  queues.push(names.work, names.dlq, names.dest)
  return names
}

/** n messages published straight into `queue` (a DLQ for a --to replay), each with an `id` header. */
async function fillQueue(queue: string, n: number): Promise<string[]> {
  const c = await amqp.connect(AMQP_URL)
  try {
    const ch = await c.createConfirmChannel()
    await ch.assertQueue(queue, {durable: true})
    const ids = Array.from({length: n}, (_, i) => `${queue}-${i}`)
    for (const id of ids) ch.sendToQueue(queue, Buffer.from(JSON.stringify({id})), {persistent: true, headers: {id}})
    await ch.waitForConfirms()
    return ids
  } finally {
    await c.close()
  }
}

/** Kills a run (kill -9) once `ready()` says so; the exit code tells whether it was still running. */
/** True once the only journal in `state` holds at least `n` confirmations. */
function journaled(state: string, n: number): () => boolean {
  return () => {
    const [id] = journalIds(state)
    return id !== undefined && journaledCount(state, id) >= n
  }
}

describe.concurrent('RabbitMQ replay right after a peek of a large DLQ', () => {
  it('moves every message (or exits 8 losing none) while the broker is still requeuing what dlq export peeked', async () => {
    const N = 10_000
    const {dlq, dest} = rabbitPair('rr5')
    const ids = await fillQueue(dlq, N)
    await rabbitQueue(dest)
    await managementReports(dlq, {messages: N, ready: N, unacked: 0})
    const state = stateHome()

    const exported = await runCliWithState(['dlq', 'export', `rabbitmq:${dlq}`, '--limit', String(N)], state)
    expect(exported.code, exported.stderr).toBe(0)
    const replay = await runCliWithState(
      ['dlq', 'replay', `rabbitmq:${dlq}`, '--to', `rabbitmq:${dest}`, '--yes', '--json'],
      state,
    )
    const report = jsonOf(replay).result

    await rabbitConsumersGone(dlq)
    const inDlq = await rabbitIds(dlq)
    const atDestination = await rabbitIds(dest)
    expect(missing(ids, [...inDlq, ...atDestination]), 'lost').toEqual([])
    if (replay.code === 8) {
      // Allowed only with the reason named, and every message still somewhere.
      expect(report.stopped.message).toMatch(/still reports/)
    } else {
      expect(replay.code, `${replay.stdout}\n${replay.stderr}`).toBe(0)
      expect(inDlq, 'left in the DLQ').toEqual([])
      expect(atDestination.length).toBe(N)
      await managementReports(dlq, {messages: 0, ready: 0, unacked: 0})
      await managementReports(dest, {messages: N, ready: N, unacked: 0})
    }
    console.log(
      `replay right after exporting ${N}: exit ${replay.code}, ${report.counts.replayed} replayed in ${report.elapsedMs} ms`,
    )
  })

  it('exits 8 naming why when another consumer holds messages of the bound unacknowledged, and loses none', async () => {
    const N = 50
    const HELD = 5
    const {dlq, dest} = rabbitPair('rr5h')
    // The human output's case, a run that moves nothing, on a DLQ of which another consumer holds every message: run
    // beside the --json one, as each waits out the 60 s without a delivery.
    const {dlq: heldDlq, dest: heldDest} = rabbitPair('rr5hh')
    const ids = await fillQueue(dlq, N)
    const heldIds = await fillQueue(heldDlq, HELD)
    await rabbitQueue(dest)
    await rabbitQueue(heldDest)
    const holder = await amqp.connect(AMQP_URL)
    try {
      const ch = await holder.createChannel()
      for (const queue of [dlq, heldDlq])
        for (let i = 0; i < HELD; i++) expect(await ch.get(queue, {noAck: false})).toBeTruthy()
      await managementReports(dlq, {messages: N, ready: N - HELD, unacked: HELD})
      await managementReports(heldDlq, {messages: HELD, ready: 0, unacked: HELD})

      const [replay, human] = await Promise.all([
        runCliWithState(
          ['dlq', 'replay', `rabbitmq:${dlq}`, '--to', `rabbitmq:${dest}`, '--yes', '--json'],
          stateHome(),
        ),
        runCliWithState(['dlq', 'replay', `rabbitmq:${heldDlq}`, '--to', `rabbitmq:${heldDest}`, '--yes'], stateHome()),
      ])
      expect(replay.code, `${replay.stdout}\n${replay.stderr}`).toBe(8)
      const report = jsonOf(replay).result
      expect(report.counts.replayed).toBe(N - HELD)
      expect(report.stopped.message).toMatch(
        new RegExp(`still reports ${HELD} message\\(s\\).*held by another consumer`),
      )
      expect(report.leftBehind).toBe(HELD)

      // The same stop in human output: how many the broker still holds and why, not "0 left".
      expect(human.code, human.stderr).toBe(8)
      expect(human.stderr).toMatch(
        new RegExp(
          `^warning: stopped early: rabbitmq:${heldDlq} delivered nothing for 60 s while the broker still reports ${HELD} message\\(s\\) in it .*held by another consumer.*$`,
          'm',
        ),
      )
      expect(human.stderr).toMatch(
        new RegExp(
          `^warning: ${HELD} message\\(s\\) left in the DLQ; continue with: mailroom dlq replay --resume `,
          'm',
        ),
      )
      expect(human.stderr).not.toMatch(/0 message\(s\) left|the rest of the DLQ was not read/)
    } finally {
      await holder.close()
    }
    for (const [queue, to, sent] of [
      [dlq, dest, ids],
      [heldDlq, heldDest, heldIds],
    ] as const) {
      await rabbitConsumersGone(queue)
      const inDlq = await rabbitIds(queue)
      const atDestination = await rabbitIds(to)
      expect(inDlq).toHaveLength(HELD)
      expect(missing(sent, [...inDlq, ...atDestination]), 'lost').toEqual([])
      expect(duplicates([...inDlq, ...atDestination])).toBe(0)
    }
  })
})

describe.concurrent('RabbitMQ replay --resume after a killed --resume', () => {
  it('empties the DLQ and delivers every message after a run and its resume were both killed, reporting the duplicate window of both crashes', async () => {
    const N = 1500
    const WINDOW = 50
    const {work, dlq, dest} = rabbitPair('rr6')
    const ids = await rabbitDeadLetters(work, dlq, N)
    await rabbitQueue(dest)
    const state = stateHome()

    const first = startCli(
      [
        'dlq',
        'replay',
        `rabbitmq:${dlq}`,
        '--to',
        `rabbitmq:${dest}`,
        '--yes',
        '--json',
        '--window',
        String(WINDOW),
        '--rate',
        '1000',
      ],
      state,
    )
    expect((await killWhen(first, journaled(state, N / 4))).code, 'the first run was to be killed mid-run').toBe(137)
    const [replayId] = journalIds(state)
    await rabbitConsumersGone(dlq)

    const resumeArgs = ['dlq', 'replay', '--resume', replayId!, '--yes', '--json']
    const second = startCli(resumeArgs, state)
    expect(
      (await killWhen(second, journaled(state, journaledCount(state, replayId!) + N / 4))).code,
      'the resume was to be killed mid-run',
    ).toBe(137)
    await rabbitConsumersGone(dlq)

    const third = await runCliWithState(resumeArgs, state)
    expect(third.code, `${third.stdout}\n${third.stderr}`).toBe(0)
    const report = jsonOf(third).result
    await assertAllMoved(ids, dlq, dest)
    const dups = duplicates(await rabbitIds(dest))
    // Each crash can leave up to a window of messages delivered twice; the report covers both crashes.
    expect(report.crashWindow, 'the duplicate warning covers both killed attempts').toBe(2 * WINDOW)
    expect(jsonOf(third).warnings.join('\n')).toContain(
      `2 earlier attempts were stopped without finishing: up to ${2 * WINDOW} messages`,
    )
    expect(dups).toBeLessThanOrEqual(report.crashWindow)
    console.log(
      `killed run + killed resume of ${N}: ${dups} duplicates at the destination (reported window ${report.crashWindow})`,
    )
  })

  it('counts a message re-published by a killed resume once: the next resume still reads to the end of the DLQ', async () => {
    const N = 800
    const K = 40
    const {work, dlq, dest} = rabbitPair('rr6k')
    const ids = await rabbitDeadLetters(work, dlq, N)
    await rabbitQueue(dest)
    const state = stateHome()

    const first = startCli(
      [
        'dlq',
        'replay',
        `rabbitmq:${dlq}`,
        '--to',
        `rabbitmq:${dest}`,
        '--yes',
        '--json',
        '--window',
        '20',
        '--rate',
        '400',
      ],
      state,
    )
    expect((await killWhen(first, journaled(state, 100))).code).toBe(137)
    const replayId = journalIds(state)[0]!
    await rabbitConsumersGone(dlq)
    // The journal as a kill leaves it between writing a batch of confirmations and its acks reaching the broker:
    // K messages recorded as confirmed that are still in the DLQ (their ids as mailroom derives them), other than
    // those the killed run itself may have recorded so.
    const a = await adapter('rabbitmq')
    const recorded = journalText(state, replayId)
    const peeked = (await a.peek!(dlq, {count: 2 * K})).messages.map((e) => messageIdentity(e, 'rabbitmq', dlq).id)
    const stillThere = peeked.filter((id) => !recorded.includes(id)).slice(0, K)
    await a.close()
    expect(stillThere).toHaveLength(K)
    appendFileSync(
      join(state, 'mailroom', 'replays', `${replayId}.jsonl`),
      `${JSON.stringify({t: 'ok', ids: stillThere})}\n`,
    )

    // The resume publishes those K again, and more, and is killed.
    const resumeArgs = ['dlq', 'replay', '--resume', replayId, '--yes', '--json']
    const second = startCli(resumeArgs, state)
    const before = journaledCount(state, replayId)
    const last = stillThere.at(-1)!
    const republished = () => journalText(state, replayId).split(last).length > 2 && journaled(state, before + K)()
    expect((await killWhen(second, republished)).code, 'the resume was to be killed after publishing the K again').toBe(
      137,
    )
    await rabbitConsumersGone(dlq)

    const third = await runCliWithState(resumeArgs, state)
    expect(third.code, `${third.stdout}\n${third.stderr}`).toBe(0)
    expect(jsonOf(third).result.leftBehind).toBe(0)
    await assertAllMoved(ids, dlq, dest)
  })
})

describe.concurrent('--resume against other servers than the replay started with', () => {
  it('records the context and a hashed address (no password) and refuses another server with exit 2 unless --force', async () => {
    const N = 100
    const {dlq, dest} = rabbitPair('rr18')
    const ids = await fillQueue(dlq, N)
    await rabbitQueue(dest)
    const state = stateHome()
    // Two contexts naming the same broker by different addresses: mailroom cannot know they are one server.
    const config = join(state, 'config')
    mkdirSync(join(config, 'mailroom'), {recursive: true, mode: 0o700})
    const rabbit = (host: string) => ({
      url: `amqp://${host}:5672`,
      managementUrl: `http://${host}:15672`,
      username: 'guest',
      passwordEnv: 'RR18_PASSWORD',
    })
    writeFileSync(
      join(config, 'mailroom', 'config.yaml'),
      stringify({contexts: {alpha: {rabbitmq: rabbit('127.0.0.1')}, beta: {rabbitmq: rabbit('localhost')}}}),
      {mode: 0o600},
    )
    const env = {XDG_CONFIG_HOME: config, RR18_PASSWORD: 'guest'}

    const args = [
      'dlq',
      'replay',
      `rabbitmq:${dlq}`,
      '--to',
      `rabbitmq:${dest}`,
      '--yes',
      '--json',
      '--window',
      '5',
      '--rate',
      '100',
      '--context',
      'alpha',
    ]
    expect((await killWhen(startCli(args, state, env), journaled(state, 10))).code).toBe(137)
    const replayId = journalIds(state)[0]!
    const text = journalText(state, replayId)
    const start = JSON.parse(text.split('\n')[0]!)
    expect(start.servers).toEqual({
      context: 'alpha',
      fingerprints: {rabbitmq: expect.stringMatching(/^sha256:[0-9a-f]{16}$/)},
    })
    // The password (and user) "guest", and the address itself, appear nowhere in the journal.
    expect(text).not.toMatch(/guest|127\.0\.0\.1|localhost|5672/)
    await rabbitConsumersGone(dlq)
    const before = {inDlq: (await rabbitIds(dlq)).length, atDestination: (await rabbitIds(dest)).length}

    const refused = await runCliWithState(
      ['dlq', 'replay', '--resume', replayId, '--yes', '--json', '--context', 'beta'],
      state,
      env,
    )
    expect(refused.code, `${refused.stdout}\n${refused.stderr}`).toBe(2)
    const error = jsonOf(refused).error!
    expect(error.message).toMatch(
      /context "alpha", not context "beta".*the rabbitmq server sha256:[0-9a-f]{16}, not sha256:[0-9a-f]{16}.*different server/,
    )
    expect(error.suggestions).toContain('Resume with the context it started with: --context alpha')
    expect(
      {inDlq: (await rabbitIds(dlq)).length, atDestination: (await rabbitIds(dest)).length},
      'nothing moved',
    ).toEqual(before)

    const forced = await runCliWithState(
      ['dlq', 'replay', '--resume', replayId, '--yes', '--json', '--context', 'beta', '--force'],
      state,
      env,
    )
    expect(forced.code, `${forced.stdout}\n${forced.stderr}`).toBe(0)
    expect(jsonOf(forced).warnings.join('\n')).toMatch(/started against context "alpha".*resuming anyway \(--force\)/)
    await assertAllMoved(ids, dlq, dest)
  })
})

/** Ground truth: amqplib reads both queues (left in place), and the management API agrees on the depths. */
async function assertAllMoved(ids: string[], dlq: string, dest: string): Promise<void> {
  const inDlq = await rabbitIds(dlq)
  const atDestination = await rabbitIds(dest)
  expect(inDlq, 'left in the DLQ').toEqual([])
  expect(missing(ids, atDestination), 'missing at the destination').toEqual([])
  await managementReports(dlq, {messages: 0, ready: 0, unacked: 0})
  await managementReports(dest, {messages: atDestination.length, ready: atDestination.length, unacked: 0})
}
