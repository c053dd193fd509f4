// The DLQ view's multi-select, with the real services on the local RabbitMQ (a user's keys through the rendering
// harness): Space marks a message or a group, the header counts the marks, c clears them; the dry-run plan, the
// replay, the purge and the export act on exactly the marked messages. What moved is RabbitMQ's own answer (AMQP
// basic.get on the queues afterwards), the export is the file, the audit line is the log.
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import amqp from 'amqplib'
import {useInput} from 'ink'
import {type ReactNode, useMemo} from 'react'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {createAdapter} from '../../src/adapters/registry.js'
import type {BrokerAdapter} from '../../src/adapters/types.js'
import {DlqView} from '../../src/ui/components/DlqView.js'
import {eachKey} from '../../src/ui/components/TextInput.js'
import {type KeyRouter, KeyRouterContext} from '../../src/ui/hooks/use-screen-keys.js'
import {DashboardServices} from '../../src/ui/services.js'
import {localSettings, uniqueName, waitFor} from '../helpers/brokers.js'
import {KEYS, type Rendered, plainFrame, renderInk} from '../helpers/ink.js'
import {rabbitDeadLetters, rabbitDelete} from '../integration/replay-fixtures.js'

const home = mkdtempSync(join(tmpdir(), 'mailroom-multiselect-ui-'))
const auditLog = join(home, 'audit.log')
const SCREEN = {columns: 160, rows: 30}
const SLOW = 60_000

let r: Rendered | undefined
let adapter: BrokerAdapter | undefined
let connection: amqp.ChannelModel
let channel: amqp.Channel
const queues: string[] = []
const saved = {audit: process.env.MAILROOM_AUDIT_LOG, state: process.env.XDG_STATE_HOME}

beforeAll(async () => {
  process.env.MAILROOM_AUDIT_LOG = auditLog
  process.env.XDG_STATE_HOME = join(home, 'state')
  connection = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
  channel = await connection.createChannel()
})
afterEach(async () => {
  r?.unmount()
  await adapter?.close()
})
afterAll(async () => {
  for (const [name, value] of [
    ['MAILROOM_AUDIT_LOG', saved.audit],
    ['XDG_STATE_HOME', saved.state],
  ] as const) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  await connection.close()
  await rabbitDelete(...queues)
})

/** The app's key routing (one handler offering each key of a chunk to the screen), around the one screen under test. */
function Routed({children}: {children: ReactNode}) {
  const router = useMemo<KeyRouter>(() => ({}), [])
  useInput((chunk, chunkKey) => eachKey(chunk, chunkKey, (input, key) => void router.screen?.(input, key)))
  return <KeyRouterContext.Provider value={router}>{children}</KeyRouterContext.Provider>
}

/** The DLQ view of a fresh DLQ of 5 dead letters rejected from `<id>.work`, its messages pane focused. */
async function openDlq(): Promise<{dlq: string; work: string}> {
  const id = uniqueName('multiselect-ui')
  const dlq = `${id}.dlq`
  const work = `${id}.work`
  queues.push(work, dlq)
  await rabbitDeadLetters(work, dlq, 5)
  adapter = await createAdapter('rabbitmq', localSettings())
  const context = {readOnly: false, brokers: ['rabbitmq' as const], settings: localSettings(), config: {}, warnings: []}
  const services = new DashboardServices(context, new Map([['rabbitmq', adapter]]))
  r = renderInk(
    <Routed>
      <DlqView
        services={services}
        broker="rabbitmq"
        name={dlq}
        filter=""
        active
        width={SCREEN.columns}
        height={SCREEN.rows - 2}
        onOpenMessage={() => {}}
      />
    </Routed>,
    SCREEN,
  )
  await r.waitFor((f) => f.includes('Messages (5)') && f.includes('5 dead letter(s)'), SLOW)
  await r.press(KEYS.tab)
  await r.waitFor((f) => f.includes('▸ Messages'))
  return {dlq, work}
}

const plain = plainFrame

/** The work-N ids of the messages shown with a mark. */
function markedOnScreen(frame: string): string[] {
  return plain(frame)
    .split('\n')
    .filter((l) => l.trimStart().startsWith('● '))
    .map((l) => /work-\d/.exec(l)![0])
    .sort()
}

/** Marks the 2nd and 4th message of the list; returns their work-N ids as shown. */
async function markTwo(): Promise<string[]> {
  await r!.press('j', ' ', 'j', 'j', ' ')
  const frame = await r!.waitFor((f) => f.includes('2 marked'))
  const marked = markedOnScreen(frame)
  expect(marked).toHaveLength(2)
  return marked
}

/** Every message in a queue, by its work-N id (basic.get, acknowledged: the queue is emptied). */
async function drain(queue: string): Promise<string[]> {
  const ids: string[] = []
  for (let m = await channel.get(queue); m; m = await channel.get(queue)) {
    ids.push(/work-\d/.exec(m.content.toString())![0])
    channel.ack(m)
  }
  return ids.sort()
}

/** The view re-read the DLQ after the action (its peek holds messages while it reads): then the view goes. */
async function settled(depth: number): Promise<void> {
  await r!.waitFor((f) => f.includes(`· ${depth} dead letter(s)`), SLOW)
  r!.unmount()
  r = undefined
}

const idle = async (queue: string) => {
  const q = await channel.checkQueue(queue)
  return q.consumerCount === 0 ? q.messageCount : undefined
}

