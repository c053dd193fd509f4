// publish --value-schema-id / --value-subject (issue 20 item 3): the JSON body is encoded through the registry's
// schema and framed as Confluent's serializers do. The record that arrived is read with Kafka's Java consumer
// (KafkaTruth) and compared byte for byte with the record built from the Avro / Protobuf specifications and the
// Confluent wire format (test/helpers/schema-registry.ts); the registry's own API says which id a subject holds.
import {Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {createSchemaDecoder} from '../../src/core/schema/decoder.js'
import {topicRecords} from '../conformance/kafka-truth.js'
import {uniqueName} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'
import {
  REGISTRY_URL,
  avroDouble,
  avroLong,
  avroString,
  confluentFrame,
  protoBytesField,
  protoVarintField,
  registerSchema,
  registryGet,
} from '../helpers/schema-registry.js'

vi.setConfig({testTimeout: 180_000})

const ORDER_AVRO = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'schemacore.e2e',
  fields: [
    {name: 'id', type: 'long'},
    {name: 'amount', type: 'double'},
    {name: 'note', type: ['null', 'string'], default: null},
  ],
})
const SHOP_PROTO = `syntax = "proto3";
package schemacore.e2e;
message Order { string id = 1; }
message Refund { string order_id = 1; int32 cents = 2; }
`
const ITEM_JSON = JSON.stringify({
  type: 'object',
  properties: {sku: {type: 'string'}, qty: {type: 'integer'}},
  required: ['sku'],
})

describe('publish encoding through the schema registry', () => {
  const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
  const admin = kafka.admin()
  const topics: string[] = []
  const run = uniqueName('schema-core-pub')
  const ids = {order: 0, shop: 0, item: 0}

  async function newTopic(prefix: string): Promise<string> {
    const topic = uniqueName(prefix)
    await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
    topics.push(topic)
    return topic
  }
  async function values(topic: string): Promise<Buffer[]> {
    return (await topicRecords(topic)).map((record) => Buffer.from(record.value ?? '', 'base64'))
  }

  beforeAll(async () => {
    await admin.connect()
    ids.order = await registerSchema(`${run}-orders-value`, ORDER_AVRO)
    ids.shop = await registerSchema(`${run}-shop-value`, SHOP_PROTO, {schemaType: 'PROTOBUF'})
    ids.item = await registerSchema(`${run}-items-value`, ITEM_JSON, {schemaType: 'JSON'})
  })
  afterAll(async () => {
    await admin.deleteTopics({topics}).catch(() => {})
    await admin.disconnect()
  })

  it('Avro by id: the record Kafka holds is the Confluent-framed Avro of the value, and decodes back to it', async () => {
    const topic = await newTopic('schema-core-avro')
    const value = {id: 7, amount: 12.5, note: 'rush'}
    const r = await runCli(
      [
        'publish',
        `kafka:${topic}`,
        '--schema-registry',
        REGISTRY_URL,
        '--value-schema-id',
        String(ids.order),
        '--json',
      ],
      {input: JSON.stringify(value)},
    )
    expect(r.code, r.stderr).toBe(0)
    expect(jsonOf(r).result).toMatchObject({published: 1, failed: 0})
    const [record] = await values(topic)
    const spec = Buffer.concat([
      Buffer.from(avroLong(7)),
      avroDouble(12.5),
      Buffer.from(avroLong(1)),
      avroString('rush'),
    ])
    expect(record).toEqual(confluentFrame(ids.order, spec))
    const decoded = await createSchemaDecoder({url: REGISTRY_URL}).decode(record, {part: 'value', mode: 'auto'})
    expect(decoded).toMatchObject({ok: true, schemaId: ids.order, schemaType: 'AVRO', value})
  })

  it("Protobuf by subject, second message: the subject's latest id, indexes [1]; env MAILROOM_SCHEMA_REGISTRY_URL", async () => {
    const topic = await newTopic('schema-core-proto')
    const r = await runCli(
      ['publish', `kafka:${topic}`, '--value-subject', `${run}-shop-value`, '--value-message', 'Refund'],
      {input: '{"order_id": "o-7", "cents": 250}', env: {MAILROOM_SCHEMA_REGISTRY_URL: REGISTRY_URL}},
    )
    expect(r.code, r.stderr).toBe(0)
    const latest = (await registryGet(`subjects/${run}-shop-value/versions/latest`)).body as {id: number}
    const payload = Buffer.concat([protoBytesField(1, Buffer.from('o-7')), Buffer.from(protoVarintField(2, 250))])
    expect(await values(topic)).toEqual([confluentFrame(latest.id, [2, 2], payload)])
  })

  it('--input lines: every line a JSON value, each framed (JSON Schema)', async () => {
    const topic = await newTopic('schema-core-json')
    const r = await runCli(
      [
        'publish',
        `kafka:${topic}`,
        '--input',
        'lines',
        '--schema-registry',
        REGISTRY_URL,
        '--value-schema-id',
        String(ids.item),
      ],
      {input: '{"sku":"A","qty":1}\n{"sku":"B"}\n'},
    )
    expect(r.code, r.stderr).toBe(0)
    expect(await values(topic)).toEqual([
      confluentFrame(ids.item, Buffer.from('{"sku":"A","qty":1}')),
      confluentFrame(ids.item, Buffer.from('{"sku":"B"}')),
    ])
  })

  it('a value that does not match is exit 2 naming the field, and nothing is published', async () => {
    const topic = await newTopic('schema-core-bad')
    const r = await runCli(
      ['publish', `kafka:${topic}`, '--schema-registry', REGISTRY_URL, '--value-schema-id', String(ids.order)],
      {input: '{"id": 7, "amount": "lots"}'},
    )
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^Error: field "amount" does not match schema \d+: expected double, got "lots"$/m)
    const notJson = await runCli(
      ['publish', `kafka:${topic}`, '--schema-registry', REGISTRY_URL, '--value-schema-id', String(ids.order)],
      {input: 'not json'},
    )
    expect(notJson.code).toBe(2)
    expect(notJson.stderr).toMatch(/^Error: the value is not JSON: /m)
    expect(await values(topic)).toEqual([])
  })

  it('no registry, an unknown id, a registry that is down: exit 2, 4, 3 with one line each', async () => {
    const topic = await newTopic('schema-core-errors')
    const none = await runCli(['publish', `kafka:${topic}`, '--value-schema-id', '1', '{}'])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^Error: no schema registry configured$/m)
    const unknown = await runCli([
      'publish',
      `kafka:${topic}`,
      '--schema-registry',
      REGISTRY_URL,
      '--value-schema-id',
      '2000000000',
      '{}',
    ])
    expect(unknown.code).toBe(4)
    expect(unknown.stderr).toMatch(/^Error: schema id 2000000000 is not in the schema registry 127\.0\.0\.1:8081$/m)
    const down = await runCli([
      'publish',
      `kafka:${topic}`,
      '--schema-registry',
      'http://127.0.0.1:9',
      '--value-schema-id',
      '1',
      '{}',
    ])
    expect(down.code).toBe(3)
    expect(down.stderr).toMatch(/^Error: schema registry 127\.0\.0\.1:9 is unreachable: ECONNREFUSED$/m)
    expect(await values(topic)).toEqual([])
  })
})
