// Decoding and encoding through a real schema registry (Apicurio Registry's Confluent-compatible API, started by the
// harness). Schemas are registered over the registry's own HTTP API, and records are built byte by byte from the
// Confluent wire format and the Avro and Protobuf specifications (test/helpers/schema-registry.ts), independently of
// the avsc and protobufjs libraries the decoder uses.
import {beforeAll, describe, expect, it} from 'vitest'

import {readFileSync} from 'node:fs'

import {isMailroomError} from '../../src/model/errors.js'
import {createSchemaDecoder} from '../../src/core/schema/decoder.js'
import {
  REGISTRY_URL,
  avroBytes,
  avroDouble,
  avroLong,
  avroString,
  confluentFrame,
  javaFramedRecords,
  protoBytesField,
  protoVarintField,
  registerSchema,
  registryGet,
} from '../helpers/schema-registry.js'
import {PKI, RABBITMQ} from '../helpers/secure.js'

const run = `schema-core-${Date.now().toString(36)}`
const subject = (name: string) => `${run}-${name}`

const MONEY_AVRO = JSON.stringify({
  type: 'record',
  name: 'Money',
  namespace: 'schemacore',
  fields: [
    {name: 'currency', type: 'string'},
    {name: 'units', type: 'long'},
  ],
})
const ORDER_AVRO = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'schemacore',
  fields: [
    {name: 'id', type: 'long'},
    {name: 'amount', type: 'double'},
    {name: 'note', type: ['null', 'string'], default: null},
    {name: 'blob', type: 'bytes'},
    {name: 'total', type: 'schemacore.Money'},
  ],
})
const SHOP_PROTO = `syntax = "proto3";
package schemacore.shop;

message Order {
  string id = 1;
  int64 amount = 2;
  Status status = 3;
  bytes blob = 4;
}

enum Status {
  NEW = 0;
  PAID = 1;
}

message Refund {
  string order_id = 1;
  int32 cents = 2;
  Reason reason = 3;
  message Reason {
    string why = 1;
  }
}
`
const COMMON_PROTO = `syntax = "proto3";
package schemacore.common;

message Money {
  string currency = 1;
  int64 units = 2;
}
`
const PAYMENT_PROTO = `syntax = "proto3";
package schemacore.pay;

import "schemacore/common.proto";

message Payment {
  schemacore.common.Money total = 1;
  string memo = 2;
}
`
const ITEM_JSON_SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {sku: {type: 'string'}, qty: {type: 'integer'}},
  required: ['sku'],
  additionalProperties: false,
})

const ids = {avroMoney: 0, avroOrder: 0, shop: 0, common: 0, payment: 0, item: 0}
const decoder = createSchemaDecoder({url: REGISTRY_URL})
const value = {part: 'value', mode: 'auto'} as const

/** The Avro Order record, byte by byte: long, double, union branch 1 (string), bytes, then the Money record. */
const orderAvroPayload = Buffer.concat([
  Buffer.from(avroLong(9007199254740993n)),
  avroDouble(12.5),
  Buffer.from(avroLong(1)),
  avroString('rush'),
  avroBytes(Buffer.from([1, 2, 3])),
  avroString('EUR'),
  Buffer.from(avroLong(1200)),
])
const orderAvroValue = {
  id: '9007199254740993',
  amount: 12.5,
  note: 'rush',
  blob: 'AQID',
  total: {currency: 'EUR', units: 1200},
}
/** Refund (the second top-level message: indexes [1], written as count 1, index 1, both zigzag: 2 2). */
const refundPayload = Buffer.concat([
  protoBytesField(1, Buffer.from('o-7')),
  Buffer.from(protoVarintField(2, 250)),
  protoBytesField(3, protoBytesField(1, Buffer.from('damaged'))),
])

