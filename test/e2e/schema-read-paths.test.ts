// Decoding on every read path, against the real schema registry (Apicurio's Confluent API) and real brokers: records
// framed exactly as Confluent's serializers frame them (magic byte, big-endian schema id, Protobuf message indexes),
// produced with the raw clients; the values they were made from are the ground truth.
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import avro from 'avsc'
import {Kafka, logLevel} from 'kafkajs'
import {connect as natsConnect} from 'nats'
import protobuf from 'protobufjs'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import type {Envelope} from '../../src/model/envelope/types.js'
import {uniqueName} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'
import {parseNdjson} from '../helpers/messaging.js'
import {REGISTRY_URL, registerSchema} from '../helpers/schema-registry.js'

vi.setConfig({testTimeout: 180_000, hookTimeout: 180_000})

const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
const admin = kafka.admin()
const producer = kafka.producer()
const topics: string[] = []
const dir = mkdtempSync(join(tmpdir(), 'schema-paths-'))
const registry = ['--schema-registry', REGISTRY_URL]

// A namespace of this run's own: registries give equal schemas one id whatever the subject, and a registry that
// outlives a run must not answer with the subject an earlier run registered the same schema under.
const NS = `mr_${Date.now().toString(36)}`
const ORDER_SCHEMA = {
  type: 'record',
  name: 'Order',
  namespace: NS,
  fields: [
    {name: 'id', type: 'long'},
    {name: 'customer', type: 'string'},
    {name: 'amount', type: 'double'},
  ],
}
const PAYMENTS_PROTO = `syntax = "proto3";
package ${NS};
message Refund { string id = 1; int32 amount = 2; }
message Chargeback { string id = 1; string reason = 2; int64 cents = 3; }
`
const SHIPMENT_JSON_SCHEMA = {
  title: NS,
  type: 'object',
  properties: {sku: {type: 'string'}, amount: {type: 'number'}},
  required: ['sku'],
}

/** Confluent's framing: magic byte 0, the schema id as a big-endian int32, then the payload. */
function frame(schemaId: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(5)
  header.writeInt32BE(schemaId, 1)
  return Buffer.concat([header, payload])
}

interface Fixture {
  topic: string
  ids: {order: number; payments: number; shipment: number; key: number}
  /** The records produced, in order (one partition): key and value bytes. */
  records: {key: Buffer | string; value: Buffer}[]
}

let fixture: Fixture

beforeAll(async () => {
  await Promise.all([admin.connect(), producer.connect()])
  const topic = uniqueName('schema-paths')
  topics.push(topic)
  await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
  const ids = {
    order: await registerSchema(`${topic}-order-value`, JSON.stringify(ORDER_SCHEMA), {schemaType: 'AVRO'}),
    payments: await registerSchema(`${topic}-payments-value`, PAYMENTS_PROTO, {schemaType: 'PROTOBUF'}),
    shipment: await registerSchema(`${topic}-shipment-value`, JSON.stringify(SHIPMENT_JSON_SCHEMA), {
      schemaType: 'JSON',
    }),
    key: await registerSchema(`${topic}-key`, JSON.stringify({type: 'string', doc: NS}), {schemaType: 'AVRO'}),
  }
  const order = avro.Type.forSchema(ORDER_SCHEMA as avro.Schema)
  const root = protobuf.parse(PAYMENTS_PROTO).root
  const Refund = root.lookupType(`${NS}.Refund`)
  const Chargeback = root.lookupType(`${NS}.Chargeback`)
  const avroKey = frame(ids.key, avro.Type.forSchema({type: 'string', doc: NS} as avro.Schema).toBuffer('order-1'))
  const records: Fixture['records'] = [
    {key: avroKey, value: frame(ids.order, order.toBuffer({id: 1, customer: 'acme', amount: 150.5}))},
    // First message of the schema: the index array [0] is written as the single byte 0.
    {
      key: 'refund-1',
      value: frame(ids.payments, Buffer.concat([Buffer.from([0]), Refund.encode({id: 'r-1', amount: 30}).finish()])),
    },
    // Second message: count 1, index 1, both zigzag varints (2, 2).
    {
      key: 'chargeback-1',
      value: frame(
        ids.payments,
        Buffer.concat([Buffer.from([2, 2]), Chargeback.encode({id: 'c-1', reason: 'fraud', cents: 12345}).finish()]),
      ),
    },
    {key: 'shipment-1', value: frame(ids.shipment, Buffer.from(JSON.stringify({sku: 'sku-9', amount: 500})))},
    {key: 'unknown-1', value: frame(2_000_000_000, Buffer.from([1, 2, 3]))},
    {key: 'plain-1', value: Buffer.from('{"amount": 999, "note": "not framed"}')},
  ]
  await producer.send({topic, messages: records.map(({key, value}) => ({key, value}))})
  fixture = {topic, ids, records}
})

