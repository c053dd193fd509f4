import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {amqpHeadersFromList, amqpHeadersToList} from '../../src/adapters/rabbitmq/amqp-table.js'
import {type Header, decodeEnvelopeLine, encodeEnvelopeLine} from '../../src/model/envelope/index.js'

// Tables in amqplib's *encoding* notation, as amqpHeadersFromList writes them: integers as
// {'!': 'long', value: number (safe) | decimal text (beyond 2^53)}, timestamps, doubles and decimals tagged.
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const longValue = (n: bigint) => ({'!': 'long', value: Number.isSafeInteger(Number(n)) ? Number(n) : n.toString()})
const tableKey = fc
  .string({unit: 'binary', maxLength: 12})
  .filter((k) => k !== '__proto__' && Buffer.byteLength(k) < 256)

const {typedTable} = fc.letrec<{value: unknown; typedTable: Record<string, unknown>; array: unknown[]}>((tie) => ({
  value: fc.oneof(
    {depthSize: 'small', withCrossShrink: true},
    fc.string({unit: 'binary', maxLength: 16}),
    fc
      .oneof(
        fc.bigInt({min: INT64_MIN, max: INT64_MAX}),
        fc.constantFrom(0n, 2n ** 31n, -(2n ** 31n) - 1n, INT64_MAX, INT64_MIN),
      )
      .map(longValue),
    fc.integer({min: 0, max: Number.MAX_SAFE_INTEGER}).map((n) => ({'!': 'timestamp', value: n})),
    fc.uint8Array({maxLength: 16}).map((b) => Buffer.from(b)),
    fc.boolean(),
    fc.constant(null),
    fc
      .double()
      .filter((x) => !Object.is(x, -0))
      .map((n) => ({'!': 'double', value: n})),
    fc
      .record({places: fc.integer({min: 0, max: 255}), digits: fc.integer({min: 0, max: 2 ** 32 - 1})})
      .map((d) => ({'!': 'decimal', value: d})),
    tie('typedTable'),
    tie('array'),
  ),
  typedTable: fc.dictionary(tableKey, tie('value'), {maxKeys: 4}),
  array: fc.array(tie('value'), {maxLength: 4}),
}))

function viaEnvelopeLine(headers: Header[]): Header[] {
  return decodeEnvelopeLine(encodeEnvelopeLine({v: 1, headers, body: {utf8: ''}}), 1).headers
}

describe('AMQP header tables', () => {
  it('round-trip table -> list -> JSON line -> list -> table to the same typed form', () => {
    fc.assert(
      fc.property(typedTable, (table) => {
        expect(amqpHeadersFromList(viaEnvelopeLine(amqpHeadersToList(table)))).toEqual(table)
      }),
      {numRuns: 1000},
    )
  })

  it('maps the JS shapes amqplib decodes to tagged values', () => {
    // The decoded shape of a real RabbitMQ 3.10 dead letter, as amqplib 2.3 returns it.
    const decoded = {
      'x-death': [
        {
          count: 1,
          reason: 'rejected',
          queue: 'orders',
          time: {'!': 'timestamp', value: 1700000000},
          exchange: '',
          'routing-keys': ['orders'],
        },
      ],
      'x-first-death-reason': 'rejected',
      negative: -5_000_000_000,
      ratio: 0.25,
      raw: Buffer.from([0xff]),
      flag: true,
      nothing: null,
      price: {'!': 'decimal', value: {places: 2, digits: 1999}},
      skipped: undefined,
    }
    expect(amqpHeadersToList(decoded)).toEqual([
      [
        'x-death',
        {
          array: [
            {
              table: [
                ['count', {int: '1'}],
                ['reason', 'rejected'],
                ['queue', 'orders'],
                ['time', {timestamp: 1700000000}],
                ['exchange', ''],
                ['routing-keys', {array: ['orders']}],
              ],
            },
          ],
        },
      ],
      ['x-first-death-reason', 'rejected'],
      ['negative', {int: '-5000000000'}],
      ['ratio', {float: 0.25}],
      ['raw', {bytes: '/w=='}],
      ['flag', {bool: true}],
      ['nothing', {null: true}],
      ['price', {decimal: {places: 2, digits: 1999}}],
    ])
  })

  it('publishes integers as signed 64-bit longs and timestamps as timestamps (what RabbitMQ wrote in x-death)', () => {
    const table = amqpHeadersFromList([
      [
        'x-death',
        {
          array: [
            {
              table: [
                ['count', {int: '1'}],
                ['time', {timestamp: 1700000000}],
              ],
            },
          ],
        },
      ],
    ])
    expect(table).toEqual({'x-death': [{count: {'!': 'long', value: 1}, time: {'!': 'timestamp', value: 1700000000}}]})
  })

  it('keeps 64-bit integers beyond 2^53 exact as decimal text for amqplib to encode', () => {
    expect(amqpHeadersFromList([['big', {int: '9223372036854775807'}]])).toEqual({
      big: {'!': 'long', value: '9223372036854775807'},
    })
    // amqplib decodes an 'l' near the maximum to 2^63, which does not fit: it stands for the maximum.
    expect(amqpHeadersToList({big: 2 ** 63})).toEqual([['big', {int: '9223372036854775807'}]])
    expect(amqpHeadersToList({min: -(2 ** 63)})).toEqual([['min', {int: '-9223372036854775808'}]])
    expect(amqpHeadersToList({huge: 1e300, inf: -Infinity, nan: NaN})).toEqual([
      ['huge', {float: 1e300}],
      ['inf', {float: '-Infinity'}],
      ['nan', {float: 'NaN'}],
    ])
  })

  it('lets the last duplicate win and treats __proto__ as an ordinary header name', () => {
    const table = amqpHeadersFromList([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
      ['__proto__', 'x'],
    ])
    expect(Object.keys(table)).toEqual(['a', 'b', '__proto__'])
    expect(table.a).toBe('3')
    expect(Object.getPrototypeOf(table)).toBe(Object.prototype)
    expect(amqpHeadersToList(table)).toEqual([
      ['a', '3'],
      ['b', '2'],
      ['__proto__', 'x'],
    ])
  })

  it('refuses header names too long for an AMQP table key, at any depth', () => {
    const long = 'k'.repeat(256)
    expect(() => amqpHeadersFromList([[long, 'v']])).toThrow(expect.objectContaining({code: 'USAGE'}))
    expect(() => amqpHeadersFromList([['t', {table: [[long, 'v']]}]])).toThrow(/255 bytes/)
    expect(Object.keys(amqpHeadersFromList([['é'.repeat(127), 'v']]))).toHaveLength(1)
  })

  it('maps absent headers to an empty list', () => {
    expect(amqpHeadersToList(undefined)).toEqual([])
    expect(amqpHeadersToList(null)).toEqual([])
  })
})
