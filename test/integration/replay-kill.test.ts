// kill -9 of a running `mailroom dlq replay` (the built CLI) at random moments, on each broker: afterwards every
// message is in the DLQ or at the destination (none lost), duplicates stay within the in-flight window, and
// `--resume <id>` completes the job. REPLAY_KILL_TRIALS (default 10) and REPLAY_KILL_MESSAGES (per trial,
// default 200) scale it; MAILROOM_BIN runs another build of the CLI. On RabbitMQ the move also runs at full speed
// with the default window (REPLAY_KILL_FULL_SPEED_TRIALS, default 2, of four windows of messages each).
import {afterAll, describe, type ExpectStatic, it} from 'vitest'

import {DEFAULT_REPLAY_WINDOW} from '../../src/core/replay/types.js'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf} from '../helpers/cli.js'
import {
  duplicates,
  idOf,
  journalEnded,
  journalIds,
  kafkaDeadLetters,
  kafkaDelete,
  kafkaEnvelopes,
  kafkaTopics,
  kafkaUncommittedIds,
  missing,
  natsDeadLetters,
  natsDelete,
  natsIds,
  natsStream,
  rabbitDeadLetters,
  rabbitDelete,
  rabbitIds,
  rabbitQueue,
  rabbitSettled,
  runCliWithState,
  sleep,
  startCli,
  stateHome,
  tcpClientPorts,
} from './replay-fixtures.js'

const TRIALS = Number(process.env.REPLAY_KILL_TRIALS ?? 10)
const MESSAGES = Number(process.env.REPLAY_KILL_MESSAGES ?? 200)
const WINDOW = 40
/** Slow enough that a kill lands inside the replay, fast enough to keep the suite short. */
const RATE = 1000
const FULL_SPEED_TRIALS = Number(process.env.REPLAY_KILL_FULL_SPEED_TRIALS ?? 2)
const FULL_SPEED_MESSAGES = 4 * DEFAULT_REPLAY_WINDOW
/** A full-speed move of FULL_SPEED_MESSAGES takes about a second on a quiet machine: kills land in its first part. */
const FULL_SPEED_KILL_WITHIN_MS = 400

interface Trial {
  source: string
  to: string
  ids: string[]
  /** Told the CLI's pid just before the kill, while its connections can still be read. */
  noteClient?(pid: number): void
  /** Ids still in the DLQ (not yet settled there) and ids at the destination, read without changing anything. */
  holdings(): Promise<{inDlq: string[]; atDestination: string[]}>
}

interface Scenario {
  broker: string
  setup(messages: number): Promise<Trial>
  cleanup(): Promise<void>
}

/** How the killed runs go: how many, of how many messages, with which arguments, killed when. */
interface KillRuns {
  trials: number
  messages: number
  /** Arguments of the replay besides source, destination, --yes and --json (--window, --rate), none for defaults. */
  args: string[]
  /** The window the run keeps: the bound on duplicates per killed attempt. */
  window: number
  /** A kill lands at a random moment this long after the job exists. */
  killWithinMs: number
}
/** RabbitMQ countings that had to wait for the broker to close a killed CLI's connection. */
let waitedForBroker = 0

const created = {queues: [] as string[], topics: [] as string[], streams: [] as string[]}

const allScenarios: Scenario[] = [
  {
    broker: 'rabbitmq',
    async setup(messages) {
      const [work, dlq, dest] = [uniqueName('rk-work'), uniqueName('rk-dlq'), uniqueName('rk-dest')]
      let killedClient: number[] = []
      created.queues.push(work, dlq, dest)
      const ids = await rabbitDeadLetters(work, dlq, messages)
      await rabbitQueue(dest)
      return {
        source: `rabbitmq:${dlq}`,
        to: `rabbitmq:${dest}`,
        ids,
        noteClient: (pid) => (killedClient = tcpClientPorts(pid, 5672)),
        holdings: async () => {
          // Counted only once the broker holds nothing in limbo: the killed CLI's connections are closed and the DLQ
          // has no consumer (its unacked messages are back in it).
          if ((await rabbitSettled(dlq, killedClient.splice(0))) > 0) waitedForBroker++
          return {inDlq: await rabbitIds(dlq), atDestination: await rabbitIds(dest)}
        },
      }
    },
    cleanup: () => rabbitDelete(...created.queues),
  },
  {
    broker: 'kafka',
    async setup(messages) {
      const [origin, dlt, dest] = [uniqueName('rk-orig'), uniqueName('rk-dlt'), uniqueName('rk-dest')]
      created.topics.push(dlt, dest)
      await kafkaTopics([
        {topic: dlt, partitions: 2},
        {topic: dest, partitions: 3},
      ])
      const ids = await kafkaDeadLetters(origin, dlt, messages)
      const all = await kafkaEnvelopes(dlt)
      // A DLT holding a record twice would be counted as the replay's duplicates.
      if (duplicates(all.map(idOf)) > 0) throw new Error(`${dlt} holds ${duplicates(all.map(idOf))} records twice`)
      return {
        source: `kafka:${dlt}`,
        to: `kafka:${dest}`,
        ids,
        holdings: async () => ({
          inDlq: await kafkaUncommittedIds(dlt, all),
          atDestination: (await kafkaEnvelopes(dest)).map(idOf),
        }),
      }
    },
    cleanup: () => kafkaDelete(...created.topics),
  },
  {
    broker: 'nats',
    async setup(messages) {
      const [dlq, dest] = [uniqueName('RKDLQ').replace(/-/g, '_'), uniqueName('RKDEST').replace(/-/g, '_')]
      created.streams.push(dlq, dest)
      const ids = await natsDeadLetters(dlq, `${dlq}.in`, messages)
      await natsStream(dest, `${dest}.in`)
      return {
        source: `nats:${dlq}`,
        to: `nats:${dest}`,
        ids,
        holdings: async () => ({inDlq: await natsIds(dlq), atDestination: await natsIds(dest)}),
      }
    },
    cleanup: () => natsDelete(...created.streams),
  },
]

