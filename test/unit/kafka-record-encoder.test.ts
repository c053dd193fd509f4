import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import '../../src/adapters/kafka/driver.js'
import {encodeRecord, kafkajsRecordEncoder, type RecordInput} from '../../src/adapters/kafka/record-encoder.js'

const bytes = fc.oneof(fc.uint8Array({maxLength: 300}).map((b) => Buffer.from(b)), fc.string({unit: 'binary', maxLength: 200}))
const record: fc.Arbitrary<RecordInput> = fc.record({
  offsetDelta: fc.integer({min: 0, max: 2 ** 31 - 1}),
  timestampDelta: fc.oneof(fc.integer({min: -(2 ** 40), max: 2 ** 40}), fc.integer({min: -200, max: 200})),
  key: fc.oneof(bytes, fc.constant(null)),
  value: fc.oneof(bytes, fc.constant(null)),
  // kafkajs itself cannot encode a null header value; every other value is compared.
  headers: fc.dictionary(fc.string({unit: 'binary', maxLength: 20}), fc.oneof(bytes, fc.array(bytes, {maxLength: 3})), {maxKeys: 8}),
})

describe('Kafka record encoder', () => {
  it('writes the same bytes as kafkajs for any record', () => {
    const theirs = kafkajsRecordEncoder()
    fc.assert(
      fc.property(record, (r) => {
        expect(encodeRecord(r).buffer.equals(theirs(r).buffer)).toBe(true)
      }),
      {numRuns: 2000},
    )
  })

  it('is the encoder kafkajs produce requests load once the Kafka driver is imported', () => {
    const require = createRequire(import.meta.url)
    const path = join(dirname(require.resolve('kafkajs')), 'src', 'protocol', 'recordBatch', 'record', 'v0', 'index.js')
    const loaded = require(path) as (r: RecordInput) => {buffer: Buffer}
    const r = {offsetDelta: 3, timestampDelta: 12, key: 'k', value: Buffer.from([0, 1, 2]), headers: {a: 'b'}}
    expect(loaded).not.toBe(kafkajsRecordEncoder())
    expect(loaded(r).buffer.equals(encodeRecord(r).buffer)).toBe(true)
  })
})
