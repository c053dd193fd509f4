// The live progress line of long runs (publish, dlq export/import/replay, tail --until-end): drawn on stderr when it
// is a terminal (a pseudo-terminal made by util-linux `script`), absent when it is not; the replay id on stderr at
// once in --json mode, usable for --resume after a kill -9. Counts are checked on the brokers themselves.
import {execFile, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import amqp from 'amqplib'
import {afterAll, describe, expect, it, vi} from 'vitest'

import {heldRecords, headerText, topicRecords} from '../conformance/kafka-truth.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {type CliResult, isolatedConfigHome, jsonOf, runCli} from '../helpers/cli.js'
import {
  CLI,
  journaledCount,
  kafkaDeadLetters,
  kafkaDelete,
  kafkaTopics,
  rabbitDelete,
  rabbitQueue,
  runCliWithState,
  stateHome,
} from '../integration/replay-fixtures.js'

vi.setConfig({testTimeout: 180_000})

const queues: string[] = []
const topics: string[] = []

afterAll(async () => {
  await rabbitDelete(...queues)
  await kafkaDelete(...topics).catch(() => undefined)
})

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/**
 * Runs the CLI with stderr on a pseudo-terminal (`script -qec`) and stdout in a file, as `mailroom ... > file`
 * typed in a terminal (`stdoutToo`: without the redirection). `terminal` is what the terminal received, CRs and
 * escapes included.
 */
function runInTerminal(
  args: string[],
  o: {stdoutToo?: boolean} = {},
): Promise<{code: number; terminal: string; stdout: string}> {
  const state = stateHome()
  const stdoutFile = join(mkdtempSync(join(tmpdir(), 'mailroom-pty-')), 'stdout')
  const command = `${quote(process.execPath)} ${quote(CLI)} ${args.map(quote).join(' ')}${o.stdoutToo ? '' : ` > ${quote(stdoutFile)}`}`
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TERM: 'xterm',
    NO_COLOR: '1',
    XDG_STATE_HOME: state,
    XDG_CONFIG_HOME: isolatedConfigHome(),
  }
  delete env.MAILROOM_DEBUG
  return new Promise((resolve) => {
    const child = execFile(
      'script',
      ['-qec', command, '/dev/null'],
      {env, encoding: 'utf8', timeout: 150_000, maxBuffer: 64 * 1024 * 1024},
      (error, terminal) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({code, terminal, stdout: o.stdoutToo ? '' : readFileSync(stdoutFile, 'utf8')})
      },
    )
    child.stdin?.end()
  })
}