beforeAll(async () => {
  ids.avroMoney = await registerSchema(subject('money'), MONEY_AVRO)
  ids.avroOrder = await registerSchema(subject('orders-value'), ORDER_AVRO, {
    references: [{name: 'schemacore.Money', subject: subject('money'), version: 1}],
  })
  ids.shop = await registerSchema(subject('shop-value'), SHOP_PROTO, {schemaType: 'PROTOBUF'})
  ids.common = await registerSchema(subject('common'), COMMON_PROTO, {schemaType: 'PROTOBUF'})
  ids.payment = await registerSchema(subject('payments-value'), PAYMENT_PROTO, {
    schemaType: 'PROTOBUF',
    references: [{name: 'schemacore/common.proto', subject: subject('common'), version: 1}],
  })
  ids.item = await registerSchema(subject('items-value'), ITEM_JSON_SCHEMA, {schemaType: 'JSON'})
})

/** Where the registry itself says a schema id is registered. */
async function registryPlaceOf(id: number): Promise<{subject?: string; version?: number}> {
  const answer = await registryGet(`schemas/ids/${id}/versions`)
  const first = answer.status === 200 ? (answer.body as {subject: string; version: number}[])[0] : undefined
  return first ? {subject: first.subject, version: first.version} : {}
}

describe('decoding Confluent-framed records', () => {
  it('Avro with a reference to another subject, a long beyond 2^53, a union and bytes', async () => {
    const decoded = await decoder.decode(confluentFrame(ids.avroOrder, orderAvroPayload), value)
    expect(decoded).toEqual({
      ok: true,
      schemaId: ids.avroOrder,
      schemaType: 'AVRO',
      ...(await registryPlaceOf(ids.avroOrder)),
      value: orderAvroValue,
    })
  })

  it('Protobuf: the second top-level message (indexes [1]), an enum and an int64 of the first, a nested one', async () => {
    const refund = await decoder.decode(confluentFrame(ids.shop, [2, 2], refundPayload), value)
    expect(refund).toMatchObject({
      ok: true,
      schemaId: ids.shop,
      schemaType: 'PROTOBUF',
      messageName: 'schemacore.shop.Refund',
      value: {order_id: 'o-7', cents: 250, reason: {why: 'damaged'}},
    })
    const orderPayload = Buffer.concat([
      protoBytesField(1, Buffer.from('o-1')),
      Buffer.from(protoVarintField(2, 9007199254740993n)),
      Buffer.from(protoVarintField(3, 1)),
      protoBytesField(4, Buffer.from([1, 2, 3])),
    ])
    const order = await decoder.decode(confluentFrame(ids.shop, [0], orderPayload), value)
    expect(order).toMatchObject({
      ok: true,
      messageName: 'schemacore.shop.Order',
      value: {id: 'o-1', amount: '9007199254740993', status: 'PAID', blob: 'AQID'},
    })
    // Refund.Reason: indexes [1, 0], written as count 2, then 1 and 0 (zigzag: 4 2 0).
    const nested = await decoder.decode(
      confluentFrame(ids.shop, [4, 2, 0], protoBytesField(1, Buffer.from('late'))),
      value,
    )
    expect(nested).toMatchObject({ok: true, messageName: 'schemacore.shop.Refund.Reason', value: {why: 'late'}})
  })

  it('Protobuf importing a file registered under another subject (a schema reference)', async () => {
    const payload = Buffer.concat([
      protoBytesField(1, Buffer.concat([protoBytesField(1, Buffer.from('USD')), Buffer.from(protoVarintField(2, 42))])),
      protoBytesField(2, Buffer.from('tip')),
    ])
    const decoded = await decoder.decode(confluentFrame(ids.payment, [0], payload), value)
    expect(decoded).toMatchObject({
      ok: true,
      schemaId: ids.payment,
      messageName: 'schemacore.pay.Payment',
      value: {total: {currency: 'USD', units: 42}, memo: 'tip'},
    })
  })

  it("Protobuf importing Google's well-known types without a reference", async () => {
    const id = await registerSchema(
      subject('events-value'),
      'syntax = "proto3";\npackage schemacore.ev;\nimport "google/protobuf/timestamp.proto";\nmessage Event { google.protobuf.Timestamp at = 1; }\n',
      {schemaType: 'PROTOBUF'},
    )
    const at = Buffer.concat([Buffer.from(protoVarintField(1, 1700000000)), Buffer.from(protoVarintField(2, 5))])
    const decoded = await decoder.decode(confluentFrame(id, [0], protoBytesField(1, at)), value)
    expect(decoded).toMatchObject({ok: true, value: {at: {seconds: 1700000000, nanos: 5}}})
  })

  it('JSON Schema: the JSON text after the header', async () => {
    const decoded = await decoder.decode(confluentFrame(ids.item, Buffer.from('{"sku":"A-1","qty":3}')), value)
    expect(decoded).toMatchObject({ok: true, schemaId: ids.item, schemaType: 'JSON', value: {sku: 'A-1', qty: 3}})
  })

  it('the same answers for a key, and for a Uint8Array view into a larger buffer', async () => {
    const backing = Buffer.concat([Buffer.from('xx'), confluentFrame(ids.item, Buffer.from('{"sku":"K"}'))])
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, backing.length - 2)
    expect(await decoder.decode(view, {part: 'key', mode: 'auto'})).toMatchObject({ok: true, value: {sku: 'K'}})
  })
})

