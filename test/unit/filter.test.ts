import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {MailroomError} from '../../src/model/errors.js'
import type {Envelope} from '../../src/model/envelope/types.js'
import {compileFilter} from '../../src/core/filter.js'

const order: Envelope = {
  v: 1,
  broker: 'kafka',
  target: 'orders',
  key: 'order-7',
  headers: [
    ['x-tenant', 'acme'],
    ['retries', {int: '3'}],
  ],
  body: {utf8: '{"amount": 120, "customer": {"id": "c-1"}}'},
  meta: {partition: 2, offset: '41'},
  death: {reason: 'rejected', origin: {target: 'orders'}},
}

describe('compileFilter', () => {
  it.each([
    ['key == "order-7"', true],
    ['key == "order-8"', false],
    ['json.amount > 100 and json.customer.id == "c-1"', true],
    ['\'headers.x-tenant\' == "acme"', true],
    ['headers.retries >= 3', true],
    ['meta.partition == 2', true],
    ['death.reason == "rejected" and death.origin.target == "orders"', true],
    ['body ~= "amount"', true],
    ['json.missing.deep == 1', false],
    ['\'headers.x-absent\' == "x"', false],
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

describe('names a filter may use', () => {
  const refusal = (expression: string): string => {
    try {
      compileFilter(expression)
    } catch (error) {
      expect((error as MailroomError).code).toBe('USAGE')
      return (error as MailroomError).message
    }
    throw new Error(`${expression} was accepted`)
  }

  it.each([
    ['deth.reason == "x"', /unknown field deth\.reason at column 1 \(did you mean death\.reason\?\)/],
    ['not contains(body, "x")', /unknown function contains\(\) at column 5/],
    ['lenght(body) > 1', /unknown function lenght\(\)/],
    ['headers.x-tenant == "acme"', /headers\.x-tenant at column 1 is read as a subtraction/],
    ['json.count-1 > 5', /json\.count-1 at column 1 is read as a subtraction/],
    ["key == 'order-7'", /'order-7' at column 8 is not a field/],
    ['status == "x"', /unknown field status/],
    ['not death.reasn == "expired"', /unknown field death\.reasn at column 5 \(did you mean death\.reason\?\)/],
    ['meta.partiton == 1', /unknown field meta\.partiton at column 1 \(did you mean meta\.partition\?\)/],
    [
      'death.origin.targt == "orders"',
      /unknown field death\.origin\.targt at column 1 \(did you mean death\.origin\.target\?\)/,
    ],
    [
      'death.error.wrapper.clas == "x"',
      /unknown field death\.error\.wrapper\.clas at column 1 \(did you mean death\.error\.wrapper\.class\?\)/,
    ],
    ['death.reason.code == "x"', /unknown field death\.reason\.code/],
  ])('refuses %s', (expression, message) => {
    expect(refusal(expression)).toMatch(message)
  })

  it.each([
    ['json.count - 1 > 5', false],
    ['key == "a-b" or key == "order-7"', true],
    ['json.amount > 100 and exists(json.customer) and not empty(key)', true],
    ['json.missing == null and 120 == json.amount', true],
    ['death.count == null', true],
    ['death.origin.target == "orders" and meta.offset == "41"', true],
    ['death.error.wrapper.class == null and death.origin.routingKeys == null', true],
    ['"c-1" in (json.customer.id, "x")', true],
  ])('accepts %s', (expression, expected) => {
    expect(compileFilter(expression)(order)).toBe(expected)
  })

  it('accepts every --filter example of the README', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
    const examples = [...readme.matchAll(/(?:--filter|-F) (?:'([^']*)'|"((?:[^"\\]|\\.)*)")/g)].map(
      (m) => m[1] ?? m[2].replace(/\\(.)/g, '$1'),
    )
    expect(examples.length).toBeGreaterThan(3)
    for (const expression of examples) expect(() => compileFilter(expression), expression).not.toThrow()
  })
})