/** The progress lines drawn: every `\r`-started segment that is not just the erase before the summary. */
function progressLines(terminal: string): string[] {
  return (
    terminal
      .split(/\r\n|\n/)
      .flatMap((line) => line.split('\r'))
      // eslint-disable-next-line no-control-regex -- the terminal escapes are what is asserted
      .map((segment) => segment.replace(/\x1b\[K$/, ''))
      .filter((segment) => segment !== '' && !segment.startsWith('\x1b[K'))
  )
}

/** The summary is on a line of its own, right after the progress line was erased. */
function expectSummaryAfterErase(terminal: string, summary: string): void {
  expect(terminal).toContain(`\r\x1b[K${summary}`)
}

/** Stderr of a run that is not on a terminal: no carriage return, no escape, nothing but the given lines. */
function expectNoProgress(r: CliResult): void {
  // eslint-disable-next-line no-control-regex -- the terminal escapes are what is asserted
  expect(r.stderr).not.toMatch(/[\r\x1b]/)
}

async function rabbitDepth(queue: string): Promise<number> {
  const c = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
  try {
    return (await (await c.createChannel()).checkQueue(queue)).messageCount
  } finally {
    await c.close()
  }
}

async function kafkaDeadLetterTopic(n: number): Promise<{origin: string; dlt: string; ids: string[]}> {
  const [origin, dlt] = [uniqueName('progress-origin'), uniqueName('progress-dlt')]
  topics.push(origin, dlt)
  await kafkaTopics([
    {topic: origin, partitions: 2},
    {topic: dlt, partitions: 2},
  ])
  return {origin, dlt, ids: await kafkaDeadLetters(origin, dlt, n)}
}

describe('progress of publish --count', () => {
  it('draws done/total, percent, rate and ETA on a terminal, then erases it before the summary', async () => {
    const queue = uniqueName('progress-pub')
    queues.push(queue)
    await rabbitQueue(queue)
    const r = await runInTerminal(['publish', `rabbitmq:${queue}`, 'x', '--count', '5000'])
    expect(r.code, r.terminal).toBe(0)
    const lines = progressLines(r.terminal)
    expect(
      lines.some((l) => /^published [\d,]+\/5,000 \(\d+%\), [\d,]+\/s/.test(l)),
      r.terminal,
    ).toBe(true)
    expectSummaryAfterErase(r.terminal, 'published 5000 to rabbitmq:')
    expect(await rabbitDepth(queue)).toBe(5000)
  })

  it('prints only the summary when stderr is not a terminal', async () => {
    const queue = uniqueName('progress-pub-pipe')
    queues.push(queue)
    await rabbitQueue(queue)
    const r = await runCli(['publish', `rabbitmq:${queue}`, 'x', '--count', '5000'])
    expect(r.code, r.stderr).toBe(0)
    expectNoProgress(r)
    expect(r.stderr).toMatch(/^published 5000 to rabbitmq:\S+ in \d+ ms \(\d+\/s\)\n$/)
    expect(await rabbitDepth(queue)).toBe(5000)
  })
})

describe('progress of dlq export, tail --until-end, dlq import and dlq replay', () => {
  it('shows done/total and rate for each on a terminal, and only the summaries off one', async () => {
    const {origin, dlt} = await kafkaDeadLetterTopic(3000)
    const dir = mkdtempSync(join(tmpdir(), 'mailroom-progress-'))
    const file = join(dir, 'dlt.ndjson')

    const exported = await runInTerminal(['dlq', 'export', `kafka:${dlt}`, '--output-file', file])
    expect(exported.code, exported.terminal).toBe(0)
    expect(
      progressLines(exported.terminal).some((l) => /^exported [\d,]+\/3,000 \(\d+%\), [\d,]+\/s/.test(l)),
      exported.terminal,
    ).toBe(true)
    expectSummaryAfterErase(exported.terminal, `exported 3000 message(s) from kafka:${dlt}`)
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3000)

    const tailed = await runInTerminal(['tail', `kafka:${dlt}`, '--until-end', '-o', 'ndjson'])
    expect(tailed.code, tailed.terminal).toBe(0)
    expect(
      progressLines(tailed.terminal).some((l) => /^read [\d,]+\/3,000 \(\d+%\), [\d,]+\/s/.test(l)),
      tailed.terminal,
    ).toBe(true)
    expectSummaryAfterErase(tailed.terminal, '3000 message(s); stopped: end')
    expect(tailed.stdout.trim().split('\n')).toHaveLength(3000)
    // Printing the messages to the same terminal: no progress line tearing them apart.
    const shown = await runInTerminal(['tail', `kafka:${dlt}`, '--until-end'], {stdoutToo: true})
    expect(shown.code, shown.terminal).toBe(0)
    expect(shown.terminal).toContain('3000 message(s); stopped: end')
    expect(progressLines(shown.terminal).filter((l) => /^read [\d,]+/.test(l))).toEqual([])

    const queue = uniqueName('progress-import')
    queues.push(queue)
    await rabbitQueue(queue)
    const imported = await runInTerminal(['dlq', 'import', file, '--to', `rabbitmq:${queue}`, '--yes'])
    expect(imported.code, imported.terminal).toBe(0)
    expect(
      progressLines(imported.terminal).some((l) => /^imported [\d,]+\/3,000 \(\d+%\), [\d,]+\/s/.test(l)),
      imported.terminal,
    ).toBe(true)
    expectSummaryAfterErase(imported.terminal, `imported 3000 of 3000 message(s) into rabbitmq:${queue}`)
    expect(await rabbitDepth(queue)).toBe(3000)

    const replayed = await runInTerminal(['dlq', 'replay', `kafka:${dlt}`, '--yes'])
    expect(replayed.code, replayed.terminal).toBe(0)
    expect(
      progressLines(replayed.terminal).some((l) =>
        /^replay: read [\d,]+\/3,000 \(\d+%\), [\d,]+ replayed, [\d,]+\/s/.test(l),
      ),
      replayed.terminal,
    ).toBe(true)
    expect(replayed.stdout).toMatch(/^replay \S+: replayed 3000 of 3000 read/)
    expect(await heldRecords(origin)).toBe(3000)

    // The same runs off a terminal: the summaries, nothing else.
    const pipedExport = await runCli(['dlq', 'export', `kafka:${dlt}`, '--output-file', join(dir, 'again.ndjson')])
    expect(pipedExport.code, pipedExport.stderr).toBe(0)
    expectNoProgress(pipedExport)
    expect(pipedExport.stderr).toBe(`exported 3000 message(s) from kafka:${dlt} to ${join(dir, 'again.ndjson')}\n`)
    const pipedTail = await runCli(['tail', `kafka:${dlt}`, '--until-end', '-o', 'ndjson'])
    expect(pipedTail.code, pipedTail.stderr).toBe(0)
    expect(pipedTail.stderr).toBe('3000 message(s); stopped: end\n')
    const pipedImport = await runCli(['dlq', 'import', file, '--to', `rabbitmq:${queue}`, '--yes'])
    expect(pipedImport.code, pipedImport.stderr).toBe(0)
    expect(pipedImport.stderr).toBe(`imported 3000 of 3000 message(s) into rabbitmq:${queue}\n`)
    expect(await rabbitDepth(queue)).toBe(6000)
  })
})