/** REPLAY_KILL_BROKERS (comma-separated, default all) runs only some brokers' trials. */
const only = process.env.REPLAY_KILL_BROKERS?.split(',')
const scenarios = only ? allScenarios.filter((s) => only.includes(s.broker)) : allScenarios

afterAll(async () => {
  await Promise.allSettled(scenarios.map((s) => s.cleanup()))
})

/** Kills runs at random moments and resumes them; asserts nothing is lost and duplicates stay within the window. */
async function killAndResume(scenario: Scenario, runs: KillRuns, expect: ExpectStatic): Promise<void> {
  let killedMidRun = 0
  let totalDuplicates = 0
  for (let trial = 0; trial < runs.trials; trial++) {
    const t = await scenario.setup(runs.messages)
    const state = stateHome()
    const args = ['dlq', 'replay', t.source, '--to', t.to, '--yes', '--json', ...runs.args]
    const run = startCli(args, state)
    // Wait for the job to exist (its journal), then kill at a random moment of the replay.
    let exited = false
    void run.done.then(() => (exited = true))
    await waitFor(() => journalIds(state).length > 0 || exited, {timeoutMs: 30_000, intervalMs: 5})
    await sleep(Math.random() * runs.killWithinMs)
    t.noteClient?.(run.pid)
    run.kill()
    const first = await run.done
    if (first.code === 137) killedMidRun++

    const after = await t.holdings()
    expect(missing(t.ids, after.inDlq, after.atDestination), `trial ${trial}: lost after the kill`).toEqual([])
    expect(duplicates(after.atDestination), `trial ${trial}: duplicates after the kill`).toBeLessThanOrEqual(
      runs.window,
    )

    const [replayId] = journalIds(state)
    // Killed before its journal's end record: the resume reports the crash window (after it, nothing to recover).
    const killedBeforeEnd = replayId !== undefined && first.code === 137 && !journalEnded(state, replayId)
    const second = replayId
      ? await runCliWithState(['dlq', 'replay', '--resume', replayId, '--yes', '--json'], state)
      : await runCliWithState(args, state)
    expect(second.code, `trial ${trial}: resume\n${second.stdout}\n${second.stderr}`).toBe(0)
    const report = jsonOf(second).result
    if (killedBeforeEnd) expect(report.crashWindow).toBe(runs.window)

    const final = await t.holdings()
    expect(final.inDlq, `trial ${trial}: left in the DLQ after --resume`).toEqual([])
    expect(missing(t.ids, final.atDestination), `trial ${trial}: missing at the destination`).toEqual([])
    const dups = duplicates(final.atDestination)
    const reports = `first run (exit ${first.code}):\n${first.stdout}\n${first.stderr}\nresume:\n${second.stdout}\n${second.stderr}`
    expect(
      dups,
      `trial ${trial}: duplicates (${after.atDestination.length} at the destination after the kill)\n${reports}`,
    ).toBeLessThanOrEqual(runs.window)
    totalDuplicates += dups
  }
  // Most kills must land inside the replay, or the test proves little.
  expect(killedMidRun).toBeGreaterThanOrEqual(Math.ceil(runs.trials / 2))
  console.log(
    `${scenario.broker}: ${runs.trials} trials x ${runs.messages} messages, ${killedMidRun} killed mid-run, ${totalDuplicates} duplicates in total (window ${runs.window}), ${waitedForBroker} RabbitMQ countings waited for a killed connection to close`,
  )
}

// The three brokers run side by side: most of a trial is waiting for a CLI process to start.
describe.concurrent('kill -9 during dlq replay', () => {
  it.for(scenarios)(
    `on $broker: loses nothing over ${TRIALS} killed runs of ${MESSAGES} messages, with duplicates within the window, and --resume completes`,
    {timeout: 600_000},
    async (scenario, {expect}) => {
      const args = ['--window', String(WINDOW), '--rate', String(RATE)]
      await killAndResume(
        scenario,
        {trials: TRIALS, messages: MESSAGES, args, window: WINDOW, killWithinMs: (MESSAGES / RATE) * 1000 + 50},
        expect,
      )
    },
  )

  it(`on rabbitmq at full speed and the default window (${DEFAULT_REPLAY_WINDOW}): loses nothing over ${FULL_SPEED_TRIALS} killed runs of ${FULL_SPEED_MESSAGES} messages, with duplicates within the window`, async ({
    expect,
  }) => {
    const runs = {
      trials: FULL_SPEED_TRIALS,
      messages: FULL_SPEED_MESSAGES,
      args: [],
      window: DEFAULT_REPLAY_WINDOW,
      killWithinMs: FULL_SPEED_KILL_WITHIN_MS,
    }
    await killAndResume(
      allScenarios.find((s) => s.broker === 'rabbitmq')!,
      runs,
      expect,
    )
  }, 600_000)
})
