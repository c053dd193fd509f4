// Avro longs decoded straight from their varint bytes to what the decoded view shows (a number when exact, else a
// decimal string), checked against bytes written from the Avro specification (test/helpers), not by avsc.
import {describe, expect, it} from 'vitest'

import {avroCodec} from '../../src/core/schema/codecs/avro.js'
import {avroBytes, avroLong, avroString} from '../helpers/schema-registry.js'

function codecOf(schema: object) {
  return avroCodec({
    schema: {id: 1, schemaType: 'AVRO', schema: JSON.stringify(schema), references: []},
    references: [],
  })
}

const longs = codecOf({type: 'record', name: 'L', fields: [{name: 'n', type: 'long'}]})

describe('Avro longs in decoded values', () => {
  const cases: [bigint, number | string][] = [
    [0n, 0],
    [-1n, -1],
    [1n, 1],
    [63n, 63],
    [-64n, -64],
    [2n ** 48n - 1n, 2 ** 48 - 1], // the largest magnitude 7 varint bytes hold
    [-(2n ** 48n), -(2 ** 48)],
    [2n ** 48n, 2 ** 48], // 8 bytes: the BigInt path
    [2n ** 53n - 1n, Number.MAX_SAFE_INTEGER],
    [-(2n ** 53n - 1n), Number.MIN_SAFE_INTEGER],
    [2n ** 53n, '9007199254740992'],
    [-(2n ** 53n), '-9007199254740992'],
    [2n ** 63n - 1n, '9223372036854775807'],
    [-(2n ** 63n), '-9223372036854775808'],
  ]
  it.each(cases)('%s is shown as %j', (value, shown) => {
    expect(longs.decode(Buffer.from(avroLong(value)), {framed: true}).value).toEqual({n: shown})
  })

  it('are presented inside unions, arrays and maps too, and bytes become base64', () => {
    const codec = codecOf({
      type: 'record',
      name: 'R',
      fields: [
        {name: 'maybe', type: ['null', 'long']},
        {name: 'list', type: {type: 'array', items: 'long'}},
        {name: 'blob', type: 'bytes'},
        {name: 'tag', type: 'string'},
      ],
    })
    const payload = Buffer.concat([
      Buffer.from([2, ...avroLong(2n ** 60n)]), // union branch 1 (long)
      Buffer.from([...avroLong(2), ...avroLong(-5), ...avroLong(2n ** 62n), 0]), // a block of 2 items, then the end
      avroBytes(Buffer.from([1, 2, 3])),
      avroString('t'),
    ])
    expect(JSON.parse(JSON.stringify(codec.decode(payload, {framed: true}).value))).toEqual({
      maybe: '1152921504606846976',
      list: [-5, '4611686018427387904'],
      blob: 'AQID',
      tag: 't',
    })
  })

  it('encoding still takes numbers and decimal strings for longs', () => {
    const encoded = longs.encode({n: '9007199254740993'}, {})
    expect([...encoded]).toEqual(avroLong(9007199254740993n))
  })
})