afterAll(async () => {
  await admin.deleteTopics({topics}).catch(() => undefined)
  await Promise.all([admin.disconnect(), producer.disconnect()])
})

/** What each fixture record must decode to (in order), as mailroom writes it in -o ndjson / json. */
function expectDecoded(messages: Envelope[]): void {
  const {ids, topic} = fixture
  expect(messages).toHaveLength(6)
  const values = messages.map((m) => m.decoded?.value)
  expect(values[0]).toEqual({
    schemaType: 'AVRO',
    schemaId: ids.order,
    subject: `${topic}-order-value`,
    version: 1,
    value: {id: 1, customer: 'acme', amount: 150.5},
  })
  expect(messages[0].decoded?.key).toMatchObject({schemaType: 'AVRO', schemaId: ids.key, value: 'order-1'})
  expect(values[1]).toMatchObject({
    schemaType: 'PROTOBUF',
    schemaId: ids.payments,
    subject: `${topic}-payments-value`,
    messageName: `${NS}.Refund`,
    value: {id: 'r-1', amount: 30},
  })
  expect(values[2]).toMatchObject({
    schemaType: 'PROTOBUF',
    schemaId: ids.payments,
    messageName: `${NS}.Chargeback`,
    value: {id: 'c-1', reason: 'fraud', cents: 12345},
  })
  expect(values[3]).toMatchObject({schemaType: 'JSON', schemaId: ids.shipment, value: {sku: 'sku-9', amount: 500}})
  expect(values[4]).toEqual({error: expect.stringContaining('2000000000')})
  expect(values[5]).toEqual({error: expect.stringMatching(/not Confluent-framed/)})
  // Plain-text keys are left as they are, with nothing decoded.
  expect(messages.slice(1).every((m) => m.decoded?.key === undefined)).toBe(true)
  // The envelope keeps the exact bytes.
  messages.forEach((m, i) => expect(bodyBytes(m)).toEqual(fixture.records[i].value))
}

function bodyBytes(e: Envelope): Buffer {
  return 'utf8' in e.body ? Buffer.from(e.body.utf8, 'utf8') : Buffer.from(e.body.base64, 'base64')
}