describe('dlq replay --json', () => {
  it('prints the replay id on stderr at once, the id of the JSON result, and no progress off a terminal', async () => {
    const {origin, dlt} = await kafkaDeadLetterTopic(300)
    const r = await runCliWithState(['dlq', 'replay', `kafka:${dlt}`, '--yes', '--json'], stateHome())
    expect(r.code, r.stderr).toBe(0)
    expectNoProgress(r)
    const announced = /^replay (\S+): move up to 300 messages out of kafka:\S+ \(journal \S+\.jsonl\)\n/.exec(r.stderr)
    expect(announced, r.stderr).not.toBeNull()
    expect(announced![1]).toBe(jsonOf(r).result.replayId)
    expect(await heldRecords(origin)).toBe(300)
  })

  it('the id printed at the start of a run killed with -9 resumes it: --resume <id> replays the rest', async () => {
    const {origin, dlt, ids} = await kafkaDeadLetterTopic(400)
    const state = stateHome()
    const run = spawn(
      process.execPath,
      [CLI, 'dlq', 'replay', `kafka:${dlt}`, '--yes', '--json', '--rate', '100', '--window', '20'],
      {
        env: {...process.env, NO_COLOR: '1', XDG_STATE_HOME: state, XDG_CONFIG_HOME: join(state, 'config')},
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let [stdout, stderr] = ['', '']
    run.stdout.on('data', (d) => (stdout += d))
    run.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<string | null>((resolve) => run.on('exit', (_code, signal) => resolve(signal)))
    // Only what the run printed: the id, as soon as something of the replay is journaled.
    let replayId: string | undefined
    await waitFor(
      () => {
        replayId = /^replay (\S+):/.exec(stderr)?.[1]
        return replayId !== undefined && journaledCount(state, replayId) > 0
      },
      {timeoutMs: 60_000, intervalMs: 20},
    )
    run.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    expect(stdout).toBe('')
    expect(await heldRecords(origin)).toBeLessThan(400)
    const resumed = await runCliWithState(['dlq', 'replay', '--resume', replayId!, '--yes', '--json'], state)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(jsonOf(resumed).result.replayId).toBe(replayId)
    const atOrigin = new Set((await topicRecords(origin)).map((rec) => headerText(rec, 'id')))
    expect(ids.filter((id) => !atOrigin.has(id))).toEqual([])
    expect(await heldRecords(origin)).toBeGreaterThanOrEqual(400)
  })
})
