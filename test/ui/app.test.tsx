import {afterEach, describe, expect, test} from 'vitest'

import {App} from '../../src/ui/components/App.js'
import {KEY_SECTIONS} from '../../src/ui/keys.js'
import {KEYS, type Rendered, renderInk} from '../helpers/ink.js'
import {fakeServices} from './fake-services.js'

let r: Rendered | undefined
afterEach(() => r?.unmount())

// eslint-disable-next-line no-control-regex
const plain = (frame: string) => frame.replace(/\u001B\[[0-9;]*m/g, '')
const fitsTerminal = (frame: string, columns: number, rows: number) => {
  const lines = plain(frame).split('\n')
  expect(lines.length).toBeLessThanOrEqual(rows)
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(columns)
}

function start(o: Parameters<typeof fakeServices>[0] = {}, size = {columns: 80, rows: 24}) {
  const fake = fakeServices(o)
  r = renderInk(<App services={fake.services} intervalMs={50} />, size)
  return fake
}

describe('dashboard app', () => {
  test('the overview at 80x24: brokers, targets with lag and status, DLQs with counts by reason', async () => {
    start()
    const frame = plain(await r!.waitFor((f) => f.includes('rejected 2')))
    expect(frame).toContain('● rabbitmq 3.10.8')
    expect(frame).toMatch(/rabbitmq:orders\s+18\s+18\s+-\s+-\s+STOP/)
    expect(frame).toMatch(/rabbitmq:orders\.dlq\s+3 rejected 2 · expired 1/)
    fitsTerminal(r!.lastFrame(), 80, 24)
  })

  test('follows a resize and stays within the terminal', async () => {
    start({targets: 200})
    await r!.waitFor((f) => f.includes('topic-000'))
    r!.resize(100, 30)
    await r!.waitFor((f) => plain(f).split('\n').length > 24)
    fitsTerminal(r!.lastFrame(), 100, 30)
    r!.resize(80, 24)
    await r!.waitFor((f) => plain(f).split('\n').length <= 24)
    fitsTerminal(r!.lastFrame(), 80, 24)
  })

  test('? opens the help with every key; Esc closes it', async () => {
    start()
    await r!.waitFor((f) => f.includes('rabbitmq:orders'))
    await r!.press('?')
    const help = plain(await r!.waitFor((f) => f.includes('Keys')))
    for (const section of KEY_SECTIONS) for (const key of section.keys) expect(help).toContain(key.keys)
    await r!.press(KEYS.escape)
    await r!.waitFor((f) => f.includes('Targets and consumers'))
  })

  test('/ filters the overview, s sorts', async () => {
    start({targets: 30})
    await r!.waitFor((f) => f.includes('topic-000'))
    await r!.press('/')
    await r!.type('topic-02')
    await r!.press(KEYS.enter)
    const frame = plain(await r!.waitFor((f) => f.includes('filter: topic-02')))
    expect(frame).toContain('kafka:topic-029')
    expect(frame).not.toContain('rabbitmq:orders ')
    await r!.press('s', 's')
    await r!.waitFor((f) => f.includes('sort: depth'))
    expect(plain(r!.lastFrame()).indexOf('topic-029')).toBeLessThan(plain(r!.lastFrame()).indexOf('topic-020'))
  })

  test('DLQ triage: open the DLQ, see it by reason, dry run, replay with the typed name, see it empty', async () => {
    const fake = start()
    await r!.waitFor((f) => f.includes('rejected 2'))
    await r!.press(KEYS.tab, KEYS.enter)
    const view = plain(await r!.waitFor((f) => f.includes('Messages (3)')))
    expect(view).toMatch(/rabbitmq:orders\s+rejected\s+2/)
    expect(view).toContain('[expired]')
    await r!.press('r')
    await r!.waitFor((f) => f.includes('would replay 3 of 3'))
    await r!.press(KEYS.enter)
    await r!.waitFor((f) => f.includes('Type "orders.dlq" to confirm'))
    expect(fake.calls.filter((c) => c !== 'readDlq')).toEqual(['plan', 'replay:confirming'])
    await r!.type('orders')
    await r!.press(KEYS.enter)
    await r!.waitFor((f) => f.includes('That is not "orders.dlq"'))
    expect(fake.calls).not.toContain('replay:confirmed')
    await r!.type('.dlq')
    await r!.press(KEYS.enter)
    await r!.waitFor((f) => f.includes('replayed 3 of 3 read'))
    expect(fake.calls).toContain('replay:confirmed')
    await r!.press(KEYS.enter)
    await r!.waitFor((f) => f.includes('0 dead letter(s)'))
    // Esc goes back to the overview.
    await r!.press(KEYS.escape)
    await r!.waitFor((f) => f.includes('Dead-letter queues'))
  })

  test('Esc at the typed confirmation changes nothing', async () => {
    const fake = start()
    await r!.waitFor((f) => f.includes('rejected 2'))
    await r!.press(KEYS.tab, KEYS.enter)
    await r!.waitFor((f) => f.includes('Messages (3)'))
    await r!.press('x')
    await r!.waitFor((f) => f.includes('Type "orders.dlq" to confirm'))
    await r!.press(KEYS.escape)
    await r!.waitFor((f) => f.includes('d dry run'))
    expect(fake.calls).not.toContain('purge')
    expect(plain(r!.lastFrame())).toContain('Messages (3)')
  })

  test('keys typed faster than renders still go where they belong', async () => {
    const fake = start()
    await r!.waitFor((f) => f.includes('rejected 2'))
    // Tab then Enter in one burst: the Enter must open the DLQ (the pane it just moved to), not a target.
    await r!.burst(KEYS.tab, KEYS.enter)
    await r!.waitFor((f) => f.includes('Messages (3)'))
    await r!.press('x')
    await r!.waitFor((f) => f.includes('Type "orders.dlq"'))
    // Typing and Esc in one burst: the text goes to the dialog, Esc closes only the dialog, the view stays.
    await r!.burst('q', '/', KEYS.escape)
    await r!.waitFor((f) => f.includes('d dry run'))
    expect(plain(r!.lastFrame())).toContain('Messages (3)')
    expect(fake.calls).not.toContain('purge')
  })

  test('a read-only context offers no action', async () => {
    const fake = start({readOnly: true})
    await r!.waitFor((f) => f.includes('rejected 2'))
    expect(plain(r!.lastFrame())).toContain('[read-only]')
    await r!.press(KEYS.tab, KEYS.enter)
    await r!.waitFor((f) => f.includes('read-only context: no actions'))
    await r!.press('r')
    await r!.waitFor((f) => f.includes('is read-only'))
    expect(fake.calls).not.toContain('plan')
  })

  test('Enter on a message opens it; b switches to hex', async () => {
    start()
    await r!.waitFor((f) => f.includes('rejected 2'))
    await r!.press(KEYS.tab, KEYS.enter)
    await r!.waitFor((f) => f.includes('Messages (3)'))
    await r!.press(KEYS.tab, KEYS.enter)
    const message = plain(await r!.waitFor((f) => f.includes('Death record')))
    expect(message).toContain('reason: rejected')
    await r!.press('b')
    await r!.waitFor((f) => f.includes('body: hex'))
  })
})
