// The destination broker dies in the middle of a replay (a RabbitMQ DLQ into JetStream on a throwaway
// nats-server, killed with SIGKILL): the replay stops with a clear message and exit 8, nothing is lost (every id is
// in the DLQ or in the destination stream, read back after restarting the server on the same storage), and
// --resume completes the job once the server is back.
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf} from '../helpers/cli.js'
import {
  duplicates,
  journalIds,
  journaledCount,
  natsIds,
  natsStream,
  rabbitDeadLetters,
  rabbitDelete,
  rabbitIds,
  runCliWithState,
  startCli,
  stateHome,
} from './replay-fixtures.js'

const MESSAGES = 400
const WINDOW = 20
const store = mkdtempSync(join(tmpdir(), 'mailroom-nats-store-'))
let server: ChildProcess | undefined
const queues: string[] = []

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address() as {port: number}
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

async function startNats(port: number): Promise<ChildProcess> {
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], {stdio: 'ignore'})
  const url = `nats://127.0.0.1:${port}`
  await waitFor(
    async () => {
      try {
        await natsIds('none', url)
        return true
      } catch (error) {
        return /not found|no stream|NOT_FOUND/i.test(String((error as Error).message ?? error))
      }
    },
    {timeoutMs: 20_000},
  )
  return child
}

afterAll(async () => {
  server?.kill('SIGKILL')
  await rabbitDelete(...queues)
})

describe('destination unreachable in the middle of a replay', () => {
  it('stops with a clear message and exit 8, loses nothing, and resumes', async () => {
    const port = await freePort()
    const url = `nats://127.0.0.1:${port}`
    server = await startNats(port)
    const [work, dlq] = [uniqueName('ru-work'), uniqueName('ru-dlq')]
    queues.push(work, dlq)
    const stream = uniqueName('RUDEST').replace(/-/g, '_')
    await natsStream(stream, `${stream}.in`, url)
    const ids = await rabbitDeadLetters(work, dlq, MESSAGES)
    const state = stateHome()
    const args = [
      'dlq',
      'replay',
      `rabbitmq:${dlq}`,
      '--to',
      `nats:${stream}`,
      '--nats-url',
      url,
      '--yes',
      '--json',
      '--window',
      String(WINDOW),
      '--rate',
      '400',
    ]

    const run = startCli(args, state)
    await waitFor(() => journalIds(state).length > 0 && journaledCount(state, journalIds(state)[0]!) >= 40, {
      timeoutMs: 30_000,
      intervalMs: 5,
    })
    server.kill('SIGKILL')
    const first = await run.done

    expect(first.code, first.stderr).toBe(8)
    const report = jsonOf(first).result
    expect(report.stopped.message).toMatch(new RegExp(`destination nats:${stream} became unreachable`))
    expect(report.counts.replayed).toBeGreaterThanOrEqual(40)
    expect(report.counts.replayed).toBeLessThan(MESSAGES)
    expect(first.ms).toBeLessThan(60_000)

    server = await startNats(port)
    const inDlq = await rabbitIds(dlq)
    const atDestination = await natsIds(stream, url)
    const seen = new Set([...inDlq, ...atDestination])
    expect(
      ids.filter((id) => !seen.has(id)),
      'lost',
    ).toEqual([])
    expect(inDlq.length).toBe(MESSAGES - report.counts.replayed)

    const [replayId] = journalIds(state)
    const second = await runCliWithState(
      ['dlq', 'replay', '--resume', replayId!, '--nats-url', url, '--yes', '--json'],
      state,
    )
    expect(second.code, second.stderr).toBe(0)
    expect(await rabbitIds(dlq)).toEqual([])
    const final = await natsIds(stream, url)
    expect(new Set(final)).toEqual(new Set(ids))
    expect(duplicates(final)).toBeLessThanOrEqual(WINDOW)
  }, 180_000)
})
