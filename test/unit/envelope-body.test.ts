import {isUtf8} from 'node:buffer'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {bodyFromBytes, bodyToBytes} from '../../src/model/envelope/index.js'

const utf8Bytes = fc.string({unit: 'binary'}).map((s) => new Uint8Array(Buffer.from(s, 'utf8')))
const anyBytes = fc.oneof(fc.uint8Array({maxLength: 512}), utf8Bytes)

describe('body codec', () => {
  it('round-trips any bytes exactly, choosing utf8 only for valid UTF-8', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const body = bodyFromBytes(bytes)
        expect(bodyToBytes(body).equals(Buffer.from(bytes))).toBe(true)
        expect('utf8' in body).toBe(isUtf8(bytes))
      }),
      {numRuns: 2000},
    )
  })

  it('keeps a leading byte order mark as text instead of dropping it', () => {
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69])
    const body = bodyFromBytes(bytes)
    expect(body).toEqual({utf8: '\uFEFFhi'})
    expect(bodyToBytes(body)).toEqual(bytes)
  })

  it('uses base64 for invalid UTF-8: overlongs, encoded surrogates, truncated sequences', () => {
    for (const bytes of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff], [0x61, 0x80]]) {
      const body = bodyFromBytes(Buffer.from(bytes))
      expect(body).toEqual({base64: Buffer.from(bytes).toString('base64')})
      expect([...bodyToBytes(body)]).toEqual(bytes)
    }
  })

  it('accepts a Uint8Array view into a larger buffer without leaking neighbouring bytes', () => {
    const backing = Buffer.from('xxhelloxx')
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 5)
    expect(bodyFromBytes(view)).toEqual({utf8: 'hello'})
    const pooled = Buffer.from([1, 0xff, 2, 3])
    const binaryView = new Uint8Array(pooled.buffer, pooled.byteOffset + 1, 2)
    expect(bodyToBytes(bodyFromBytes(binaryView))).toEqual(Buffer.from([0xff, 2]))
  })

  it('maps an empty body to empty text', () => {
    expect(bodyFromBytes(new Uint8Array())).toEqual({utf8: ''})
    expect(bodyToBytes({utf8: ''}).length).toBe(0)
  })
})
