import {describe, expect, it} from 'vitest'
import {formatAge, originsOf} from '../../src/core/dlq/discover.js'
import {DeathSummary, originPosition} from '../../src/core/dlq/inspect.js'
import {DEFAULT_DLQ_PATTERNS, dlqSettings, matchesPattern, matchingPattern} from '../../src/core/dlq/settings.js'
import type {Envelope} from '../../src/model/envelope/types.js'
import {MailroomError} from '../../src/model/errors.js'

describe('dlq settings', () => {
  it('defaults, replaced or extended patterns, named targets and custom headers', () => {
    expect(dlqSettings({}).patterns).toEqual([...DEFAULT_DLQ_PATTERNS])
    const s = dlqSettings({
      dlq: {
        patterns: ['dead.*'],
        extraPatterns: ['*.parking'],
        streams: ['ORDERS_DLQ'],
        targets: ['q1'],
        headers: {reason: 'x-why'},
      },
    })
    expect(s).toEqual({
      patterns: ['dead.*', '*.parking'],
      named: ['ORDERS_DLQ', 'q1'],
      customHeaders: {reason: 'x-why'},
    })
  })

  it('rejects malformed settings as CONFIG errors', () => {
    expect(() => dlqSettings({dlq: {patterns: 'x'}})).toThrow(MailroomError)
    expect(() => dlqSettings({dlq: {headers: {nope: 'x'}}})).toThrow(/dlq.headers.nope/)
  })

  it('matches globs literally apart from *', () => {
    expect(matchesPattern('orders.DLT', '*.DLT')).toBe(true)
    expect(matchesPattern('ordersxDLT', '*.DLT')).toBe(false)
    expect(matchesPattern('dlq.orders', 'dlq.*')).toBe(true)
    expect(matchesPattern('orders.dlt', '*.DLT')).toBe(false)
  })
})

describe('dlq discovery helpers', () => {
  it('origins come from routes, else from the name the pattern stands for when that target exists', () => {
    const routes = [
      {origin: 'work', dlq: 'dead', via: 'queue-argument'},
      {origin: 'dead', dlq: 'dead', via: 'policy'},
    ]
    expect(originsOf('dead', routes, [], new Set())).toEqual(['work'])
    expect(originsOf('orders.DLT', [], ['*.DLT', '*-dlq'], new Set(['orders']))).toEqual(['orders'])
    expect(originsOf('orders.DLT', [], ['*.DLT'], new Set())).toEqual([])
  })

  it("the default patterns find Spring's DLTs by both names, 4.x <topic>-dlt and 3.x <topic>.DLT, and Connect's <name>-dlq", () => {
    const existing = new Set(['payments', 'orders', 'pg-sink'])
    for (const [dlt, pattern, origin] of [
      ['payments-dlt', '*-dlt', 'payments'],
      ['orders.DLT', '*.DLT', 'orders'],
      ['pg-sink-dlq', '*-dlq', 'pg-sink'],
    ]) {
      expect(matchingPattern(dlt, DEFAULT_DLQ_PATTERNS)).toBe(pattern)
      expect(originsOf(dlt, [], DEFAULT_DLQ_PATTERNS, existing)).toEqual([origin])
    }
  })

  it('formats ages', () => {
    expect([
      formatAge(undefined),
      formatAge(5),
      formatAge(90),
      formatAge(7200 + 180),
      formatAge(3 * 86_400 + 3600),
    ]).toEqual(['unknown', '5s', '1m30s', '2h03m', '3d01h'])
  })
})

describe('inspect summary', () => {
  const dead = (reason: string, target: string, time: string, error?: string): Envelope => ({
    v: 1,
    headers: [],
    body: {utf8: ''},
    death: {reason, lastTime: time, origin: {broker: 'rabbitmq', target}, ...(error ? {error: {class: error}} : {})},
  })

  it('groups by origin, reason and error with counts and first/last time, largest first', () => {
    const s = new DeathSummary()
    s.add(dead('rejected', 'a', '2024-01-01T00:00:02Z'))
    s.add(dead('expired', 'a', '2024-01-01T00:00:05Z'))
    s.add(dead('rejected', 'a', '2024-01-01T00:00:01Z'))
    s.add(dead('rejected', 'a', '2024-01-01T00:00:03Z', 'Boom'))
    s.add({v: 1, headers: [], body: {utf8: ''}})
    expect(s.rows()).toEqual([
      {
        origin: 'rabbitmq:a',
        reason: 'rejected',
        error: '-',
        count: 2,
        firstTime: '2024-01-01T00:00:01.000Z',
        lastTime: '2024-01-01T00:00:02.000Z',
      },
      {origin: '-', reason: 'no death record', error: '-', count: 1},
      {
        origin: 'rabbitmq:a',
        reason: 'expired',
        error: '-',
        count: 1,
        firstTime: '2024-01-01T00:00:05.000Z',
        lastTime: '2024-01-01T00:00:05.000Z',
      },
      {
        origin: 'rabbitmq:a',
        reason: 'rejected',
        error: 'Boom',
        count: 1,
        firstTime: '2024-01-01T00:00:03.000Z',
        lastTime: '2024-01-01T00:00:03.000Z',
      },
    ])
    expect([s.total, s.withoutDeath]).toEqual([5, 1])
  })

  it('tells Kafka Connect failures apart by the converter or transform that failed', () => {
    const connect = (component: string): Envelope => ({
      v: 1,
      headers: [],
      body: {utf8: ''},
      death: {
        reason: 'TRANSFORMATION',
        origin: {broker: 'kafka', target: 'orders', partition: 2, offset: '7'},
        error: {class: 'org.apache.kafka.connect.errors.DataException', message: 'no field id', component},
      },
    })
    const s = new DeathSummary()
    s.add(connect('org.apache.kafka.connect.transforms.ExtractField$Value'))
    s.add(connect('org.apache.kafka.connect.transforms.Cast$Value'))
    expect(
      s
        .rows()
        .map((g) => g.error)
        .sort(),
    ).toEqual([
      'in org.apache.kafka.connect.transforms.Cast$Value: org.apache.kafka.connect.errors.DataException: no field id',
      'in org.apache.kafka.connect.transforms.ExtractField$Value: org.apache.kafka.connect.errors.DataException: no field id',
    ])
    expect(originPosition(connect('x'))).toBe('kafka:orders/2/7')
  })
})
