// Byte-level check against amqplib's own field-table codec (no broker needed): a header table that RabbitMQ or a
// client put on the wire, decoded by amqplib, carried through an envelope line and encoded again by amqplib,
// gives back the same bytes, for every wire type amqplib's decoder keeps apart.
import {createRequire} from 'node:module'
import path from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {amqpHeadersFromList, amqpHeadersToList} from '../../src/adapters/rabbitmq/amqp-table.js'
import {decodeEnvelopeLine, encodeEnvelopeLine} from '../../src/model/envelope/index.js'

const require = createRequire(import.meta.url)
// amqplib's package exports hide lib/codec.js; load it by path.
const codec = require(path.join(path.dirname(require.resolve('amqplib')), 'lib/codec.js')) as {
  encodeTable(buf: Buffer, table: unknown, offset: number): number
  decodeFields(buf: Buffer): Record<string, unknown>
}

function wire(table: unknown): Buffer {
  const buf = Buffer.alloc(1 << 20)
  return buf.subarray(0, codec.encodeTable(buf, table, 0))
}

function throughEnvelope(wireTable: Buffer): Buffer {
  const decoded = codec.decodeFields(wireTable.subarray(4)) // skip the table's length prefix
  const line = encodeEnvelopeLine({v: 1, headers: amqpHeadersToList(decoded), body: {utf8: ''}})
  return wire(amqpHeadersFromList(decodeEnvelopeLine(line, 1).headers))
}

// Wire types amqplib decodes distinguishably: S, l (within 2^53: amqplib rounds beyond), T, x, t, V, d (non-integral:
// amqplib returns integral doubles as plain numbers, like integers), D, A, F.
const key = fc.string({unit: 'binary', maxLength: 10}).filter((k) => k !== '__proto__' && Buffer.byteLength(k) < 256)
const {table} = fc.letrec<{value: unknown; table: Record<string, unknown>}>((tie) => ({
  value: fc.oneof(
    {depthSize: 'small'},
    fc.string({unit: 'binary', maxLength: 12}),
    fc
      .oneof(fc.maxSafeInteger(), fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 1, -1))
      .map((n) => ({'!': 'long', value: n})),
    fc.maxSafeNat().map((n) => ({'!': 'timestamp', value: n})),
    fc.uint8Array({maxLength: 12}).map((b) => Buffer.from(b)),
    fc.boolean(),
    fc.constant(null),
    fc
      .double()
      .filter((x) => !Number.isInteger(x))
      .map((n) => ({'!': 'double', value: n})),
    fc
      .record({places: fc.integer({min: 0, max: 255}), digits: fc.nat({max: 2 ** 32 - 1})})
      .map((d) => ({'!': 'decimal', value: d})),
    fc.array(tie('value'), {maxLength: 4}),
    tie('table'),
  ),
  table: fc.dictionary(key, tie('value'), {maxKeys: 4}),
}))

describe('AMQP header tables on the wire (amqplib codec)', () => {
  it('reproduce the same bytes after decode -> envelope line -> encode', () => {
    fc.assert(
      fc.property(table, (t) => {
        const original = wire(t)
        expect(throughEnvelope(original).equals(original)).toBe(true)
      }),
      {numRuns: 1000},
    )
  })

  it('reproduces a RabbitMQ x-death header byte for byte, where passing amqplib its own decode does not', () => {
    // What RabbitMQ 3.10 writes (checked on a real broker through a TCP tap): count 'l', time 'T', strings 'S',
    // routing-keys an 'A' of 'S'.
    const xDeath = {
      'x-death': [
        {
          count: {'!': 'long', value: 3},
          reason: 'expired',
          queue: 'orders',
          time: {'!': 'timestamp', value: 1700000000},
          exchange: 'orders-x',
          'routing-keys': ['orders.created', 'orders.*'],
          'original-expiration': '1000',
        },
      ],
      'x-first-death-exchange': 'orders-x',
      'x-first-death-queue': 'orders',
      'x-first-death-reason': 'expired',
    }
    const original = wire(xDeath)
    expect(throughEnvelope(original).equals(original)).toBe(true)
    // amqplib alone re-encodes the decoded count 3 as a byte ('b'), not a long.
    expect(wire(codec.decodeFields(original.subarray(4))).equals(original)).toBe(false)
  })

  it('encodes integers beyond 2^53 exactly as signed 64-bit longs', () => {
    const encoded = wire(
      amqpHeadersFromList([
        ['n', {int: '-9223372036854775807'}],
        ['m', {int: '9007199254740993'}],
      ]),
    )
    // table length (4) + key length (1) + 'n' + tag 'l'
    expect(encoded.toString('latin1', 6, 7)).toBe('l')
    expect(encoded.readBigInt64BE(7)).toBe(-9223372036854775807n)
    expect(encoded.toString('latin1', 17, 18)).toBe('l')
    expect(encoded.readBigInt64BE(18)).toBe(9007199254740993n)
  })

  it('re-encodes every integer width amqplib decodes as a long (amqplib does not report the width)', () => {
    const widths = {
      b: {'!': 'byte', value: -3},
      s: {'!': 'short', value: 300},
      I: {'!': 'int', value: 70000},
      u: {'!': 'uint8', value: 200},
    }
    const decoded = amqpHeadersFromList(amqpHeadersToList(codec.decodeFields(wire(widths).subarray(4))))
    expect(decoded).toEqual({
      b: {'!': 'long', value: -3},
      s: {'!': 'long', value: 300},
      I: {'!': 'long', value: 70000},
      u: {'!': 'long', value: 200},
    })
  })
})

describe('AMQP values at the edges of what amqplib decodes', () => {
  it('keeps the largest long and timestamp on the wire even though amqplib rounds them to 2^63 / 2^64', () => {
    const original = wire({
      l: {'!': 'long', value: '9223372036854775807'},
      t: {'!': 'timestamp', value: '18446744073709551615'},
    })
    expect(throughEnvelope(original).equals(original)).toBe(true)
  })
})