describe('records written by the Java reference libraries (Apache Avro, protobuf-java), framed as Confluent does', () => {
  it('decode to the values written, and encoding those values gives the same bytes', async () => {
    const avroJson = JSON.stringify({
      id: 9007199254740993n.toString(),
      amount: 12.5,
      note: {string: 'rush'},
      blob: '\u0001\u0002\u0003',
      total: {currency: 'EUR', units: 1200},
    }).replace('"9007199254740993"', '9007199254740993')
    const cases = [
      ['avro', String(ids.avroOrder), MONEY_AVRO, ORDER_AVRO, avroJson],
      [
        'protobuf',
        String(ids.shop),
        SHOP_PROTO,
        'schemacore.shop.Refund',
        '{"order_id":"o-7","cents":250,"reason":{"why":"damaged"}}',
      ],
      [
        'protobuf',
        String(ids.shop),
        SHOP_PROTO,
        'schemacore.shop.Order',
        '{"id":"o-1","amount":"9007199254740993","status":"PAID","blob":"AQID"}',
      ],
      ['protobuf', String(ids.shop), SHOP_PROTO, 'schemacore.shop.Refund.Reason', '{"why":"late"}'],
    ]
    const [avroRecord, refund, order, reason] = await javaFramedRecords(cases)
    const expectations: [Buffer, unknown, {schemaId: number; messageName?: string}][] = [
      [avroRecord, orderAvroValue, {schemaId: ids.avroOrder}],
      [
        refund,
        {order_id: 'o-7', cents: 250, reason: {why: 'damaged'}},
        {schemaId: ids.shop, messageName: 'schemacore.shop.Refund'},
      ],
      [
        order,
        {id: 'o-1', amount: '9007199254740993', status: 'PAID', blob: 'AQID'},
        {schemaId: ids.shop, messageName: 'schemacore.shop.Order'},
      ],
      [reason, {why: 'late'}, {schemaId: ids.shop, messageName: 'schemacore.shop.Refund.Reason'}],
    ]
    expect([...refund.subarray(5, 7)]).toEqual([2, 2])
    expect([...reason.subarray(5, 8)]).toEqual([4, 2, 0])
    for (const [record, expected, target] of expectations) {
      const decoded = await decoder.decode(record, value)
      expect(decoded).toMatchObject({ok: true, ...target, value: expected})
      expect(await decoder.encode(expected, target)).toEqual(record)
    }
  }, 180_000)
})