describe('marking in the DLQ view', {timeout: 180_000}, () => {
  it('Space marks and unmarks a message, a group marks all of its messages, the header counts, c clears', async () => {
    await openDlq()
    await r!.press(' ')
    let frame = await r!.waitFor((f) => f.includes('1 marked'))
    expect(markedOnScreen(frame)).toHaveLength(1)
    expect(frame).toContain('1 marked: d dry run · r replay · x purge · e export just these')
    await r!.press(' ')
    frame = await r!.waitFor((f) => !f.includes('marked'))
    expect(markedOnScreen(frame)).toEqual([])
    // The group pane: Space on the one group (all 5 rejected from <id>.work) marks all of them, ● on the group.
    await r!.press(KEYS.tab, ' ')
    frame = await r!.waitFor((f) => f.includes('5 marked'))
    expect(markedOnScreen(frame)).toHaveLength(5)
    expect(plain(frame)).toMatch(/^\s*●rabbitmq:/m)
    await r!.press(KEYS.tab, ' ')
    frame = await r!.waitFor((f) => f.includes('4 marked'))
    expect(plain(frame)).toMatch(/^\s*◐rabbitmq:/m)
    await r!.press('c')
    frame = await r!.waitFor((f) => !f.includes('marked'))
    expect(markedOnScreen(frame)).toEqual([])
  })

  it('keys that arrive in one chunk (a fast typist, tmux, a loaded machine) move and mark as typed one by one', async () => {
    await openDlq()
    await r!.press('j jj ')
    const frame = await r!.waitFor((f) => f.includes('2 marked'))
    const rows = plain(frame)
      .split('\n')
      .filter((l) => /^[● ] #\d/.test(l))
    expect(rows.map((l) => l.startsWith('●'))).toEqual([false, true, false, true, false])
  })

  it('the dry-run plan of 2 marked messages: the selection by id, the command that does the same, would replay exactly 2', async () => {
    const {dlq} = await openDlq()
    await markTwo()
    await r!.press('d')
    const frame = await r!.waitFor((f) => f.includes('would replay'), SLOW)
    expect(frame).toContain('would replay 2 of the 2 marked')
    expect(frame).toContain(`selection: 2 selected message(s): rabbitmq:${dlq}/`)
    expect(frame).toContain(`as a command: mailroom dlq replay rabbitmq:${dlq} --select rabbitmq:${dlq}/`)
    expect(frame).toContain(`→ rabbitmq:${dlq.replace(/\.dlq$/, '.work')}`)
  })
})

describe('actions on the marked messages', {timeout: 180_000}, () => {
  it('replay: the typed confirmation, then exactly the 2 marked are in the origin queue and the other 3 stay; the audit line names them', async () => {
    const {dlq, work} = await openDlq()
    const marked = await markTwo()
    await r!.press('r')
    await r!.waitFor((f) => f.includes('would replay 2 of the 2 marked'), SLOW)
    await r!.press(KEYS.enter)
    await r!.waitFor((f) => f.includes(`Type "${dlq}" to confirm`), SLOW)
    expect(r!.lastFrame()).toContain('the 2 marked message(s), moved safely')
    await r!.type(dlq)
    await r!.press(KEYS.enter)
    const frame = await r!.waitFor((f) => f.includes('replayed 2 of'), SLOW)
    expect(frame).not.toContain('not found')
    await settled(3)
    await waitFor(async () => (await idle(dlq)) === 3 && (await idle(work)) === 2, {timeoutMs: 30_000})
    expect(await drain(work)).toEqual(marked)
    const left = await drain(dlq)
    expect(left).toHaveLength(3)
    expect(left.filter((id) => marked.includes(id))).toEqual([])
    const line = readFileSync(auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((l) => l.target === `rabbitmq:${dlq}`)
    expect(line).toMatchObject({command: 'dlq replay', outcome: 'ok', counts: {replayed: 2}})
    expect(line.details.select).toHaveLength(2)
    for (const id of line.details.select) expect(id).toMatch(new RegExp(`^rabbitmq:${dlq}/[0-9a-f]{24}$`))
  })

  it('purge: exactly the 2 marked are gone, the other 3 stay; the audit line names them', async () => {
    const {dlq} = await openDlq()
    const marked = await markTwo()
    await r!.press('x')
    await r!.waitFor((f) => f.includes(`Type "${dlq}" to confirm`), SLOW)
    expect(r!.lastFrame()).toContain('2 message(s) of the 2 marked will be deleted for good')
    await r!.type(dlq)
    await r!.press(KEYS.enter)
    await r!.waitFor((f) => f.includes('2 message(s) deleted (consume-and-ack)'), SLOW)
    await settled(3)
    await waitFor(async () => (await idle(dlq)) === 3, {timeoutMs: 30_000})
    const left = await drain(dlq)
    expect(left).toHaveLength(3)
    expect(left.filter((id) => marked.includes(id))).toEqual([])
    const line = readFileSync(auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((l) => l.target === `rabbitmq:${dlq}`)
    expect(line).toMatchObject({
      command: 'dlq purge',
      outcome: 'ok',
      counts: {purged: 2},
      details: {method: 'consume-and-ack', from: 'dashboard'},
    })
    expect(line.details.select).toHaveLength(2)
  })

  it('export: the file holds exactly the 2 marked; the DLQ keeps all 5', async () => {
    const {dlq} = await openDlq()
    const marked = await markTwo()
    const file = join(home, `${dlq}.ndjson`)
    await r!.press('e')
    await r!.waitFor((f) => f.includes('Export the 2 marked message(s)'))
    // Replace the proposed file name with ours.
    await r!.press(...Array.from({length: 80}, () => KEYS.backspace))
    await r!.type(file)
    await r!.press(KEYS.enter)
    await r!.waitFor((f) => f.includes('2 message(s) written to'), SLOW)
    const exported = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => /work-\d/.exec(JSON.parse(l).body.utf8)![0])
      .sort()
    expect(exported).toEqual(marked)
    await waitFor(async () => (await idle(dlq)) === 5, {timeoutMs: 30_000})
  })
})
