// The dashboard says exactly what is there: help that keeps the header, names cut only when there is no room,
// reasons that say how many messages they were counted on, and sparklines that do not read "maxed out".
import {afterEach, describe, expect, test} from 'vitest'

import {App} from '../../src/ui/components/App.js'
import {DlqTable} from '../../src/ui/components/DlqTable.js'
import type {DlqRow} from '../../src/ui/hooks/use-overview.js'
import {KEY_SECTIONS} from '../../src/ui/keys.js'
import {sparkline} from '../../src/ui/sparkline.js'
import {type Rendered, renderInk} from '../helpers/ink.js'
import {fakeServices} from './fake-services.js'

let r: Rendered | undefined
afterEach(() => r?.unmount())

// eslint-disable-next-line no-control-regex
const plain = (frame: string) => frame.replace(/\u001B\[[0-9;]*m/g, '')

describe('the ? help', () => {
  for (const [columns, rows] of [
    [80, 24],
    [120, 35],
  ]) {
    test(`at ${columns}x${rows} it keeps the header on the first line and shows every section heading and key`, async () => {
      r = renderInk(<App services={fakeServices().services} intervalMs={50} />, {columns, rows})
      await r.waitFor((f) => f.includes('rabbitmq:orders'))
      await r.press('?')
      const frame = plain(await r.waitFor((f) => f.includes('Esc or ? closes this help')))
      const lines = frame.split('\n')
      expect(lines[0]).toMatch(/^mailroom dev › overview/)
      expect(lines[1]).toContain('● rabbitmq 3.10.8')
      // The last terminal line stays free: a frame as tall as the terminal scrolls the header away.
      expect(lines.length).toBeLessThanOrEqual(rows - 1)
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(columns)
      for (const section of KEY_SECTIONS) {
        expect(lines.some((l) => l.trim().startsWith(section.title))).toBe(true)
        for (const key of section.keys) expect(frame).toContain(key.keys)
      }
    })
  }
})

describe('the DLQ pane', () => {
  const long: DlqRow = {
    broker: 'rabbitmq',
    name: 'payments.settlement.europe-west.retry.dlq',
    kind: 'quorum-queue',
    depth: 1200,
    origins: [],
    detectedBy: [],
    reasons: [
      {reason: 'rejected', count: 150},
      {reason: 'expired', count: 50},
    ],
    reasonsSample: 200,
  }

  test('a wide terminal shows whole names; a narrow one cuts them in the middle', () => {
    r = renderInk(<DlqTable dlqs={[long]} selected={0} focused width={160} height={3} />, {columns: 160})
    expect(plain(r.lastFrame())).toContain('rabbitmq:payments.settlement.europe-west.retry.dlq ')
    r.unmount()
    r = renderInk(<DlqTable dlqs={[long]} selected={0} focused width={80} height={3} />)
    const narrow = plain(r.lastFrame())
    expect(narrow).toMatch(/rabbitmq:payments\.settl\S*…\S*west\.retry\.dlq/)
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThanOrEqual(80)
  })

  test('a DLQ deeper than the sample shows its depth and says the reasons come from its first messages', () => {
    r = renderInk(<DlqTable dlqs={[long]} selected={0} focused width={120} height={3} />, {columns: 120})
    expect(plain(r.lastFrame())).toMatch(/1,200 rejected 150 · expired 50 \(of the first 200\)/)
  })
})

test('a sparkline of a constant series is a flat line half way up, not full blocks; zero stays at the bottom', () => {
  expect(sparkline([6, 6, 6], 3)).toBe('▄▄▄')
  expect(sparkline([6, 6], 4, {ascii: true})).toBe('  ~~')
  expect(sparkline([0, 0], 2)).toBe('▁▁')
  expect(sparkline([0, 3, 6], 3)).toBe('▁▅█')
})

test('the key log: MAILROOM_DEBUG_LOG names the file; MAILROOM_DEBUG=1 alone uses the state directory; else none', async () => {
  const {debugLogPath} = await import('../../src/ui/debug.js')
  expect(debugLogPath({MAILROOM_DEBUG_LOG: '/tmp/keys.log'})).toBe('/tmp/keys.log')
  expect(debugLogPath({MAILROOM_DEBUG: '1', XDG_STATE_HOME: '/state'})).toBe('/state/mailroom/dashboard-debug.log')
  expect(debugLogPath({})).toBeUndefined()
})

test('the DLQ view of a DLQ deeper than it reads says its depth and how many it shows', async () => {
  const fake = fakeServices()
  const base = fake.services
  const services = Object.assign(Object.create(Object.getPrototypeOf(base)), base, {
    overview: async () => {
      const data = await base.overview()
      return {...data, targets: data.targets.map((t) => (t.name === 'orders.dlq' ? {...t, depth: 1200} : t))}
    },
    readDlq: async (...args: Parameters<typeof base.readDlq>) => {
      const contents = await base.readDlq(...args)
      return {...contents, stats: {...contents.stats, truncated: true}}
    },
  }) as typeof base
  r = renderInk(<App services={services} intervalMs={50} />)
  await r.waitFor((f) => f.includes('1,200'))
  await r.press('\t', '\r')
  await r.waitFor((f) => plain(f).includes('rabbitmq:orders.dlq · 1,200 dead letter(s), the first 3 shown'), 10_000)
})