describe('records that cannot be decoded: ok false with a one-line reason, never a throw', () => {
  it('an unknown schema id', async () => {
    const decoded = await decoder.decode(confluentFrame(2_000_000_000, [1, 2]), value)
    expect(decoded).toEqual({
      ok: false,
      reason: expect.stringMatching(/^schema id 2000000000 is not in the schema registry 127\.0\.0\.1:8081$/),
    })
  })

  it('an unframed record (no magic byte) in auto mode', async () => {
    const decoded = await decoder.decode(Buffer.from('{"sku":"A-1"}'), {...value, topic: subject('items')})
    expect(decoded).toEqual({ok: false, reason: expect.stringMatching(/^not Confluent-framed.*--value-subject$/)})
  })

  it('a payload that does not fit its schema', async () => {
    const decoded = await decoder.decode(confluentFrame(ids.avroOrder, [0x02]), value)
    expect(decoded.ok).toBe(false)
    expect(!decoded.ok && decoded.reason).toMatch(
      new RegExp(`^does not decode with schema ${ids.avroOrder} \\(AVRO\\): `),
    )
  })

  it('Protobuf message indexes that name no message', async () => {
    const decoded = await decoder.decode(confluentFrame(ids.shop, [2, 6], refundPayload), value)
    expect(!decoded.ok && decoded.reason).toMatch(/message indexes \[3\] name no message of the schema/)
  })

  it('a registry that is down', async () => {
    const down = createSchemaDecoder({url: 'http://127.0.0.1:9/apis/ccompat/v7'})
    const decoded = await down.decode(confluentFrame(ids.item, Buffer.from('{}')), value)
    expect(decoded).toEqual({ok: false, reason: 'schema registry 127.0.0.1:9 is unreachable: ECONNREFUSED'})
  })

  it('no registry configured', async () => {
    expect(await createSchemaDecoder(undefined).decode(confluentFrame(1, [0]), value)).toEqual({
      ok: false,
      reason: 'no schema registry configured',
    })
  })
})

describe('HTTPS to the registry verifies the server against the context CA', () => {
  // No HTTPS registry runs here: the secured RabbitMQ's management API (HTTPS, the harness's own CA) stands in as
  // the server, answering 404 to a schema path; what is tested is the TLS handshake, not a registry's answer.
  const framed = confluentFrame(1, Buffer.from('{}'))

  it('without the CA the certificate is refused, in one line', async () => {
    const decoded = await createSchemaDecoder({url: RABBITMQ.management}).decode(framed, value)
    expect(decoded.ok).toBe(false)
    expect(!decoded.ok && decoded.reason).toMatch(/certificate/i)
    expect(!decoded.ok && decoded.reason).not.toMatch(/\n/)
  })

  it('with the CA the request reaches the server, which answers over HTTP', async () => {
    const tls = {ca: readFileSync(PKI.ca, 'utf8')}
    const decoded = await createSchemaDecoder({url: RABBITMQ.management, tls}).decode(framed, value)
    expect(decoded).toEqual({
      ok: false,
      reason: expect.stringMatching(/^schema registry 127\.0\.0\.1:15771 answered HTTP 406: /),
    })
  })
})

describe('unframed records through a subject', () => {
  it('falls back to <topic>-value when a mode is named, and to a named subject', async () => {
    const money = Buffer.concat([avroString('CHF'), Buffer.from(avroLong(-5))])
    const byTopic = await decoder.decode(money, {topic: subject('money-topic'), part: 'value', mode: 'avro'})
    expect(byTopic).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /^not Confluent-framed, and subject ".*-money-topic-value" is not in the schema registry/,
      ),
    })
    await registerSchema(subject('money-topic-value'), MONEY_AVRO)
    const fallback = await createSchemaDecoder({url: REGISTRY_URL}).decode(money, {
      topic: subject('money-topic'),
      part: 'value',
      mode: 'avro',
    })
    expect(fallback).toMatchObject({
      ok: true,
      schemaId: ids.avroMoney,
      subject: subject('money-topic-value'),
      version: 1,
      value: {currency: 'CHF', units: -5},
    })
    const named = await decoder.decode(money, {part: 'value', mode: 'auto', subject: subject('money')})
    expect(named).toMatchObject({ok: true, value: {currency: 'CHF', units: -5}})
  })

  it('a named mode that is not the schema type is a reason', async () => {
    const decoded = await decoder.decode(confluentFrame(ids.item, Buffer.from('{}')), {part: 'value', mode: 'avro'})
    expect(decoded).toEqual({ok: false, reason: `schema ${ids.item} is JSON, not AVRO (--decode avro)`})
  })
})

