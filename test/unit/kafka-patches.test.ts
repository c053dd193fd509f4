import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import fc from 'fast-check'
import type {Message} from 'kafkajs'
import {describe, expect, it, vi} from 'vitest'

import '../../src/adapters/kafka/driver.js'
import {kafkajsOriginal} from '../../src/adapters/kafka/patches/index.js'
import {groupMessagesPerPartition} from '../../src/adapters/kafka/patches/partition-grouping.js'
import {
  byteLengthOf,
  encodeRecord,
  HeaderList,
  type RecordEncoder,
  type RecordInput,
  withFallback,
} from '../../src/adapters/kafka/patches/record-encoder.js'

const bytes = fc.oneof(
  fc.uint8Array({maxLength: 300}).map((b) => Buffer.from(b)),
  fc.string({unit: 'binary', maxLength: 200}),
)
const record: fc.Arbitrary<RecordInput> = fc.record({
  offsetDelta: fc.integer({min: 0, max: 2 ** 31 - 1}),
  timestampDelta: fc.oneof(fc.integer({min: -(2 ** 40), max: 2 ** 40}), fc.integer({min: -200, max: 200})),
  key: fc.oneof(bytes, fc.constant(null)),
  value: fc.oneof(bytes, fc.constant(null)),
  // kafkajs itself cannot encode a null header value; every other value is compared.
  headers: fc.dictionary(fc.string({unit: 'binary', maxLength: 20}), fc.oneof(bytes, fc.array(bytes, {maxLength: 3})), {
    maxKeys: 8,
  }),
})

const kafkajsModule = (...path: string[]) => {
  const require = createRequire(import.meta.url)
  return require(join(dirname(require.resolve('kafkajs')), 'src', ...path)) as unknown
}

