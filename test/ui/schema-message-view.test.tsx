// The dashboard's DLQ view on a real registry and Kafka, through its own services: a framed Avro record and the second
// message of a Protobuf schema are listed with their schema id and decoded value, and the message view shows the
// schema (type, id, subject, version, message) above the decoded value; an unframed record is shown raw with why.
import avro from 'avsc'
import {Kafka, logLevel} from 'kafkajs'
import protobuf from 'protobufjs'
import {afterAll, beforeAll, expect, test} from 'vitest'

import {createAdapter} from '../../src/adapters/registry.js'
import type {BrokerAdapter} from '../../src/adapters/types.js'
import type {BrokerKind} from '../../src/model/broker.js'
import type {ResolvedContext} from '../../src/core/config/resolve.js'
import {messageLine} from '../../src/ui/components/MessageList.js'
import {MessageView} from '../../src/ui/components/MessageView.js'
import {DashboardServices} from '../../src/ui/services.js'
import {localSettings, uniqueName} from '../helpers/brokers.js'
import {type Rendered, renderInk} from '../helpers/ink.js'
import {REGISTRY_URL, registerSchema} from '../helpers/schema-registry.js'

// eslint-disable-next-line no-control-regex
const plain = (frame: string) => frame.replace(/\u001B\[[0-9;]*m/g, '')

const settings = {...localSettings(), schemaRegistry: {url: REGISTRY_URL}}
const kafka = new Kafka({brokers: settings.kafka!.brokers, logLevel: logLevel.NOTHING})
const topic = uniqueName('schema-paths-dash')
const NS = `dash_${Date.now().toString(36)}`
const ORDER = {type: 'record', name: 'Order', namespace: NS, fields: [{name: 'amount', type: 'int'}]}
const PROTO = `syntax = "proto3"; package ${NS}; message A { string x = 1; } message B { string why = 1; }`

let services: DashboardServices
let adapters: Map<BrokerKind, BrokerAdapter>
let ids: {order: number; proto: number}
let r: Rendered | undefined

const frame = (id: number, payload: Uint8Array) => {
  const header = Buffer.alloc(5)
  header.writeInt32BE(id, 1)
  return Buffer.concat([header, payload])
}

beforeAll(async () => {
  ids = {
    order: await registerSchema(`${topic}-order`, JSON.stringify(ORDER), {schemaType: 'AVRO'}),
    proto: await registerSchema(`${topic}-proto`, PROTO, {schemaType: 'PROTOBUF'}),
  }
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
  await admin.disconnect()
  const B = protobuf.parse(PROTO).root.lookupType(`${NS}.B`)
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic,
    messages: [
      {key: 'k-avro', value: frame(ids.order, avro.Type.forSchema(ORDER as avro.Schema).toBuffer({amount: 42}))},
      {key: 'k-proto', value: frame(ids.proto, Buffer.concat([Buffer.from([2, 2]), B.encode({why: 'late'}).finish()]))},
      {key: 'k-plain', value: 'plain text'},
    ],
  })
  await producer.disconnect()
  adapters = new Map([['kafka', await createAdapter('kafka', settings)]])
  const context = {
    readOnly: false,
    brokers: ['kafka'],
    settings,
    config: {},
    warnings: [],
  } as unknown as ResolvedContext
  services = new DashboardServices(context, adapters)
}, 120_000)

afterAll(async () => {
  r?.unmount()
  await services?.settle(3000)
  for (const adapter of adapters?.values() ?? []) await adapter.close().catch(() => undefined)
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({topics: [topic]}).catch(() => undefined)
  await admin.disconnect()
}, 60_000)

test('the DLQ view lists and shows decoded values with their schema ids', async () => {
  const {messages} = await services.readDlq('kafka', topic)
  expect(messages).toHaveLength(3)
  expect(messageLine(messages[0], 0)).toContain(`#${ids.order} {"amount":42}`)
  expect(messageLine(messages[1], 1)).toContain(`#${ids.proto} {"why":"late"}`)
  expect(messageLine(messages[2], 2)).toContain('plain text')

  r = renderInk(<MessageView envelope={messages[1]} active width={120} height={20} />, {columns: 120, rows: 24})
  const view = plain(await r.waitFor((f) => f.includes('"why"')))
  expect(view).toContain(`value (schema PROTOBUF · id ${ids.proto} · ${topic}-proto v1 · ${NS}.B)`)
  expect(view).toContain('"why": "late"')
  r.unmount()

  r = renderInk(<MessageView envelope={messages[2]} active width={120} height={20} />, {columns: 120, rows: 24})
  expect(plain(await r.waitFor((f) => f.includes('plain text')))).toContain('value (not decoded, shown raw:')
}, 120_000)

test('the dashboard decodes as --decode and --value-subject ask: none shows the bytes, a subject reads unframed values', async () => {
  const context = {
    readOnly: false,
    brokers: ['kafka'],
    settings,
    config: {},
    warnings: [],
  } as unknown as ResolvedContext
  const raw = await new DashboardServices(context, adapters, 0, undefined, {mode: 'none'}).readDlq('kafka', topic)
  expect(raw.messages.map((m) => m.decoded)).toEqual([undefined, undefined, undefined])
  expect(messageLine(raw.messages[0], 0)).not.toContain(`#${ids.order}`)

  // An unframed Avro value, read through the subject named on the command line (as `--value-subject`).
  const unframedTopic = uniqueName('schema-paths-dash-unframed')
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({topics: [{topic: unframedTopic, numPartitions: 1}], waitForLeaders: true})
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic: unframedTopic,
    messages: [{key: 'k', value: avro.Type.forSchema(ORDER as avro.Schema).toBuffer({amount: 7})}],
  })
  await producer.disconnect()
  try {
    const bySubject = new DashboardServices(context, adapters, 0, undefined, {
      mode: 'avro',
      valueSubject: `${topic}-order`,
    })
    const {messages} = await bySubject.readDlq('kafka', unframedTopic)
    expect(messages[0].decoded?.value).toMatchObject({
      schemaType: 'AVRO',
      subject: `${topic}-order`,
      value: {amount: 7},
    })
  } finally {
    await admin.deleteTopics({topics: [unframedTopic]}).catch(() => undefined)
    await admin.disconnect()
  }
}, 120_000)