describe('encoding as Confluent serializers frame', () => {
  it('Avro: byte for byte the record the specification gives, under the id the registry holds', async () => {
    const input = {...orderAvroValue, id: 9007199254740993n.toString()}
    expect(await decoder.encode(input, {schemaId: ids.avroOrder})).toEqual(
      confluentFrame(ids.avroOrder, orderAvroPayload),
    )
    const latest = (await registryGet(`subjects/${subject('orders-value')}/versions/latest`)).body as {id: number}
    const bySubject = await decoder.encode(input, {subject: subject('orders-value')})
    expect(bySubject.readInt32BE(1)).toBe(latest.id)
    expect(bySubject).toEqual(confluentFrame(ids.avroOrder, orderAvroPayload))
  })

  it('Protobuf: the second message with its indexes [1]', async () => {
    const input = {order_id: 'o-7', cents: 250, reason: {why: 'damaged'}}
    const encoded = await decoder.encode(input, {schemaId: ids.shop, messageName: 'Refund'})
    expect(encoded).toEqual(confluentFrame(ids.shop, [2, 2], refundPayload))
    expect(await decoder.encode({id: 'o-1'}, {schemaId: ids.shop})).toEqual(
      confluentFrame(ids.shop, [0], protoBytesField(1, Buffer.from('o-1'))),
    )
  })

  it('JSON Schema: the JSON text', async () => {
    const encoded = await decoder.encode({sku: 'A-1', qty: 3}, {schemaId: ids.item})
    expect(encoded).toEqual(confluentFrame(ids.item, Buffer.from('{"sku":"A-1","qty":3}')))
  })

  it.each([
    [
      'avro wrong type',
      () => ({schemaId: ids.avroOrder}),
      {...orderAvroValue, amount: 'lots'},
      /^field "amount" does not match schema \d+: expected double, got "lots"$/,
    ],
    [
      'avro nested',
      () => ({schemaId: ids.avroOrder}),
      {...orderAvroValue, total: {currency: 'EUR', units: 1.5}},
      /^field "total\.units" does not match/,
    ],
    [
      'avro undeclared',
      () => ({schemaId: ids.avroOrder}),
      {...orderAvroValue, color: 'red'},
      /^field "color" does not match schema \d+: schemacore\.Order has no such field$/,
    ],
    [
      'protobuf type',
      () => ({schemaId: ids.shop, messageName: 'Refund'}),
      {cents: 'abc'},
      /^field "cents" does not match schema \d+: expected int32, got "abc"$/,
    ],
    [
      'protobuf enum',
      () => ({schemaId: ids.shop}),
      {status: 'LOST'},
      /^field "status" does not match schema \d+: expected one of NEW, PAID, got "LOST"$/,
    ],
    [
      'protobuf unknown',
      () => ({schemaId: ids.shop}),
      {colour: 'red'},
      /^field "colour" does not match schema \d+: Order has no such field$/,
    ],
    [
      'json missing',
      () => ({schemaId: ids.item}),
      {qty: 1},
      /^field "sku" does not match schema \d+: required, missing$/,
    ],
    [
      'json type',
      () => ({schemaId: ids.item}),
      {sku: 'A', qty: 'three'},
      /^field "qty" does not match schema \d+: expected integer, got "three"$/,
    ],
  ])('a value that does not match (%s) is a usage error naming the field', async (_, target, input, message) => {
    const error: unknown = await decoder.encode(input, target()).catch((e: unknown) => e)
    expect(isMailroomError(error) && error.code).toBe('USAGE')
    expect((error as Error).message).toMatch(message)
  })

  it('an unknown id or subject is NOT_FOUND', async () => {
    const byId: unknown = await decoder.encode({}, {schemaId: 2_000_000_001}).catch((e: unknown) => e)
    expect(isMailroomError(byId) && byId.code).toBe('NOT_FOUND')
    const bySubject: unknown = await decoder.encode({}, {subject: subject('nothing')}).catch((e: unknown) => e)
    expect(isMailroomError(bySubject) && bySubject.code).toBe('NOT_FOUND')
    expect((bySubject as Error).message).toBe(
      `subject "${subject('nothing')}" is not in the schema registry 127.0.0.1:8081`,
    )
  })
})
