// The audit-log policy of every destructive command, as a user meets it (built CLI, real brokers): when the audit
// log cannot be written, purge, replay and import change nothing and exit 2 naming the path, at once (Node's
// recursive mkdir used to spin forever under /proc); when the line fails only after the change, the change stands,
// a warning says so and the exit is non-zero. What the brokers hold is asked of the brokers themselves: RabbitMQ's
// queue.declare-ok (exact at once, where the management API's counts lag by seconds), JetStream's stream info, and
// Kafka's own Java admin client.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import amqp from 'amqplib'
import {connect as natsConnect} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Envelope} from '../../src/model/envelope/types.js'
import {kafkaOffsets} from '../conformance/kafka-truth.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {type CliResult, jsonOf, runCli} from '../helpers/cli.js'
import {ndjson} from '../helpers/messaging.js'
import {
  kafkaDeadLetters,
  kafkaDelete,
  kafkaTopics,
  natsDeadLetters,
  natsDelete,
  natsStream,
  rabbitDeadLetters,
  rabbitDelete,
  rabbitQueue,
  startCli,
} from '../integration/replay-fixtures.js'

const SLOW = {timeout: 240_000}
/** A refusal is immediate; this is only the bound past which the run counts as hung (and is killed). */
const DEADLINE_MS = 30_000

const home = mkdtempSync(join(tmpdir(), 'mailroom-audit-e2e-'))
const regularFile = join(home, 'a-regular-file')
writeFileSync(regularFile, 'not a directory\n')

/** Paths no one can write, root included: chmod does not stop root, a regular file as a parent and procfs do. */
const UNWRITABLE = {
  'a path under /proc (mkdir answers ENOENT for ever)': `/proc/mailroom-audit-${process.pid}/audit.log`,
  'a path under a regular file': join(regularFile, 'mailroom', 'audit.log'),
}

const envelope = (i: number): Envelope => ({
  v: 1,
  broker: 'rabbitmq',
  target: 'x',
  headers: [['id', `imp-${i}`]],
  body: {utf8: `{"n":${i}}`},
})
const importFile = join(home, 'import.ndjson')
writeFileSync(importFile, ndjson([envelope(1), envelope(2)]))

function run(args: string[], auditLog: string): Promise<CliResult> {
  return runCli(args, {
    env: {MAILROOM_AUDIT_LOG: auditLog, XDG_STATE_HOME: join(home, 'state'), XDG_CONFIG_HOME: join(home, 'config')},
    timeoutMs: DEADLINE_MS,
    killSignal: 'SIGKILL',
  })
}

/** Exit 2 within the deadline, one error line naming the path (plus its suggestion), no stack trace. */
function expectRefused(r: CliResult, auditLog: string): void {
  expect(r.ms).toBeLessThan(DEADLINE_MS)
  expect(r.code, r.stderr).toBe(2)
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines[0]).toContain(`Error: the audit log ${auditLog} is not writable`)
  expect(lines[0]).toContain('nothing was changed')
  expect(lines.slice(1).every((l) => l.startsWith('  Try: '))).toBe(true)
  expect(r.stderr).not.toMatch(/\n\s+at /)
  expect(r.stdout).toBe('')
}

