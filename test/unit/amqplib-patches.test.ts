import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {PassThrough, Writable} from 'node:stream'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {amqp} from '../../src/adapters/rabbitmq/driver.js'
import {fastTableEncoder, type TableEncoder} from '../../src/adapters/rabbitmq/patches/field-table.js'
import {amqplibOriginal} from '../../src/adapters/rabbitmq/patches/index.js'
import type {PublishOptionsLike} from '../../src/adapters/rabbitmq/patches/publish-args.js'
import type {SendMessage} from '../../src/adapters/rabbitmq/patches/publish-frames.js'

const amqplibModule = <T>(name: string): T => {
  const require = createRequire(import.meta.url)
  return require(join(dirname(require.resolve('amqplib')), 'lib', name)) as T
}
interface Defs {
  BasicPublish: number
  BasicProperties: number
  encodeMethod(id: number, channel: number, fields: object): Buffer
  encodeProperties(id: number, channel: number, size: number, fields: object): Buffer
}

const text = fc.oneof(
  fc.string({maxLength: 40}),
  fc.string({unit: 'grapheme', maxLength: 10}),
  fc.constant('mailroom-replay-id'),
)
const scalar = fc.oneof(
  text,
  text,
  fc.integer(),
  fc.double({noNaN: true}),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({maxLength: 20}).map((b) => Buffer.from(b)),
)
const value = fc.oneof(scalar, scalar, fc.array(scalar, {maxLength: 3}), fc.dictionary(text, scalar, {maxKeys: 3}))
const table = fc.dictionary(fc.oneof(text, fc.string({minLength: 250, maxLength: 260})), value, {maxKeys: 8})

/** The encoder's result, or the error it threw (class and message). */
function outcome(encode: TableEncoder, t: Record<string, unknown>, size: number, offset: number): unknown {
  const buffer = Buffer.alloc(size)
  try {
    const length = encode(buffer, t, offset)
    return {length, bytes: buffer.subarray(offset, offset + length).toString('hex')}
  } catch (error) {
    return {threw: (error as Error).constructor.name, message: (error as Error).message}
  }
}

