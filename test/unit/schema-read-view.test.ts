// The decoded view beside the bytes: what filters read, how it is shown, and that it never changes the envelope's
// bytes in NDJSON (dlq export | dlq import). Decoding itself runs against a real registry in test/e2e/schema-*.
import {describe, expect, it} from 'vitest'

import type {Envelope} from '../../src/model/envelope/types.js'
import {decodeEnvelopeLine, encodeEnvelopeLine} from '../../src/model/envelope/ndjson.js'
import {compileFilter} from '../../src/core/filter.js'
import {renderMessage} from '../../src/core/output/message.js'
import {envelopeDecoderFor} from '../../src/core/schema/envelope-decoder.js'

const framedAvro = Buffer.from([0, 0, 0, 0, 3, 0x0e, 0x06, 0x61, 0x62, 0x63])

const decodedOrder: Envelope = {
  v: 1,
  broker: 'kafka',
  target: 'orders',
  key: 'order-7',
  headers: [],
  body: {base64: framedAvro.toString('base64')},
  meta: {partition: 0, offset: '5'},
  decoded: {
    value: {
      schemaType: 'AVRO',
      schemaId: 3,
      subject: 'orders-value',
      version: 2,
      value: {id: 7, customer: {name: 'abc'}, amount: 120},
    },
  },
}

const undecoded: Envelope = {
  ...decodedOrder,
  body: {utf8: '{"amount": 5}'},
  decoded: {value: {error: 'not Confluent-framed (no magic byte 0 and schema id)\nsecond line'}},
}

describe('filters on decoded values', () => {
  it.each([
    ['json.amount > 100', decodedOrder, true],
    ['json.customer.name == "abc"', decodedOrder, true],
    ['schema.id == 3 and schema.subject == "orders-value" and schema.version == 2', decodedOrder, true],
    ['schema.type == "AVRO"', decodedOrder, true],
    // Not decoded: json is the body parsed as JSON, and the schema is unknown.
    ['json.amount == 5', undecoded, true],
    ['schema.id == 3', undecoded, false],
  ])('%s', (expression, envelope, expected) => {
    expect(compileFilter(expression)(envelope)).toBe(expected)
  })

  it('refuses a schema field that does not exist, naming the ones that do', () => {
    expect(() => compileFilter('schema.idd == 3')).toThrow(/schema\.idd/)
  })
})

describe('human output of decoded messages', () => {
  it('shows the schema (type, id, subject and version) and the decoded value instead of a hex dump', () => {
    const text = renderMessage(decodedOrder)
    expect(text).toContain('value (schema AVRO · id 3 · orders-value v2)')
    expect(text).toContain('"amount": 120')
    expect(text).not.toMatch(/00000000 {2}00/)
  })

  it('shows the bytes (hex) with --body hex even when decoded', () => {
    expect(renderMessage(decodedOrder, {bodyFormat: 'hex'})).toMatch(/00000000 {2}00 00 00 00 03/)
  })

  it('shows an undecoded value raw, with its reason on one line', () => {
    const text = renderMessage(undecoded)
    expect(text).toContain(
      'value (not decoded, shown raw: not Confluent-framed (no magic byte 0 and schema id) second line)',
    )
    expect(text).toContain('"amount": 5')
  })

  it('shows a decoded key with its schema', () => {
    const withKey: Envelope = {
      ...decodedOrder,
      decoded: {...decodedOrder.decoded, key: {schemaType: 'JSON', schemaId: 9, value: {id: 7}}},
    }
    expect(renderMessage(withKey)).toContain('key (schema JSON · id 9): {"id":7}')
  })
})

describe('the decoded view in NDJSON', () => {
  it('is written beside the exact bytes, and read back (dlq import) without complaint', () => {
    const line = encodeEnvelopeLine(decodedOrder)
    expect(JSON.parse(line).decoded.value.schemaId).toBe(3)
    const back = decodeEnvelopeLine(line, 1)
    expect(Buffer.from((back.body as {base64: string}).base64, 'base64')).toEqual(framedAvro)
  })

  it('is written last also on the field-by-field path (a message with a death record)', () => {
    const dead = {...decodedOrder, death: {reason: 'rejected'}}
    expect(Object.keys(JSON.parse(encodeEnvelopeLine(dead)))).toEqual([
      'v',
      'broker',
      'target',
      'key',
      'headers',
      'body',
      'meta',
      'death',
      'decoded',
    ])
  })
})

describe('--decode without a registry', () => {
  it('is off by default', async () => {
    expect(await envelopeDecoderFor(undefined, {})).toBeUndefined()
  })

  it.each([
    [{mode: 'avro' as const}, /--decode avro needs a schema registry/],
    [{mode: 'auto' as const}, /--decode auto needs a schema registry/],
    [{valueSubject: 'orders-value'}, /--value-subject needs a schema registry/],
  ])('%j is a usage error', async (request, message) => {
    await expect(envelopeDecoderFor(undefined, request)).rejects.toMatchObject({code: 'USAGE', message})
  })

  it('refuses --value-subject with --decode none', async () => {
    await expect(
      envelopeDecoderFor({url: 'http://127.0.0.1:1'}, {mode: 'none', valueSubject: 'x-value'}),
    ).rejects.toMatchObject({code: 'USAGE'})
  })

  it('decodes by default when a registry is configured', async () => {
    expect(await envelopeDecoderFor({url: 'http://127.0.0.1:1'}, {})).toBeDefined()
  })
})