describe('audit log on RabbitMQ', SLOW, () => {
  const id = uniqueName('audit-rmq')
  const work = `${id}.work`
  const dlq = `${id}.dlq`
  const dest = `${id}.dest`
  let connection: amqp.ChannelModel
  let channel: amqp.Channel
  const depth = async (queue: string) => (await channel.checkQueue(queue)).messageCount

  beforeAll(async () => {
    await rabbitDeadLetters(work, dlq, 3)
    await rabbitQueue(dest)
    connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
    channel = await connection.createChannel()
  })
  afterAll(async () => {
    await connection?.close()
    await rabbitDelete(work, dlq, dest)
  })

  for (const [where, auditLog] of Object.entries(UNWRITABLE)) {
    it(`with ${where}: purge, replay and import change nothing and exit 2 naming the path`, async () => {
      expectRefused(await run(['dlq', 'purge', `rabbitmq:${dlq}`, '--yes'], auditLog), auditLog)
      expect(await depth(dlq)).toBe(3)
      expectRefused(await run(['dlq', 'replay', `rabbitmq:${dlq}`, '--yes'], auditLog), auditLog)
      expect(await depth(dlq)).toBe(3)
      expect(await depth(work)).toBe(0)
      expectRefused(await run(['dlq', 'import', importFile, '--to', `rabbitmq:${dest}`, '--yes'], auditLog), auditLog)
      expect(await depth(dest)).toBe(0)
    })
  }

  it('dlq replay --resume with an unwritable audit log: exit 2 naming the path, nothing more moves', async () => {
    const [resumeWork, resumeDlq] = [`${id}.resume.work`, `${id}.resume.dlq`]
    await rabbitDeadLetters(resumeWork, resumeDlq, 3)
    try {
      // An unfinished job (killed after its first message moved), since resuming a complete job changes nothing.
      const first = startCli(
        ['dlq', 'replay', `rabbitmq:${resumeDlq}`, '--rate', '1', '--yes', '--json'],
        join(home, 'state'),
        {MAILROOM_AUDIT_LOG: join(home, 'audit.log')},
      )
      await waitFor(async () => (await depth(resumeWork)) >= 1)
      first.kill()
      const replayId = (await first.done).stderr.match(/^replay (\S+): /m)?.[1]
      expect(replayId).toBeDefined()
      // What the killed run held unsettled goes back to the DLQ when its connection drops (a duplicate may stay at work).
      await waitFor(async () => (await depth(resumeDlq)) + (await depth(resumeWork)) >= 3)
      const before = [await depth(resumeDlq), await depth(resumeWork)]
      const auditLog = UNWRITABLE['a path under /proc (mkdir answers ENOENT for ever)']
      expectRefused(await run(['dlq', 'replay', '--resume', replayId!, '--yes'], auditLog), auditLog)
      expect([await depth(resumeDlq), await depth(resumeWork)]).toEqual(before)
    } finally {
      await rabbitDelete(resumeWork, resumeDlq)
    }
  })

  it('a line that fails after the change (a full disk: /dev/full opens, then refuses the write): the change stands, a warning names the path, exit 2', async () => {
    const replayed = await run(['dlq', 'replay', `rabbitmq:${dlq}`, '--yes', '--json'], '/dev/full')
    expect(replayed.ms).toBeLessThan(DEADLINE_MS)
    expect(replayed.code, replayed.stderr).toBe(2)
    const json = jsonOf(replayed)
    expect(json.result.counts.replayed).toBe(3)
    expect(json.warnings).toContainEqual(
      expect.stringMatching(/audit line could not be written to \/dev\/full \(ENOSPC\)/),
    )
    expect(await depth(dlq)).toBe(0)
    expect(await depth(work)).toBe(3)

    const purged = await run(['dlq', 'purge', `rabbitmq:${work}`, '--yes'], '/dev/full')
    expect(purged.ms).toBeLessThan(DEADLINE_MS)
    expect(purged.code, purged.stderr).toBe(2)
    expect(purged.stdout).toContain(`purged 3 message(s) from rabbitmq:${work}`)
    expect(purged.stderr).toMatch(
      /^warning: dlq purge rabbitmq:\S+ went ahead, but its audit line could not be written to \/dev\/full \(ENOSPC\)$/m,
    )
    expect(purged.stderr).not.toMatch(/\n\s+at /)
    expect(await depth(work)).toBe(0)

    const imported = await run(['dlq', 'import', importFile, '--to', `rabbitmq:${dest}`, '--yes'], '/dev/full')
    expect(imported.code, imported.stderr).toBe(2)
    expect(imported.stderr).toMatch(/audit line could not be written to \/dev\/full/)
    expect(await depth(dest)).toBe(2)
  })
})

describe('audit log on NATS JetStream', SLOW, () => {
  const id = uniqueName('AUDIT_NATS').replace(/[^A-Za-z0-9_-]/g, '_')
  const dlq = `${id}_DLQ`
  const dest = `${id}_DEST`
  const auditLog = UNWRITABLE['a path under /proc (mkdir answers ENOENT for ever)']

  async function messages(...streams: string[]): Promise<number[]> {
    const nc = await natsConnect({servers: 'nats://127.0.0.1:4222'})
    try {
      const jsm = await nc.jetstreamManager()
      return await Promise.all(streams.map(async (s) => (await jsm.streams.info(s)).state.messages))
    } finally {
      await nc.close()
    }
  }

  beforeAll(async () => {
    await natsDeadLetters(dlq, `${dlq}.in`, 3)
    await natsStream(dest, `${dest}.in`)
  })
  afterAll(() => natsDelete(dlq, dest))

  it('purge, replay and import change no stream and exit 2 naming the path', async () => {
    expect(await messages(dlq, dest)).toEqual([3, 0])
    expectRefused(await run(['dlq', 'purge', `nats:${dlq}`, '--yes'], auditLog), auditLog)
    expectRefused(await run(['dlq', 'replay', `nats:${dlq}`, '--to', `nats:${dest}.in`, '--yes'], auditLog), auditLog)
    expectRefused(await run(['dlq', 'import', importFile, '--to', `nats:${dest}.in`, '--yes'], auditLog), auditLog)
    expect(await messages(dlq, dest)).toEqual([3, 0])
  })
})

describe('audit log on Kafka', SLOW, () => {
  const id = uniqueName('audit-kafka')
  const origin = `${id}.origin`
  const dlt = `${id}.DLT`
  const auditLog = UNWRITABLE['a path under a regular file']

  /** Earliest/latest offsets and the replay group's commits, from Kafka's Java admin client. */
  function brokerState(): Promise<unknown> {
    return kafkaOffsets([origin, dlt], `mailroom-replay.${dlt}`)
  }

  beforeAll(async () => {
    await kafkaTopics([
      {topic: origin, partitions: 2},
      {topic: dlt, partitions: 1},
    ])
    await kafkaDeadLetters(origin, dlt, 3)
  })
  afterAll(() => kafkaDelete(origin, dlt))

  it('purge, replay and import change no offset and commit nothing, and exit 2 naming the path', async () => {
    const before = await brokerState()
    expect(before).toEqual({topics: {[origin]: {0: [0, 0], 1: [0, 0]}, [dlt]: {0: [0, 3]}}, group: {}})
    expectRefused(await run(['dlq', 'purge', `kafka:${dlt}`, '--yes'], auditLog), auditLog)
    expectRefused(await run(['dlq', 'replay', `kafka:${dlt}`, '--yes'], auditLog), auditLog)
    expectRefused(await run(['dlq', 'import', importFile, '--to', `kafka:${origin}`, '--yes'], auditLog), auditLog)
    expect(await brokerState()).toEqual(before)
  })
})
