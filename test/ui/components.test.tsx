import chalk from 'chalk'
import {Text} from 'ink'
import {afterEach, describe, expect, test} from 'vitest'

import {ActionPanel} from '../../src/ui/components/ActionPanel.js'
import {Header} from '../../src/ui/components/Header.js'
import {HelpOverlay} from '../../src/ui/components/HelpOverlay.js'
import {ProgressBar} from '../../src/ui/components/ProgressBar.js'
import {TargetsTable} from '../../src/ui/components/TargetsTable.js'
import {TextInput} from '../../src/ui/components/TextInput.js'
import {deathLines, messageLines} from '../../src/ui/components/MessageView.js'
import {KEY_SECTIONS} from '../../src/ui/keys.js'
import {History, buildGroups, flattenGroups} from '../../src/ui/model.js'
import {ThemeContext} from '../../src/ui/theme.js'
import {KEYS, type Rendered, renderInk} from '../helpers/ink.js'
import {deadLetter} from './fake-services.js'

let r: Rendered | undefined
afterEach(() => r?.unmount())

const lines = (frame: string) => frame.split('\n')
// eslint-disable-next-line no-control-regex
const plain = (frame: string) => frame.replace(/\u001B\[[0-9;]*m/g, '')

describe('TargetsTable', () => {
  const rows = flattenGroups(
    buildGroups(
      Array.from({length: 40}, (_, i) => ({
        broker: 'kafka' as const,
        name: `a-rather-long-topic-name-number-${i}`,
        kind: 'topic' as const,
        depth: i * 1000,
      })),
      [
        {
          broker: 'kafka',
          target: 'a-rather-long-topic-name-number-3',
          consumer: 'billing',
          status: 'STALL',
          reason: '',
          lag: 42,
          windowSeconds: 2,
        },
      ],
      [],
    ),
  )

  test('fits 80 columns and the given height, keeping the selection visible', () => {
    r = renderInk(<TargetsTable rows={rows} history={new History(5)} selected={30} focused width={80} height={10} />)
    const frame = plain(r.lastFrame())
    expect(lines(frame)).toHaveLength(11)
    for (const line of lines(frame)) expect(line.length).toBeLessThanOrEqual(80)
    expect(frame).toContain('DEPTH')
    expect(frame).toContain('kafka:a-rather-…-name-number-29')
    expect(frame).toContain('29,000')
  })

  test('a consumer row sits under its target with its lag and status', () => {
    r = renderInk(<TargetsTable rows={rows} history={new History(5)} selected={0} focused width={80} height={10} />)
    expect(plain(r.lastFrame())).toMatch(/└ billing\s+-\s+42\s+-\s+-\s+STALL/)
  })

  test('a share group sits under its topic named with its type, its lag n/a', () => {
    const group = {type: 'share' as const, state: 'Stable', assignor: 'simple', epoch: 3, members: []}
    const share = {
      broker: 'kafka' as const,
      target: 'orders',
      consumer: 'pickers',
      status: 'OK' as const,
      reason: '',
      lagNotApplicable: 'share group',
      consumers: 2,
      windowSeconds: 0,
      group,
    }
    const shareRows = flattenGroups(
      buildGroups([{broker: 'kafka', name: 'orders', kind: 'topic', depth: 10}], [share], []),
    )
    r = renderInk(
      <TargetsTable rows={shareRows} history={new History(5)} selected={0} focused width={80} height={10} />,
    )
    expect(plain(r.lastFrame())).toMatch(/└ pickers \(share\)\s+-\s+n\/a\s+-\s+-\s+OK/)
  })
})

test('the help overlay lists every key of the key table and fits 80x24', () => {
  r = renderInk(<HelpOverlay width={80} height={22} />)
  const frame = plain(r.lastFrame())
  for (const section of KEY_SECTIONS) for (const key of section.keys) expect(frame).toContain(key.keys)
  expect(lines(frame).length).toBeLessThanOrEqual(22)
  for (const line of lines(frame)) expect(line.length).toBeLessThanOrEqual(80)
})

test('the progress bar shows the fraction and the counts', () => {
  r = renderInk(<ProgressBar done={5} total={20} width={40} />)
  expect(r.lastFrame()).toMatch(/^\[█+░+\]  25% 5\/20$/)
})

describe('TextInput', () => {
  test('types, deletes, submits and cancels', async () => {
    const events: string[] = []
    r = renderInk(
      <TextInput
        label="> "
        active
        onSubmit={(v) => events.push(`submit:${v}`)}
        onCancel={() => events.push('cancel')}
      />,
    )
    await r.type('orderz')
    await r.press(KEYS.backspace)
    await r.type('s')
    expect(plain(r.lastFrame())).toContain('> orders')
    await r.press(KEYS.enter, KEYS.escape)
    await r.waitFor(() => events.length === 2)
    expect(events).toEqual(['submit:orders', 'cancel'])
  })
})

describe('ActionPanel', () => {
  test('the typed confirmation shows what was typed, and says so when it does not match', () => {
    const state = {
      kind: 'confirm' as const,
      title: 'Purge rabbitmq:orders.dlq',
      detail: ['3 message(s)'],
      word: 'orders.dlq',
      typed: 'orders',
      mismatch: true,
      confirm() {},
      cancel() {},
    }
    r = renderInk(<ActionPanel state={state} width={80} />)
    const frame = plain(r.lastFrame())
    expect(frame).toContain('Type "orders.dlq" to confirm (Esc cancels): orders')
    expect(frame).toContain('That is not "orders.dlq": nothing was changed.')
  })

  test('progress shows a live bar', () => {
    const counts = {
      examined: 6,
      replayed: 5,
      filtered: 0,
      skipped: 1,
      failed: 0,
      possibleDuplicates: 0,
      deduplicated: 0,
    }
    r = renderInk(<ActionPanel state={{kind: 'progress', title: 'Replaying x', counts, total: 12}} width={60} />)
    const frame = plain(r.lastFrame())
    expect(frame).toContain(' 50% 6/12')
    expect(frame).toContain('replayed 5 · skipped 1 · failed 0')
  })
})

test('the message view shows headers, the death record field by field, and the body pretty or as hex', () => {
  const e = deadLetter(7, 'rejected')
  const pretty = messageLines(e, 'auto').join('\n')
  expect(pretty).toContain('order-id: ord-7')
  expect(pretty).toContain('    reason: rejected')
  expect(pretty).toContain('    origin: rabbitmq:orders')
  expect(pretty).toContain('"amount": 7')
  expect(messageLines(e, 'hex').join('\n')).toMatch(/00000000 {2}7b 22 69 64/)
  expect(deathLines(undefined)).toEqual([])
})

test('the death record names what failed, what Spring wrapped it in, and the Connect stage class that ran', () => {
  const lines = deathLines({
    reason: 'exception',
    error: {
      class: 'java.lang.IllegalStateException',
      message: 'amount < 0',
      wrapper: {
        class: 'org.springframework.kafka.listener.ListenerExecutionFailedException',
        message: 'Listener failed',
      },
      component: 'org.apache.kafka.connect.json.JsonConverter',
    },
  })
  expect(lines).toContain('    error: java.lang.IllegalStateException: amount < 0')
  expect(lines).toContain('    wrapped in: org.springframework.kafka.listener.ListenerExecutionFailedException')
  expect(lines).toContain('    failed in: org.apache.kafka.connect.json.JsonConverter')
})

test('NO_COLOR: no colour escape codes, only with colour on', () => {
  const tree = (color: boolean) => (
    <ThemeContext.Provider value={{color, unicode: true}}>
      <ProgressBar done={1} total={2} width={30} />
      <Text> </Text>
    </ThemeContext.Provider>
  )
  r = renderInk(tree(false))
  // eslint-disable-next-line no-control-regex
  expect(r.lastFrame()).not.toMatch(/\u001B\[3\dm/)
  r.unmount()
  const level = chalk.level
  chalk.level = 1 // the test has no terminal: let Ink's chalk emit colour once the theme asks for it
  r = renderInk(tree(true))
  chalk.level = level
  // eslint-disable-next-line no-control-regex
  expect(r.lastFrame()).toMatch(/\u001B\[32m/)
})

describe('Header', () => {
  test('names the replication shortfalls of each broker beside it, and nothing for a healthy one', () => {
    const brokers = [
      {broker: 'kafka' as const, up: true, info: {product: 'kafka', version: '4.1.1', latencyMs: 1}},
      {broker: 'nats' as const, up: true, info: {product: 'nats-server', version: '2.10', latencyMs: 1}},
    ]
    const problem = (kind: 'under-replicated' | 'offline', partition: number) => ({
      broker: 'kafka' as const,
      kind,
      target: 'orders',
      partition,
      message: '',
    })
    r = renderInk(
      <Header
        readOnly={false}
        brokers={brokers}
        intervalMs={2000}
        title="overview"
        replication={[problem('under-replicated', 0), problem('under-replicated', 1), problem('offline', 2)]}
      />,
      {columns: 120},
    )
    const second = lines(plain(r.lastFrame()))[1]!
    expect(second).toMatch(/kafka 4\.1\.1 ⚠ 2 under-replicated, 1 offline\s+● nats 2\.10\s*$/)
  })
})
