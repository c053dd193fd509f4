// The lag maths: window rates, trend and ETA, the status rules, thresholds and the Prometheus exposition.
import {describe, expect, it} from 'vitest'
import type {Admin, Kafka} from 'kafkajs'
import type {FirstRecordProbe} from '../../src/adapters/kafka/first-record.js'
import {consumerGroupLag} from '../../src/adapters/kafka/lag.js'
import {subjectMatches} from '../../src/adapters/nats/lag.js'
import type {BrokerAdapter, LagSample} from '../../src/adapters/types.js'
import {MailroomError} from '../../src/model/errors.js'
import {fakeAdapter} from '../helpers/fake-adapter.js'
import {type CheckResult, findBreaches} from '../../src/core/lag/check.js'
import {type LagRow, sortRows} from '../../src/core/lag/model.js'
import {escapeLabel, renderPrometheus} from '../../src/core/lag/prometheus.js'
import {LagMonitor, watchLag} from '../../src/core/lag/service.js'
import {statusOf} from '../../src/core/lag/status.js'
import {drainEta, type LagPoint, LagWindows, motionOf} from '../../src/core/lag/window.js'

const T0 = Date.parse('2026-01-01T00:00:00Z')

function sample(over: Partial<LagSample> = {}): LagSample {
  return {broker: 'kafka', target: 'orders', consumer: 'billing', lag: 10, consumers: 1, ...over}
}

function points(...list: [seconds: number, lag: number, consumed?: number, produced?: number][]): LagPoint[] {
  return list.map(([s, lag, consumed, produced]) => ({at: T0 + s * 1000, lag, consumed, produced}))
}

describe('motion over the window', () => {
  it('derives in/out rates, trend and drain ETA from the first and last points', () => {
    const m = motionOf(points([0, 100, 0, 100], [10, 60, 90, 150]), sample({lag: 60}))
    expect(m).toEqual({inRate: 5, outRate: 9, trend: -4, etaSeconds: 15, windowSeconds: 10})
  })

  it('uses the rates the broker measured when there is a single point', () => {
    const m = motionOf(points([0, 40]), sample({lag: 40, rates: {in: 2, out: 12, ack: 10}}))
    expect(m).toEqual({inRate: 2, outRate: 10, trend: -8, etaSeconds: 5, windowSeconds: 0})
  })

  it('gives no rate for a counter that went backwards, and no ETA when the lag is not draining', () => {
    const m = motionOf(points([0, 5, 100, 10], [5, 9, 3, 12]), sample({lag: 9}))
    expect(m.outRate).toBeUndefined()
    expect(m.inRate).toBeCloseTo(0.4)
    expect(m.etaSeconds).toBeUndefined()
    expect(drainEta(0, undefined)).toBe(0)
    expect(drainEta(10, 0)).toBeUndefined()
  })

  it('keeps the last N points per consumer and forgets consumers no longer seen', () => {
    const windows = new LagWindows(3)
    for (let i = 0; i < 5; i++) windows.add(sample({lag: i}), T0 + i)
    expect(windows.add(sample({lag: 5}), T0 + 5).map((p) => p.lag)).toEqual([3, 4, 5])
    windows.retainOnly(new Set())
    expect(windows.add(sample({lag: 6}), T0 + 6)).toHaveLength(1)
  })
})