describe('schema registry decoding on the read paths (kafka)', () => {
  it('tail --from earliest --until-end decodes Avro, Protobuf (first and second message) and JSON Schema, and shows undecodable records raw with a reason', async () => {
    const r = await runCli([
      'tail',
      `kafka:${fixture.topic}`,
      '--from',
      'earliest',
      '--until-end',
      '-o',
      'ndjson',
      ...registry,
    ])
    expect(r.code, r.stderr).toBe(0)
    expectDecoded(parseNdjson(r.stdout))
  })

  it('tail in human form shows the schema id, subject and version beside each decoded value', async () => {
    const r = await runCli(['tail', `kafka:${fixture.topic}`, '--until-end', ...registry])
    expect(r.code, r.stderr).toBe(0)
    const {ids, topic} = fixture
    expect(r.stdout).toContain(`value (schema AVRO · id ${ids.order} · ${topic}-order-value v1)`)
    expect(r.stdout).toContain(`key (schema AVRO · id ${ids.key} · ${topic}-key v1): "order-1"`)
    expect(r.stdout).toContain(
      `value (schema PROTOBUF · id ${ids.payments} · ${topic}-payments-value v1 · ${NS}.Chargeback)`,
    )
    expect(r.stdout).toContain('"reason": "fraud"')
    expect(r.stdout).toMatch(/value \(not decoded, shown raw: .*2000000000.*\)\n00000000 {2}00 77 35 94 00 01 02 03/)
  })

  it('peek shows the same decoded values', async () => {
    const r = await runCli(['peek', `kafka:${fixture.topic}`, '-n', '6', '-o', 'ndjson', ...registry])
    expect(r.code, r.stderr).toBe(0)
    expectDecoded(parseNdjson(r.stdout))
  })

  it('dlq inspect shows decoded values with their schema ids (json and table)', async () => {
    const r = await runCli(['dlq', 'inspect', `kafka:${fixture.topic}`, '-o', 'json', ...registry])
    expect(r.code, r.stderr).toBe(0)
    expectDecoded(JSON.parse(r.stdout).messages)
    const table = await runCli(['dlq', 'inspect', `kafka:${fixture.topic}`, ...registry])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/SCHEMA/)
    expect(table.stdout).toContain(`AVRO · id ${fixture.ids.order}`)
    expect(table.stdout).toContain('{"sku":"sku-9","amount":500}')
  })

  it('a filter on a decoded field selects the right records (json.<field> reads the decoded value)', async () => {
    const tail = await runCli([
      'tail',
      `kafka:${fixture.topic}`,
      '--until-end',
      '-o',
      'ndjson',
      '-F',
      'json.amount > 100',
      ...registry,
    ])
    expect(tail.code, tail.stderr).toBe(0)
    // Avro 150.5, JSON Schema 500, and the unframed JSON body (999, read as JSON since it was not decoded).
    expect(parseNdjson(tail.stdout).map((m) => m.meta?.offset)).toEqual(['0', '3', '5'])
    const inspect = await runCli([
      'dlq',
      'inspect',
      `kafka:${fixture.topic}`,
      '-o',
      'json',
      '-F',
      `schema.message == "${NS}.Chargeback" and json.cents == 12345`,
      ...registry,
    ])
    expect(inspect.code, inspect.stderr).toBe(0)
    expect(JSON.parse(inspect.stdout).messages.map((m: Envelope) => m.key)).toEqual(['chargeback-1'])
  })

  it('without decoding (--decode none) the same filter sees only the JSON body', async () => {
    const r = await runCli([
      'peek',
      `kafka:${fixture.topic}`,
      '-n',
      '6',
      '-o',
      'ndjson',
      '-F',
      'json.amount > 100',
      '--decode',
      'none',
      ...registry,
    ])
    expect(r.code, r.stderr).toBe(0)
    const got = parseNdjson(r.stdout)
    expect(got.map((m) => m.key)).toEqual(['plain-1'])
    expect(got[0].decoded).toBeUndefined()
  })

  it('dlq export writes the decoded view beside the bytes, and dlq import reproduces the bytes exactly', async () => {
    const file = join(dir, 'export.ndjson')
    const exported = await runCli(['dlq', 'export', `kafka:${fixture.topic}`, '--output-file', file, ...registry])
    expect(exported.code, exported.stderr).toBe(0)
    expectDecoded(parseNdjson(readFileSync(file, 'utf8')))
    const copy = uniqueName('schema-paths-copy')
    topics.push(copy)
    await admin.createTopics({topics: [{topic: copy, numPartitions: 1}], waitForLeaders: true})
    const imported = await runCli(['dlq', 'import', file, '--to', `kafka:${copy}`, '--yes'])
    expect(imported.code, imported.stderr).toBe(0)
    const got = await rawRecords(copy, fixture.records.length)
    expect(got.map((r) => r.value)).toEqual(fixture.records.map((r) => r.value))
    expect(got.map((r) => r.key)).toEqual(fixture.records.map((r) => Buffer.from(r.key)))
  })

  it('dlq replay --dry-run shows decoded samples and changes nothing; the replay moves the bytes untouched', async () => {
    const dest = uniqueName('schema-paths-replayed')
    topics.push(dest)
    await admin.createTopics({topics: [{topic: dest, numPartitions: 1}], waitForLeaders: true})
    const plan = await runCli([
      'dlq',
      'replay',
      `kafka:${fixture.topic}`,
      '--to',
      `kafka:${dest}`,
      '--dry-run',
      ...registry,
    ])
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).toContain(
      `value (schema AVRO · id ${fixture.ids.order} · ${fixture.topic}-order-value v1): {"id":1,"customer":"acme","amount":150.5}`,
    )
    expect(plan.stdout).toContain(`${NS}.Refund): {"id":"r-1","amount":30}`)
    expect(await admin.fetchTopicOffsets(dest)).toMatchObject([{partition: 0, high: '0'}])
    // Without --filter decoding is only a view of the plan: the replay moves bytes, so it takes no --decode.
    const refused = await runCli([
      'dlq',
      'replay',
      `kafka:${fixture.topic}`,
      '--to',
      `kafka:${dest}`,
      '--decode',
      'auto',
      '--yes',
    ])
    expect(refused.code).toBe(2)
    const replay = await runCli(['dlq', 'replay', `kafka:${fixture.topic}`, '--to', `kafka:${dest}`, '--copy', '--yes'])
    expect(replay.code, replay.stderr).toBe(0)
    const got = await rawRecords(dest, fixture.records.length)
    expect(got.map((r) => r.value)).toEqual(fixture.records.map((r) => r.value))
    expect(got.map((r) => r.key)).toEqual(fixture.records.map((r) => Buffer.from(r.key)))
  })

  it('asking to decode without a registry is a usage error (exit 2) that says how to name one', async () => {
    const r = await runCli(['tail', `kafka:${fixture.topic}`, '--until-end', '--decode', 'avro', '--json'])
    expect(r.code).toBe(2)
    expect(jsonOf(r).error?.message).toMatch(/--decode avro needs a schema registry/)
  })
})

