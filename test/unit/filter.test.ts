import {describe, expect, it} from 'vitest'

import {MailroomError} from '../../src/adapters/types.js'
import type {Envelope} from '../../src/core/envelope/types.js'
import {compileFilter} from '../../src/core/filter.js'

const order: Envelope = {
  v: 1,
  broker: 'kafka',
  target: 'orders',
  key: 'order-7',
  headers: [['x-tenant', 'acme'], ['retries', {int: '3'}]],
  body: {utf8: '{"amount": 120, "customer": {"id": "c-1"}}'},
  meta: {partition: 2, offset: '41'},
  death: {reason: 'rejected', origin: {target: 'orders'}},
}

describe('compileFilter', () => {
  it.each([
    ['key == "order-7"', true],
    ['key == "order-8"', false],
    ['json.amount > 100 and json.customer.id == "c-1"', true],
    ["'headers.x-tenant' == \"acme\"", true],
    ['headers.retries >= 3', true],
    ['meta.partition == 2', true],
    ['death.reason == "rejected" and death.origin.target == "orders"', true],
    ['body ~= "amount"', true],
    ['json.missing.deep == 1', false],
    ["'headers.x-absent' == \"x\"", false],
  ])('%s -> %s', (expression, expected) => {
    expect(compileFilter(expression)(order)).toBe(expected)
  })

  it('treats a body that is not JSON as json == null', () => {
    const text = {...order, body: {utf8: 'plain'}}
    expect(compileFilter('json.amount > 1')(text)).toBe(false)
    expect(compileFilter('body == "plain"')(text)).toBe(true)
  })

  it('reports an invalid expression as a usage error showing where', () => {
    let error: unknown
    try {
      compileFilter('key == ')
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(MailroomError)
    expect((error as MailroomError).code).toBe('USAGE')
    expect((error as MailroomError).message).toMatch(/invalid filter: .*line 1.*\^/)
  })
})