describe('status rules', () => {
  const now = T0 + 60_000

  it('OK when nothing waits, even without a consumer', () => {
    expect(statusOf(sample({lag: 0, consumers: 0}), points([60, 0]), now)).toEqual({
      status: 'OK',
      reason: 'nothing waiting',
    })
  })

  it('STOP when messages wait and no consumer is attached', () => {
    expect(statusOf(sample({lag: 7, consumers: 0}), points([60, 7]), now)).toEqual({
      status: 'STOP',
      reason: '7 waiting and no consumer',
    })
  })

  it('never "OK, nothing waiting" for a group that never committed on partitions holding records: WARN, or STOP without consumer', () => {
    const unknown = {lag: undefined, uncommitted: {partitions: 3, ifEarliest: 10_000}}
    const reason =
      'never committed on 3 partition(s) holding records: lag unknown (10000 if it starts from the earliest offset, 0 from the latest)'
    expect(statusOf(sample({...unknown, consumers: 2}), [{at: now}], now)).toEqual({status: 'WARN', reason})
    expect(statusOf(sample({...unknown, consumers: 0}), [{at: now}], now)).toEqual({
      status: 'STOP',
      reason: `${reason}, and no consumer`,
    })
    expect(motionOf([{at: now - 10_000, lag: 5}, {at: now}], sample(unknown))).toEqual({windowSeconds: 10})
  })

  it('a consumer without lag (a Kafka share group): OK with members, WARN without, never STOP or STALL', () => {
    const share = {lag: undefined, lagNotApplicable: 'share group: no lag'}
    expect(statusOf(sample({...share, consumers: 2}), [{at: now}], now)).toEqual({
      status: 'OK',
      reason: '2 consuming; share group: no lag',
    })
    expect(statusOf(sample({...share, consumers: 0}), [{at: now - 60_000}, {at: now}], now)).toEqual({
      status: 'WARN',
      reason: 'nothing consuming; share group: no lag',
    })
  })

  it('STALL when the consumed position has not moved for the stall time while lag stayed above zero', () => {
    const window = points([0, 5, 100], [20, 6, 100], [40, 8, 100])
    expect(statusOf(sample({lag: 8}), window, now, {stallAfterSeconds: 30}).status).toBe('STALL')
    expect(statusOf(sample({lag: 8}), window, now, {stallAfterSeconds: 60}).status).toBe('WARN')
    // Progress inside the window resets the clock.
    const moving = points([0, 5, 90], [20, 6, 100], [40, 8, 100])
    expect(statusOf(sample({lag: 8}), moving, now, {stallAfterSeconds: 30}).status).toBe('WARN')
  })

  it('STALL from one snapshot: unacked messages, zero ack rate (RabbitMQ) or an old last ack (JetStream)', () => {
    const rabbit = sample({broker: 'rabbitmq', lag: 5, unacked: 3, rates: {}})
    expect(statusOf(rabbit, points([60, 5]), now)).toEqual({
      status: 'STALL',
      reason: '3 unacknowledged, no acknowledgement',
    })
    expect(statusOf({...rabbit, rates: {ack: 2}}, points([60, 5]), now).status).toBe('OK')
    const nats = sample({broker: 'nats', lag: 4, unacked: 4, lastDeliveryAt: new Date(T0)})
    expect(statusOf(nats, points([60, 4]), now, {stallAfterSeconds: 30})).toEqual({
      status: 'STALL',
      reason: '4 unacknowledged, no acknowledgement for 60s',
    })
    expect(
      statusOf({...nats, lastAckAt: new Date(now - 5000)}, points([60, 4]), now, {stallAfterSeconds: 30}).status,
    ).toBe('OK')
    // Kafka keeps no such times: one snapshot cannot tell.
    expect(statusOf(sample({lag: 4}), points([60, 4]), now).status).toBe('OK')
  })

  it('WARN only with three points or more in which the lag never decreased and grew overall', () => {
    expect(statusOf(sample({lag: 9}), points([0, 5], [10, 9]), now).status).toBe('OK')
    expect(statusOf(sample({lag: 9}), points([0, 5, 1], [10, 7, 2], [20, 9, 3]), now)).toEqual({
      status: 'WARN',
      reason: 'lag grew from 5 to 9 over 20s',
    })
    expect(statusOf(sample({lag: 9}), points([0, 5, 1], [10, 4, 2], [20, 9, 3]), now).status).toBe('OK')
    expect(statusOf(sample({lag: 5}), points([0, 5, 1], [10, 5, 2], [20, 5, 3]), now).status).toBe('OK')
  })
})

