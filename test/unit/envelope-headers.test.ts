import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {
  decodeEnvelopeLine,
  encodeEnvelopeLine,
  headerValueFromBytes,
  headerValueToBytes,
  headerValueToText,
  keyFromBytes,
  keyToBytes,
  type Header,
} from '../../src/model/envelope/index.js'

const utf8Bytes = fc.string({unit: 'binary'}).map((s) => new Uint8Array(Buffer.from(s, 'utf8')))
const headerBytes = fc.oneof(fc.uint8Array({maxLength: 64}), utf8Bytes, fc.constant(null))

describe('Kafka / NATS header values', () => {
  it('round-trip any bytes (and Kafka null) through an envelope line exactly, in order, duplicates kept', () => {
    const headers = fc.array(fc.tuple(fc.string({unit: 'binary', maxLength: 8}), headerBytes), {maxLength: 8})
    fc.assert(
      fc.property(headers, (pairs) => {
        const list: Header[] = pairs.map(([name, bytes]) => [name, headerValueFromBytes(bytes)])
        const line = encodeEnvelopeLine({v: 1, headers: list, body: {utf8: ''}})
        const back = decodeEnvelopeLine(line, 1).headers.map(([name, v]) => [name, headerValueToBytes(v)])
        expect(back).toEqual(pairs.map(([name, bytes]) => [name, bytes === null ? null : Buffer.from(bytes)]))
      }),
      {numRuns: 1000},
    )
  })

  it('keeps valid UTF-8 as plain strings and tags anything else as bytes', () => {
    expect(headerValueFromBytes(Buffer.from('café'))).toBe('café')
    expect(headerValueFromBytes(Buffer.from([0xff, 0x00]))).toEqual({bytes: '/wA='})
    expect(headerValueFromBytes(Buffer.from([0xef, 0xbb, 0xbf]))).toBe('\uFEFF')
    expect(headerValueFromBytes(null)).toEqual({null: true})
  })

  it('renders AMQP typed values as text for byte and text headers', () => {
    const xDeath = {
      array: [
        {
          table: [
            ['count', {int: '2'}],
            ['time', {timestamp: 1700000000}],
            ['routing-keys', {array: ['a', 'b']}],
          ],
        },
      ],
    }
    expect(headerValueToText(xDeath as never)).toBe('[{"count":2,"time":1700000000,"routing-keys":["a","b"]}]')
    expect(headerValueToText({int: '-9223372036854775808'})).toBe('-9223372036854775808')
    expect(headerValueToText({float: 1.5})).toBe('1.5')
    expect(headerValueToText({float: 'NaN'})).toBe('"NaN"')
    expect(headerValueToText({bool: false})).toBe('false')
    expect(headerValueToText({decimal: {places: 3, digits: 5}})).toBe('0.005')
    expect(headerValueToText({decimal: {places: 2, digits: 12345}})).toBe('123.45')
    expect(headerValueToText({decimal: {places: 0, digits: 7}})).toBe('7')
    expect(headerValueToText({null: true})).toBe('')
    expect(headerValueToText({bytes: '/wA='})).toBe('/wA=')
    expect(headerValueToBytes({int: '42'})).toEqual(Buffer.from('42'))
    expect(headerValueToBytes({null: true})).toBeNull()
  })

  it('round-trips keys: text, binary and null', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({maxLength: 32}), utf8Bytes, fc.constant(null)), (bytes) => {
        const key = keyFromBytes(bytes)
        const line = encodeEnvelopeLine({v: 1, key, headers: [], body: {utf8: ''}})
        const back = keyToBytes(decodeEnvelopeLine(line, 1).key)
        expect(back).toEqual(bytes === null ? null : Buffer.from(bytes))
      }),
    )
    expect(keyToBytes(undefined)).toBeNull()
  })
})
