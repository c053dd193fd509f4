// The dashboard's replay and purge under the core audit policy, with the real services on the local RabbitMQ (a user's keys
// through the rendering harness): refused before the confirmation when the audit log cannot be written, audited
// when the purge fails, and a warning in the result when the line is lost after the change. The queue's depth is
// RabbitMQ's own answer (queue.declare-ok, with no consumer holding messages).
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import amqp from 'amqplib'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {createAdapter} from '../../src/adapters/registry.js'
import type {BrokerAdapter} from '../../src/adapters/types.js'
import {App} from '../../src/ui/components/App.js'
import {DashboardServices} from '../../src/ui/services.js'
import {localSettings, uniqueName, waitFor} from '../helpers/brokers.js'
import {KEYS, type Rendered, renderInk} from '../helpers/ink.js'
import {rabbitDeadLetters, rabbitDelete} from '../integration/replay-fixtures.js'

const home = mkdtempSync(join(tmpdir(), 'mailroom-audit-ui-'))
const regularFile = join(home, 'a-regular-file')
writeFileSync(regularFile, 'x')
const SCREEN = {columns: 200, rows: 40}
/** The shared broker holds every test's queues: the first listing can take a while on a loaded machine. */
const SLOW_FRAME = 60_000

let r: Rendered | undefined
let adapter: BrokerAdapter | undefined
let connection: amqp.ChannelModel
let channel: amqp.Channel
const queues: string[] = []
const savedAuditLog = process.env.MAILROOM_AUDIT_LOG

beforeAll(async () => {
  connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
  channel = await connection.createChannel()
})
afterEach(async () => {
  r?.unmount()
  await adapter?.close()
  if (savedAuditLog === undefined) delete process.env.MAILROOM_AUDIT_LOG
  else process.env.MAILROOM_AUDIT_LOG = savedAuditLog
})
afterAll(async () => {
  await connection.close()
  await rabbitDelete(...queues)
})

/** Opens the dashboard on a fresh DLQ of 3 dead letters (rejected from `<id>.work`) and shows it. */
async function openDlq(auditLog: string): Promise<{dlq: string; work: string}> {
  const id = uniqueName('audit-ui')
  const dlq = `${id}.dlq`
  const work = `${id}.work`
  queues.push(work, dlq)
  await rabbitDeadLetters(work, dlq, 3)
  process.env.MAILROOM_AUDIT_LOG = auditLog
  adapter = await createAdapter('rabbitmq', localSettings())
  const context = {readOnly: false, brokers: ['rabbitmq' as const], settings: localSettings(), config: {}, warnings: []}
  const services = new DashboardServices(context, new Map([['rabbitmq', adapter]]), 3000)
  r = renderInk(<App services={services} intervalMs={500} />, SCREEN)
  await r.waitFor((f) => f.includes('Dead-letter queues'), SLOW_FRAME)
  await r.press('/')
  await r.type(id)
  await r.press(KEYS.enter)
  // DLQ discovery runs on its own, slower cycle: the DLQ pane must list this one before Enter can open it.
  await r.waitFor((f) => f.includes('Dead-letter queues (1)') && f.includes('rejected 3'), SLOW_FRAME)
  await r.press(KEYS.tab, KEYS.enter)
  await r.waitFor((f) => f.includes('Messages (3)'), SLOW_FRAME)
  return {dlq, work}
}

async function purgeFromTheDashboard(auditLog: string): Promise<string> {
  const {dlq} = await openDlq(auditLog)
  await r!.press('x')
  return dlq
}

/** r: the dry-run plan, then Enter to go on to the replay. */
async function replayFromTheDashboard(auditLog: string): Promise<{dlq: string; work: string}> {
  const queues = await openDlq(auditLog)
  await r!.press('r')
  await r!.waitFor((f) => f.includes('would replay 3 of 3'), SLOW_FRAME)
  await r!.press(KEYS.enter)
  return queues
}

async function typeToConfirm(dlq: string): Promise<void> {
  await r!.waitFor((f) => f.includes(`Type "${dlq}" to confirm`), SLOW_FRAME)
  await r!.type(dlq)
  await r!.press(KEYS.enter)
}

const ready = async (queue: string) => {
  const q = await channel.checkQueue(queue)
  return q.consumerCount === 0 ? q.messageCount : undefined
}

describe('dashboard replay under the audit policy', {timeout: 180_000}, () => {
  it('an unwritable audit log: refused before the typed confirmation, naming the path; nothing moved', async () => {
    const auditLog = `/proc/mailroom-audit-ui-${process.pid}/audit.log`
    const {dlq, work} = await replayFromTheDashboard(auditLog)
    const frame = await r!.waitFor((f) => f.includes('Replay refused'), SLOW_FRAME)
    expect(frame).toContain(`CONFIG: the audit log ${auditLog} is not writable`)
    expect(frame).not.toContain('to confirm')
    await waitFor(async () => (await ready(dlq)) === 3 && (await ready(work)) === 0)
  })

  it('a line lost after the replay (/dev/full): the messages moved, the result carries the warning', async () => {
    const {dlq, work} = await replayFromTheDashboard('/dev/full')
    await typeToConfirm(dlq)
    const frame = await r!.waitFor((f) => f.includes('could not be written'), SLOW_FRAME)
    expect(frame).toContain('replayed 3 of 3 read')
    expect(frame).toContain('audit line could not be written to /dev/full (ENOSPC)')
    await waitFor(async () => (await ready(dlq)) === 0 && (await ready(work)) === 3)
  })
})

describe('dashboard purge under the audit policy', {timeout: 180_000}, () => {
  it('an unwritable audit log: refused before the typed confirmation, naming the path; nothing purged', async () => {
    const auditLog = join(regularFile, 'audit.log')
    const dlq = await purgeFromTheDashboard(auditLog)
    const frame = await r!.waitFor((f) => f.includes('Purge refused'), SLOW_FRAME)
    expect(frame).toContain(`CONFIG: the audit log ${auditLog} is not writable`)
    expect(frame).not.toContain('to confirm')
    await waitFor(async () => (await ready(dlq)) === 3)
  })

  it('a purge that fails after the confirmation is audited as failed', async () => {
    const auditLog = join(home, 'state', 'audit.log')
    const dlq = await purgeFromTheDashboard(auditLog)
    await r!.waitFor((f) => f.includes(`Type "${dlq}" to confirm`), SLOW_FRAME)
    await channel.deleteQueue(dlq)
    await r!.type(dlq)
    await r!.press(KEYS.enter)
    await r!.waitFor((f) => f.includes('Purge failed'), SLOW_FRAME)
    const lines = readFileSync(auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toEqual([
      expect.objectContaining({
        command: 'dlq purge',
        target: `rabbitmq:${dlq}`,
        outcome: 'failed',
        details: {method: 'purge', from: 'dashboard'},
      }),
    ])
  })

  it('a line lost after the purge (/dev/full): the purge stands, the result carries the warning', async () => {
    const dlq = await purgeFromTheDashboard('/dev/full')
    await typeToConfirm(dlq)
    const frame = await r!.waitFor((f) => f.includes('could not be written'), SLOW_FRAME)
    expect(frame).toContain('3 message(s) deleted')
    expect(frame).toContain('audit line could not be written to /dev/full (ENOSPC)')
    await waitFor(async () => (await ready(dlq)) === 0)
  })
})