describe('LagMonitor', () => {
  function fakeLagAdapter(kind: 'kafka' | 'rabbitmq', answers: (LagSample[] | Error)[]): BrokerAdapter {
    let call = 0
    return fakeAdapter(kind, {
      consumerLag: async () => {
        const answer = answers[Math.min(call++, answers.length - 1)]
        if (answer instanceof Error) throw answer
        return answer
      },
    })
  }

  it('builds rows over successive snapshots, and reports a failing broker as an ERR row next to the others', async () => {
    let clock = T0
    const kafka = fakeLagAdapter('kafka', [
      [sample({lag: 100, consumed: 0, produced: 100})],
      [sample({lag: 80, consumed: 30, produced: 110})],
    ])
    const rabbit = fakeLagAdapter('rabbitmq', [new MailroomError('CONNECTION', 'connection refused at 127.0.0.1:5672')])
    const monitor = new LagMonitor([kafka, rabbit], {now: () => clock})
    const first = await monitor.snapshot()
    expect(first.rows.map((r) => [r.broker, r.status])).toEqual([
      ['kafka', 'OK'],
      ['rabbitmq', 'ERR'],
    ])
    expect(first.failures).toEqual([
      {broker: 'rabbitmq', error: {code: 'CONNECTION', message: 'connection refused at 127.0.0.1:5672'}},
    ])
    clock += 10_000
    const second = await monitor.snapshot()
    expect(second.rows[0]).toMatchObject({
      lag: 80,
      inRate: 1,
      outRate: 3,
      trend: -2,
      etaSeconds: 40,
      windowSeconds: 10,
      status: 'OK',
    })
  })

  it('NOT_FOUND when a filtered broker has no such consumer; UNSUPPORTED rows for adapters without consumerLag', async () => {
    const monitor = new LagMonitor([fakeLagAdapter('kafka', [[]])], {filter: {broker: 'kafka', name: 'nope'}})
    await expect(monitor.snapshot()).rejects.toMatchObject({code: 'NOT_FOUND'})
    const bare = fakeAdapter('rabbitmq')
    const report = await new LagMonitor([bare]).snapshot()
    expect(report.rows[0]).toMatchObject({status: 'ERR', error: {code: 'UNSUPPORTED'}})
  })

  it('a share or streams group the broker only lists (cannot describe), asked for by name, is UNSUPPORTED (exit 5) naming its type, and never becomes a row', async () => {
    const share = {groupId: 'shares', type: 'share', state: 'Stable', members: [], described: false}
    const streams = {groupId: 'app', type: 'streams', state: 'Stable', members: [], described: false}
    const unused = {} as Admin
    const probe = {} as FirstRecordProbe
    await expect(
      consumerGroupLag({} as Kafka, unused, [share, streams], probe, {filter: 'shares'}),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/^shares is a share group this broker lists but mailroom cannot describe/),
    })
    expect(await consumerGroupLag({} as Kafka, unused, [share, streams], probe)).toEqual([])
    const monitor = new LagMonitor(
      [fakeLagAdapter('kafka', [new MailroomError('UNSUPPORTED', 'app is a streams group')])],
      {filter: {broker: 'kafka', name: 'app'}},
    )
    await expect(monitor.snapshot()).rejects.toMatchObject({code: 'UNSUPPORTED'})
  })
})

function row(over: Partial<LagRow>): LagRow {
  return {
    broker: 'kafka',
    target: 'orders',
    consumer: 'billing',
    status: 'OK',
    reason: '',
    lag: 0,
    consumers: 1,
    windowSeconds: 0,
    ...over,
  }
}

describe('thresholds', () => {
  it('breaches max-lag, max-lag-seconds, require-consumers (DLQs excepted) and max-dlq-depth', () => {
    const rows = [
      row({lag: 50, lagSeconds: 12.34}),
      row({broker: 'rabbitmq', target: 'jobs', consumer: 'jobs', lag: 3, consumers: 0}),
      row({broker: 'rabbitmq', target: 'jobs.dlq', consumer: 'jobs.dlq', lag: 4, consumers: 0}),
      row({broker: 'nats', status: 'ERR', target: '*', consumer: '*', lag: undefined}),
    ]
    const dlqs = [{broker: 'rabbitmq' as const, name: 'jobs.dlq', depth: 4}]
    const breaches = findBreaches(rows, dlqs, {maxLag: 10, maxLagSeconds: 10, requireConsumers: true, maxDlqDepth: 3})
    expect(breaches.map((b) => [b.threshold, `${b.broker}:${b.target}`, b.value, b.message])).toEqual([
      ['max-lag', 'kafka:orders', 50, 'lag 50 > 10'],
      ['max-lag-seconds', 'kafka:orders', 12.34, 'lag 12.3s > 10s'],
      ['require-consumers', 'rabbitmq:jobs', 0, 'no consumer'],
      ['max-dlq-depth', 'rabbitmq:jobs.dlq', 4, 'DLQ depth 4 > 3'],
    ])
    expect(findBreaches(rows, dlqs, {})).toEqual([])
  })

  it('sorts by name, lag, lag seconds or status', () => {
    const rows = [
      row({target: 'b', lag: 1, status: 'STOP'}),
      row({target: 'a', lag: 5, lagSeconds: 1}),
      row({target: 'c', lag: 3, lagSeconds: 9, status: 'WARN'}),
    ]
    expect(sortRows(rows, 'name').map((r) => r.target)).toEqual(['a', 'b', 'c'])
    expect(sortRows(rows, 'lag').map((r) => r.target)).toEqual(['a', 'c', 'b'])
    expect(sortRows(rows, 'lag-seconds').map((r) => r.target)).toEqual(['c', 'a', 'b'])
    expect(sortRows(rows, 'status').map((r) => r.target)).toEqual(['b', 'c', 'a'])
  })
})

