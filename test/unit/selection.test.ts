// The selection (--select, the dashboard's marks): each mark takes exactly one message, twins included.
import {describe, expect, it} from 'vitest'

import type {Envelope} from '../../src/model/envelope/types.js'
import {messageIdentity} from '../../src/core/replay/identity.js'
import {Selection, parseSelection, selectionFilter} from '../../src/core/replay/selection.js'

const source = {broker: 'rabbitmq', target: 'orders.dlq'}
const message = (body: string): Envelope => ({
  v: 1,
  broker: 'rabbitmq',
  target: 'orders.dlq',
  key: 'orders',
  headers: [['id', body]],
  body: {utf8: body},
})

describe('Selection', () => {
  it('a RabbitMQ twin shares its content id: one mark takes one of the twins, two marks take both, never a third', () => {
    const [a, twin, b] = [message('a'), message('a'), message('b')]
    const id = messageIdentity(a, 'rabbitmq', 'orders.dlq').id
    expect(messageIdentity(twin, 'rabbitmq', 'orders.dlq').id).toBe(id)
    const once = selectionFilter(new Selection([id]), source)
    expect([a, twin, b].map(once)).toEqual([true, false, false])
    const twice = new Selection([id, id])
    const filter = selectionFilter(twice, source)
    expect([a, twin, message('a'), b].map(filter)).toEqual([true, true, false, false])
    expect(twice.exhausted).toBe(true)
  })

  it('counts the marks not found, and a resumed job does not take again what it confirmed before', () => {
    const s = new Selection(['rabbitmq:orders.dlq/x', 'rabbitmq:orders.dlq/y'], new Map([['rabbitmq:orders.dlq/x', 1]]))
    expect(s.take('rabbitmq:orders.dlq/x')).toBe(false)
    expect(s.missing).toBe(1)
    expect(s.take('rabbitmq:orders.dlq/y')).toBe(true)
    expect(s.exhausted).toBe(true)
  })

  it('the --filter is judged first: a message it does not select uses no mark', () => {
    const a = message('a')
    const id = messageIdentity(a, 'rabbitmq', 'orders.dlq').id
    const s = new Selection([id])
    const filter = selectionFilter(s, source, () => false)
    expect(filter(a)).toBe(false)
    expect(s.missing).toBe(1)
  })

  it('refuses an id of another DLQ, with the form ids take', () => {
    expect(parseSelection(['rabbitmq:orders.dlq/abc'], source)).toEqual(['rabbitmq:orders.dlq/abc'])
    expect(() => parseSelection(['kafka:orders.dlq/0/1'], source)).toThrow(
      '--select kafka:orders.dlq/0/1 is not a message of rabbitmq:orders.dlq',
    )
    expect(() => parseSelection(['rabbitmq:orders.dlq/'], source)).toThrow('is not a message of')
  })
})
