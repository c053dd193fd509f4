import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {buildFrame, parseFrame, readMessageIndexes, writeMessageIndexes} from '../../src/core/schema/wire-format.js'

describe('Confluent wire format', () => {
  it('frames as magic byte 0, big-endian int32 id, payload', () => {
    const framed = buildFrame(0x01020304, Buffer.from('abc'))
    expect([...framed]).toEqual([0, 1, 2, 3, 4, 0x61, 0x62, 0x63])
    expect(parseFrame(framed)).toEqual({schemaId: 0x01020304, payload: Buffer.from('abc')})
  })

  it('reads a Uint8Array view at an offset', () => {
    const backing = new Uint8Array([9, 9, 0, 0, 0, 0, 7, 42])
    expect(parseFrame(backing.subarray(2))).toEqual({schemaId: 7, payload: Buffer.from([42])})
  })

  it('is not framed without the magic byte, or shorter than the header', () => {
    expect(parseFrame(Buffer.from('{"a":1}'))).toBeUndefined()
    expect(parseFrame(Buffer.from([0, 0, 0, 1]))).toBeUndefined()
    expect(parseFrame(Buffer.from([]))).toBeUndefined()
  })

  it('writes message indexes as Confluent does: [0] as a single 0, else zigzag count and indexes', () => {
    expect([...writeMessageIndexes([0])]).toEqual([0])
    expect([...writeMessageIndexes([1])]).toEqual([2, 2])
    expect([...writeMessageIndexes([2, 2])]).toEqual([4, 4, 4])
    expect([...writeMessageIndexes([0, 70])]).toEqual([4, 0, 0x8c, 0x01])
  })

  it('reads message indexes and the message after them', () => {
    expect(readMessageIndexes(Buffer.from([0, 8, 1]))).toEqual({indexes: [0], message: Buffer.from([8, 1])})
    expect(readMessageIndexes(Buffer.from([2, 2, 8, 1]))).toEqual({indexes: [1], message: Buffer.from([8, 1])})
  })

  it('round-trips any index path', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({max: 100_000}), {minLength: 1, maxLength: 6}), fc.uint8Array(), (indexes, tail) => {
        const read = readMessageIndexes(Buffer.concat([writeMessageIndexes(indexes), tail]))
        expect(read.indexes).toEqual(indexes)
        expect([...read.message]).toEqual([...tail])
      }),
    )
  })

  it('refuses truncated or negative indexes', () => {
    expect(() => readMessageIndexes(Buffer.from([]))).toThrow(/past the end/)
    expect(() => readMessageIndexes(Buffer.from([4, 2]))).toThrow(/past the end/)
    expect(() => readMessageIndexes(Buffer.from([2, 1]))).toThrow(/bad Protobuf message index/)
  })
})