/** The topic's records as the raw client reads them (not through mailroom). */
async function rawRecords(topic: string, count: number): Promise<{key: Buffer | null; value: Buffer | null}[]> {
  const consumer = kafka.consumer({groupId: uniqueName('schema-paths-check')})
  const got: {key: Buffer | null; value: Buffer | null}[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({topic, fromBeginning: true})
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} records in ${topic}`)), 60_000)
      void consumer.run({
        eachMessage: async ({message}) => {
          got.push({key: message.key, value: message.value})
          if (got.length >= count) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return got
}

describe('schema registry decoding is broker-agnostic', () => {
  it('decodes a framed Avro body in a JetStream stream (peek)', async () => {
    const stream = uniqueName('SCHEMA_PATHS').replace(/[^A-Za-z0-9_]/g, '_')
    const nc = await natsConnect({servers: '127.0.0.1:4222'})
    try {
      const jsm = await nc.jetstreamManager()
      await jsm.streams.add({name: stream, subjects: [`${stream}.>`]})
      const order = avro.Type.forSchema(ORDER_SCHEMA as avro.Schema)
      await nc
        .jetstream()
        .publish(`${stream}.orders`, frame(fixture.ids.order, order.toBuffer({id: 2, customer: 'nats', amount: 7})))
      const r = await runCli(['peek', `nats:${stream}`, '-n', '1', '-o', 'ndjson', ...registry])
      expect(r.code, r.stderr).toBe(0)
      expect(parseNdjson(r.stdout)[0].decoded?.value).toMatchObject({
        schemaType: 'AVRO',
        schemaId: fixture.ids.order,
        value: {id: 2, customer: 'nats', amount: 7},
      })
      await jsm.streams.delete(stream)
    } finally {
      await nc.close()
    }
  })
})
