import {describe, expect, test} from 'vitest'

import type {TargetInfo} from '../../src/adapters/types.js'
import type {LagRow} from '../../src/core/lag/model.js'
import {clamp, count, fit, fitMiddle, visibleWindow} from '../../src/ui/format.js'
import {
  History,
  buildGroups,
  filterGroups,
  flattenGroups,
  groupLine,
  groupStatus,
  sortGroups,
} from '../../src/ui/model.js'
import {sparkline} from '../../src/ui/sparkline.js'

const targets: TargetInfo[] = [
  {broker: 'rabbitmq', name: 'orders', kind: 'classic-queue', depth: 18},
  {broker: 'rabbitmq', name: 'orders.dlq', kind: 'classic-queue', depth: 12},
  {broker: 'kafka', name: 'events', kind: 'topic', depth: 300, partitions: 3},
]
const lag: LagRow[] = [
  {
    broker: 'rabbitmq',
    target: 'orders',
    consumer: 'orders',
    status: 'STOP',
    reason: 'no consumer',
    lag: 18,
    consumers: 0,
    windowSeconds: 2,
  },
  {
    broker: 'kafka',
    target: 'events',
    consumer: 'billing',
    status: 'WARN',
    reason: 'growing',
    lag: 150,
    windowSeconds: 2,
  },
  {broker: 'kafka', target: 'events', consumer: 'audit', status: 'OK', reason: 'ok', lag: 0, windowSeconds: 2},
  {broker: 'nats', target: '*', consumer: '*', status: 'ERR', reason: 'down', windowSeconds: 0},
]

describe('overview rows', () => {
  test('a Kafka consumer row carries its group: protocol, state, assignor, epoch and members with their partitions', () => {
    const group = {
      type: 'consumer' as const,
      protocol: 'consumer' as const,
      state: 'Stable',
      assignor: 'uniform',
      epoch: 4,
      members: [{memberId: 'a', clientId: 'billing-1', host: '/10.0.0.7', partitions: [0, 2]}],
    }
    const [events] = buildGroups([targets[2]], [{...lag[1], group}], [])
    expect(events.consumers[0].group).toEqual(group)
    expect(groupLine(group)).toBe('consumer · Stable · uniform · epoch 4 · billing-1@/10.0.0.7 [0,2]')
    expect(groupLine({type: 'classic', protocol: 'classic', state: 'Empty', members: []})).toBe(
      'classic · Empty · no members',
    )
    expect(groupLine({type: 'share', state: 'Stable', assignor: 'simple', epoch: 3, members: []})).toBe(
      'share · Stable · simple · epoch 3 · no members',
    )
  })

  test('a queue is its own consumer: its lag row merges into the target row; groups become children', () => {
    const groups = buildGroups(targets, lag, [{broker: 'rabbitmq', name: 'orders.dlq'}])
    const orders = groups.find((g) => g.row.key === 'rabbitmq:orders')!
    expect(orders.row).toMatchObject({depth: 18, lag: 18, status: 'STOP', consumers: 0})
    expect(orders.consumers).toEqual([])
    const events = groups.find((g) => g.row.key === 'kafka:events')!
    expect(events.consumers.map((c) => c.consumer)).toEqual(['audit', 'billing'])
    expect(groupStatus(events)).toBe('WARN')
    expect(groups.find((g) => g.row.key === 'rabbitmq:orders.dlq')!.row.isDlq).toBe(true)
    // A broker that could not be read keeps an ERR row.
    expect(groups.find((g) => g.row.key === 'nats:*')!.row.status).toBe('ERR')
  })

  test('sorts by name, lag, depth and status; consumers stay under their target', () => {
    const groups = buildGroups(targets, lag, [])
    expect(sortGroups(groups, 'name').map((g) => g.row.key)).toEqual([
      'kafka:events',
      'nats:*',
      'rabbitmq:orders',
      'rabbitmq:orders.dlq',
    ])
    expect(sortGroups(groups, 'lag')[0].row.key).toBe('kafka:events')
    expect(
      sortGroups(groups, 'depth')
        .map((g) => g.row.key)
        .slice(0, 2),
    ).toEqual(['kafka:events', 'rabbitmq:orders'])
    expect(
      sortGroups(groups, 'status')
        .map((g) => g.row.key)
        .slice(0, 3),
    ).toEqual(['nats:*', 'rabbitmq:orders', 'kafka:events'])
    const rows = flattenGroups(sortGroups(groups, 'name'))
    expect(rows.slice(0, 3).map((r) => r.consumer ?? r.target)).toEqual(['events', 'audit', 'billing'])
  })

  test('a filter matching a consumer keeps its target; matching a target keeps all its consumers', () => {
    const groups = buildGroups(targets, lag, [])
    expect(flattenGroups(filterGroups(groups, 'BILL')).map((r) => r.consumer ?? r.target)).toEqual([
      'events',
      'billing',
    ])
    expect(flattenGroups(filterGroups(groups, 'kafka:ev')).length).toBe(3)
    expect(filterGroups(groups, '  ').length).toBe(groups.length)
  })

  test('history keeps the last samples of rows still present, for lag and depth', () => {
    const history = new History(3)
    const lagged = (i: number) => lag.map((r) => ({...r, lag: r.lag === undefined ? undefined : r.lag + i}))
    for (let i = 0; i < 5; i++) history.record(buildGroups(targets, lagged(i), []))
    expect(history.of('rabbitmq:orders')).toEqual([20, 21, 22])
    expect(history.of('rabbitmq:orders', 'depth')).toEqual([18, 18, 18])
    // A topic's lag is its most-behind group's (billing: 150 + i), never its depth (300).
    expect(history.of('kafka:events', 'lag')).toEqual([152, 153, 154])
    expect(history.of('kafka:events', 'depth')).toEqual([300, 300, 300])
    history.record(
      buildGroups(
        targets.filter((t) => t.name !== 'orders'),
        lag.filter((r) => r.target !== 'orders'),
        [],
      ),
    )
    expect(history.of('rabbitmq:orders')).toEqual([])
  })
})

describe('text helpers', () => {
  test('sparkline scales from zero, keeps the width, and has an ASCII form', () => {
    expect(sparkline([0, 4, 8], 3)).toBe('▁▅█')
    expect(sparkline([1, 2], 5)).toBe('   ▅█')
    expect(sparkline([], 4)).toBe('    ')
    expect(sparkline([0, 8], 2, {ascii: true})).toBe('_#')
    expect(sparkline([5, 5, 5], 3)).toBe('▄▄▄')
  })

  test('fit pads and cuts to the cell width', () => {
    expect(fit('abc', 5)).toBe('abc  ')
    expect(fit('abcdef', 4)).toBe('abc…')
    expect(fit('7', 3, 'right')).toBe('  7')
    expect(count(1234)).toBe('1,234')
    expect(count(2_500_000)).toBe('2.5M')
    expect(count(undefined)).toBe('-')
    expect(clamp(5, 0, 3)).toBe(3)
    expect(fitMiddle('kafka:orders-eu-0017', 12)).toBe('kafka:…-0017')
    expect(fitMiddle('short', 8)).toBe('short   ')
  })

  test('the visible window keeps the selection on screen', () => {
    expect(visibleWindow(5, 4, 10)).toEqual({start: 0, end: 5})
    expect(visibleWindow(100, 0, 10)).toEqual({start: 0, end: 10})
    expect(visibleWindow(100, 50, 10)).toEqual({start: 45, end: 55})
    expect(visibleWindow(100, 99, 10)).toEqual({start: 90, end: 100})
  })
})