describe('amqplib patches', () => {
  it('the field-table encoder writes the same bytes as amqplib, and fails the same way', () => {
    const theirs = amqplibOriginal('encodeTable')
    const ours = fastTableEncoder(theirs)
    fc.assert(
      fc.property(table, fc.integer({min: 0, max: 700}), fc.nat(8), (t, size, offset) => {
        expect(outcome(ours, t, size, offset)).toEqual(outcome(theirs, t, size, offset))
        expect(outcome(ours, t, 65536, offset)).toEqual(outcome(theirs, t, 65536, offset))
      }),
      {numRuns: 3000},
    )
    // Inherited names belong to the table, as in amqplib.
    const inherited = Object.create({a: 'b'}) as Record<string, unknown>
    inherited.c = 'd'
    expect(outcome(ours, inherited, 100, 0)).toEqual(outcome(theirs, inherited, 100, 0))
  })

  it('publish arguments encode to the same frames as amqplib', () => {
    const defs = amqplibModule<Defs>('defs.js')
    const ours = amqplibModule<{publish: (e: string, k: string, o?: PublishOptionsLike) => object}>(
      'api_args.js',
    ).publish
    const theirs = amqplibOriginal('publishArgs')
    const options = fc.record(
      {
        headers: fc.dictionary(text, value, {maxKeys: 5}),
        CC: fc.oneof(text, fc.array(text, {maxLength: 2})),
        BCC: text,
        persistent: fc.boolean(),
        deliveryMode: fc.oneof(fc.nat(3), fc.boolean()),
        messageId: fc.string({maxLength: 20}),
        correlationId: fc.string({maxLength: 20}),
        replyTo: fc.string({maxLength: 20}),
        contentType: fc.constantFrom('application/json', 'text/plain'),
        contentEncoding: fc.constantFrom('gzip', 'identity'),
        type: fc.string({maxLength: 10}),
        appId: fc.string({maxLength: 10}),
        userId: fc.constant('guest'),
        priority: fc.nat(9),
        expiration: fc.oneof(fc.nat(100000), fc.nat(100000).map(String)),
        timestamp: fc.nat(),
        mandatory: fc.boolean(),
      },
      {requiredKeys: []},
    )
    const frames = (fields: object) => {
      try {
        return [
          defs.encodeMethod(defs.BasicPublish, 1, fields),
          defs.encodeProperties(defs.BasicProperties, 1, 7, fields),
        ].map((b) => b.toString('hex'))
      } catch (error) {
        return (error as Error).message
      }
    }
    fc.assert(
      fc.property(
        fc.string({maxLength: 10}),
        fc.string({maxLength: 10}),
        fc.option(options, {nil: undefined}),
        (exchange, key, o) => {
          expect(frames(ours(exchange, key, o))).toEqual(frames(theirs(exchange, key, o)))
        },
      ),
      {numRuns: 1000},
    )
  })

  it('a publish is sent as the same bytes as amqplib sends it, and fails the same way', () => {
    const defs = amqplibModule<Defs>('defs.js')
    const {Connection} = amqplibModule<{Connection: {prototype: {sendMessage: SendMessage; sendContent: unknown}}}>(
      'connection.js',
    )
    const publishArgs = amqplibOriginal('publishArgs')
    /** What a connection writes to the channel's buffer for one publish, as one hex string, or what it threw. */
    const sent = (sendMessage: SendMessage, fields: Record<string, unknown>, content: Buffer, frameMax: number) => {
      const written: Buffer[] = []
      const connection = {
        frameMax,
        sentSinceLastCheck: false,
        sendContent: Connection.prototype.sendContent,
        channels: [undefined, {buffer: {write: (b: Buffer) => written.push(Buffer.from(b)) > 0}}],
      } as unknown as ThisParameterType<SendMessage>
      try {
        sendMessage.call(connection, 1, defs.BasicPublish, fields, defs.BasicProperties, fields, content)
        return {bytes: Buffer.concat(written).toString('hex'), sentSinceLastCheck: connection.sentSinceLastCheck}
      } catch (error) {
        return {threw: (error as Error).constructor.name, message: (error as Error).message}
      }
    }
    const odd = fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.integer(),
      fc.double(),
      fc.string({maxLength: 3}),
    )
    const fieldsOf = (property: <T>(arb: fc.Arbitrary<T>) => fc.Arbitrary<unknown>) =>
      fc.record(
        {
          exchange: property(fc.oneof(text, fc.string({minLength: 250, maxLength: 260}))),
          routingKey: property(text),
          ticket: property(fc.nat(70000)),
          mandatory: fc.boolean(),
          immediate: fc.boolean(),
          contentType: property(text),
          contentEncoding: property(text),
          headers: property(table),
          deliveryMode: property(fc.integer({min: -1, max: 300})),
          priority: property(fc.nat(9)),
          correlationId: property(text),
          replyTo: property(text),
          expiration: property(fc.nat(100000).map(String)),
          messageId: property(fc.oneof(text, fc.string({minLength: 250, maxLength: 260}))),
          timestamp: property(fc.oneof(fc.nat(), fc.maxSafeNat())),
          type: property(text),
          userId: property(text),
          appId: property(text),
          clusterId: property(text),
        },
        {requiredKeys: []},
      )
    const content = fc.oneof(
      fc.uint8Array({maxLength: 300}).map((b) => Buffer.from(b)),
      fc.constant(Buffer.alloc(5000, 7)),
    )
    const same = (fields: fc.Arbitrary<Record<string, unknown>>) =>
      fc.assert(
        fc.property(fields, content, fc.constantFrom(4096, 131072), (f, body, frameMax) => {
          const theirs = sent(amqplibOriginal('sendMessage'), f, body, frameMax)
          expect(sent(Connection.prototype.sendMessage, f, body, frameMax)).toEqual(theirs)
        }),
        {numRuns: 2000},
      )
    // Values of every kind, amqplib's refusals included; then only values of the right types (written here).
    same(fieldsOf((arb) => fc.oneof(arb, arb, arb, odd)))
    same(fieldsOf((arb) => arb))
    // What mailroom publishes: a replayed message with its provenance.
    const replayed = publishArgs('', 'orders', {
      mandatory: true,
      persistent: true,
      messageId: 'm-1',
      headers: {'mailroom-replay-id': '20261207T162719-3f9a1c', 'mailroom-replay-count': '1'},
    })
    const body = Buffer.from('{"id":1}')
    expect(sent(Connection.prototype.sendMessage, replayed, body, 131072)).toEqual(
      sent(amqplibOriginal('sendMessage'), replayed, body, 131072),
    )
  })

  it('the multiplexer writes a round of frames from every channel in one socket write, in order', async () => {
    const {Mux} = amqplibModule<{Mux: new (out: Writable) => {pipeFrom(r: PassThrough): void}}>('mux.js')
    const writes: string[][] = []
    const socket = new Writable({
      writev(chunks, done) {
        writes.push(chunks.map((c) => String(c.chunk)))
        done()
      },
      write(chunk, _encoding, done) {
        writes.push([String(chunk)])
        done()
      },
    })
    const mux = new Mux(socket)
    const channels = [new PassThrough({objectMode: true}), new PassThrough({objectMode: true})]
    for (const channel of channels) mux.pipeFrom(channel)
    for (let i = 0; i < 3; i++) for (const [n, channel] of channels.entries()) channel.write(Buffer.from(`${n}.${i}`))
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    expect(writes).toEqual([['0.0', '1.0', '0.1', '1.1', '0.2', '1.2']])
  })

  it('are what amqplib uses once the RabbitMQ driver is imported', () => {
    expect(amqp.connect).toBeTypeOf('function')
    const ours = amqplibModule<{publish: unknown}>('api_args.js').publish
    expect(ours).not.toBe(amqplibOriginal('publishArgs'))
    const codec = amqplibModule<{encodeTable: TableEncoder}>('codec.js')
    expect(codec.encodeTable).not.toBe(amqplibOriginal('encodeTable'))
    const {Connection} = amqplibModule<{Connection: {prototype: {sendMessage: unknown}}}>('connection.js')
    expect(Connection.prototype.sendMessage).not.toBe(amqplibOriginal('sendMessage'))
    // The frame encoders took the patched table encoder when they loaded: a table of ASCII strings goes through it.
    const defs = amqplibModule<Defs>('defs.js')
    const headers = {'mailroom-replay-id': 'r-1'}
    const expected = Buffer.alloc(64)
    const length = amqplibOriginal('encodeTable')(expected, headers, 0)
    expect(defs.encodeProperties(defs.BasicProperties, 1, 0, {headers}).includes(expected.subarray(0, length))).toBe(
      true,
    )
  })
})