describe('kafkajs patches', () => {
  it('the record encoder writes the same bytes as kafkajs for any record', () => {
    const theirs = kafkajsOriginal<RecordEncoder>('record')
    fc.assert(
      fc.property(record, (r) => {
        expect(encodeRecord(r).buffer.equals(theirs(r).buffer)).toBe(true)
      }),
      {numRuns: 2000},
    )
  })

  it('headers given as a list are written in their own order, and as kafkajs would write their object when it can', () => {
    const theirs = kafkajsOriginal<RecordEncoder>('record')
    const decode = kafkajsModule('protocol', 'recordBatch', 'record', 'v0', 'decoder.js') as (
      d: unknown,
      batch: object,
    ) => {headers: Record<string, unknown>}
    const Decoder = kafkajsModule('protocol', 'decoder.js') as new (b: Buffer) => {readVarInt(): number}
    const list = (...parts: (string | Buffer)[]) => new HeaderList(parts, parts.map(byteLengthOf))
    const base = {offsetDelta: 1, timestampDelta: 5, key: 'k', value: 'v'}
    // Unique names, none integer-like: the same bytes as the object kafkajs takes.
    const unique = list('a', 'x', 'é', Buffer.from([0, 255]), '__proto__', '')
    expect(
      encodeRecord({...base, headers: unique}).buffer.equals(
        theirs({...base, headers: {a: 'x', é: Buffer.from([0, 255]), ['__proto__']: ''}}).buffer,
      ),
    ).toBe(true)
    // Repeated names stay interleaved, and integer-like names stay in place.
    const interleaved = encodeRecord({...base, headers: list('a', '1', '7', '2', 'a', '3')}).buffer
    const decoder = new Decoder(interleaved)
    decoder.readVarInt() // the record's length
    expect(decode(decoder, {firstOffset: '0', firstTimestamp: '0'}).headers).toEqual({
      a: [Buffer.from('1'), Buffer.from('3')],
      7: Buffer.from('2'),
    })
    expect(interleaved.includes(Buffer.from('\x02a\x021\x027\x022\x02a\x023'))).toBe(true)
    // kafkajs's own encoder, the fallback for unusual deltas, gets the object it expects.
    const unusual = {...base, timestampDelta: 2 ** 60, headers: list('7', 'x', 'a', 'y', '7', 'z')}
    const viaFallback = withFallback(theirs)(unusual).buffer
    expect(viaFallback.equals(theirs({...unusual, headers: unusual.headers.toObject()}).buffer)).toBe(true)
    expect(Reflect.ownKeys(unusual.headers.toObject())).toEqual(['7', 'a'])
  })

  it('the partition grouping gives the same groups in the same order as kafkajs', () => {
    const theirs = kafkajsOriginal<typeof groupMessagesPerPartition>('grouping')
    const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
      partitionErrorCode: 0,
    }))
    fc.assert(
      fc.property(
        fc.array(fc.record({key: fc.string({maxLength: 4}), partition: fc.integer({min: 0, max: 3})}), {maxLength: 50}),
        (list) => {
          const messages: Message[] = list.map((m, i) => ({...m, value: String(i)}))
          const input = {
            topic: 't',
            partitionMetadata,
            messages,
            partitioner: ({message}: {message: Message}) => message.partition!,
          }
          expect(groupMessagesPerPartition(input)).toEqual(theirs(input))
        },
      ),
    )
    expect(
      groupMessagesPerPartition({topic: 't', partitionMetadata: [], messages: [{value: 'x'}], partitioner: () => 0}),
    ).toEqual({})
  })

  it('are what kafkajs loads once the Kafka driver is imported', () => {
    const r = {offsetDelta: 3, timestampDelta: 12, key: 'k', value: Buffer.from([0, 1, 2]), headers: {a: 'b'}}
    const loaded = kafkajsModule('protocol', 'recordBatch', 'record', 'v0', 'index.js') as (r: RecordInput) => {
      buffer: Buffer
    }
    expect(loaded).not.toBe(kafkajsOriginal('record'))
    expect(loaded(r).buffer.equals(encodeRecord(r).buffer)).toBe(true)
    expect(kafkajsModule('producer', 'groupMessagesPerPartition.js')).toBe(groupMessagesPerPartition)
    expect(kafkajsModule('protocol', 'requests', 'produce', 'v3', 'request.js')).not.toBe(
      kafkajsOriginal('produceRequest'),
    )
  })

  it('the produce request encodes the same bytes as kafkajs for any topic data', async () => {
    type Request = (o: object) => {encode(): Promise<{buffer: Buffer}>; apiKey: number; apiVersion: number}
    const ours = kafkajsModule('protocol', 'requests', 'produce', 'v3', 'request.js') as Request
    const theirs = kafkajsOriginal<Request>('produceRequest')
    const message = fc.record(
      {
        key: fc.oneof(bytes, fc.constant(null)),
        value: bytes,
        headers: fc.dictionary(fc.string({maxLength: 6}), bytes, {maxKeys: 3}),
        timestamp: fc.oneof(fc.integer({min: 1e12, max: 2e12}).map(String), fc.integer({min: 1e12, max: 2e12})),
      },
      {requiredKeys: ['value']},
    )
    const partitions = fc.array(
      fc.record({partition: fc.nat(5), messages: fc.array(message, {minLength: 1, maxLength: 6})}),
      {minLength: 1, maxLength: 3},
    )
    const topicData = fc.array(fc.record({topic: fc.string({minLength: 1, maxLength: 10}), partitions}), {
      minLength: 1,
      maxLength: 2,
    })
    await fc.assert(
      fc.asyncProperty(
        topicData,
        fc.constantFrom(-1, 1),
        fc.constantFrom(null, 'tx-1'),
        async (data, acks, transactionalId) => {
          const input = {acks, timeout: 30000, transactionalId, topicData: data}
          // Both read the clock for messages without a timestamp: the same clock.
          vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_123)
          const [a, b] = [ours(input), theirs(input)]
          expect([a.apiKey, a.apiVersion]).toEqual([b.apiKey, b.apiVersion])
          expect((await a.encode()).buffer.equals((await b.encode()).buffer)).toBe(true)
        },
      ),
      {numRuns: 300},
    )
    vi.restoreAllMocks()
  })
})