describe('Prometheus exposition', () => {
  it('renders gauges with escaped labels, one status series per status, brokers up and breach counts', () => {
    const result: CheckResult = {
      ok: false,
      at: '2026-01-01T00:00:00.000Z',
      rows: [
        row({consumer: 'bill"ing', lag: 5, lagSeconds: 1.23456, status: 'STOP', consumers: 0}),
        row({broker: 'nats', status: 'ERR', target: '*', consumer: '*'}),
      ],
      dlqs: [{broker: 'rabbitmq', name: 'x.dlq', depth: 2}],
      breaches: [
        {
          threshold: 'max-lag',
          broker: 'kafka',
          target: 'orders',
          consumer: 'bill"ing',
          value: 5,
          limit: 1,
          message: '',
        },
      ],
      failures: [{broker: 'nats', error: {code: 'CONNECTION', message: 'down'}}],
      replication: {
        checked: {kafka: {partitions: 6}},
        problems: [
          {
            broker: 'kafka',
            kind: 'under-replicated',
            target: 'orders',
            partition: 2,
            replicas: 3,
            inSync: 2,
            message: 'orders/2 is under-replicated',
          },
        ],
      },
    }
    const text = renderPrometheus(result, ['kafka', 'nats'])
    expect(text).toContain(
      'mailroom_replication_problems{broker="kafka",kind="under-replicated"} 1\nmailroom_replication_problems{broker="kafka",kind="offline"} 0\n',
    )
    expect(text).toContain(
      'mailroom_replication_problem{broker="kafka",kind="under-replicated",target="orders",partition="2"} 1\n',
    )
    expect(text).not.toContain('mailroom_replication_problems{broker="nats"')
    const labels = 'broker="kafka",target="orders",consumer="bill\\"ing"'
    expect(text).toContain(`# TYPE mailroom_consumer_lag_messages gauge\nmailroom_consumer_lag_messages{${labels}} 5\n`)
    expect(text).toContain(`mailroom_consumer_lag_seconds{${labels}} 1.235\n`)
    expect(text).toContain(`mailroom_consumer_consumers{${labels}} 0\n`)
    expect(text).toContain(`mailroom_consumer_status{${labels},status="STOP"} 1\n`)
    expect(text).toContain(`mailroom_consumer_status{${labels},status="OK"} 0\n`)
    expect(text).toContain('mailroom_dlq_depth{broker="rabbitmq",target="x.dlq"} 2\n')
    expect(text).toContain('mailroom_broker_up{broker="kafka"} 1\nmailroom_broker_up{broker="nats"} 0\n')
    expect(text).toContain('mailroom_check_breaches{threshold="max-lag"} 1\n')
    expect(text).toContain('mailroom_check_timestamp_seconds 1767225600\n')
    expect(text).not.toContain('target="*"')
    expect(escapeLabel('a\\b\nc"')).toBe('a\\\\b\\nc\\"')
  })
})

describe('NATS subject filters (JetStream head age)', () => {
  it('matches * as one token and > as the rest', () => {
    expect(subjectMatches('orders.eu.new', 'orders.*.new')).toBe(true)
    expect(subjectMatches('orders.eu.new', 'orders.>')).toBe(true)
    expect(subjectMatches('orders', 'orders.>')).toBe(false)
    expect(subjectMatches('orders.eu', 'orders.*.new')).toBe(false)
    expect(subjectMatches('orders.eu.new.x', 'orders.*.new')).toBe(false)
    expect(subjectMatches('orders.eu', 'orders.eu')).toBe(true)
  })
})

describe('lag --watch with a broker that does not answer', () => {
  it('keeps its pace: the silent broker is an ERR row of each snapshot, asked once, and its late answer is shown', async () => {
    let asked = 0
    let answer: (samples: LagSample[]) => void = () => {}
    const slow = fakeAdapter('nats', {
      consumerLag: () => {
        asked++
        return new Promise<LagSample[]>((resolve) => (answer = resolve))
      },
    })
    const quick = fakeAdapter('kafka', {consumerLag: async () => [sample()]})
    const monitor = new LagMonitor([quick, slow])
    const started = performance.now()
    const reports = []
    for await (const report of watchLag(monitor, {intervalMs: 200, count: 3})) {
      reports.push(report)
      if (reports.length === 2) answer([sample({broker: 'nats', target: 'ORDERS', consumer: 'c'})])
    }
    // Each snapshot waited at most its answer time (2 s at this interval), not for the silent broker.
    expect(performance.now() - started).toBeLessThan(6000)
    expect(asked).toBe(1)
    for (const report of reports.slice(0, 2)) {
      expect(report.rows.find((r) => r.broker === 'kafka')?.status).not.toBe('ERR')
      expect(report.failures).toEqual([
        expect.objectContaining({broker: 'nats', error: expect.objectContaining({code: 'TIMEOUT'})}),
      ])
      expect(report.failures[0]!.error.message).toMatch(/^nats has not answered for \d+(\.\d)? s; still asking$/)
    }
    expect(reports[2]!.failures).toEqual([])
    expect(reports[2]!.rows.map((r) => `${r.broker}:${r.target}`).sort()).toEqual(['kafka:orders', 'nats:ORDERS'])
  }, 15_000)
})
