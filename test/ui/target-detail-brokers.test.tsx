// The target view on the real brokers, through the dashboard's own services: a Kafka group, a JetStream consumer and
// RabbitMQ consumers made here with each broker's client are listed under their target (the Kafka and JetStream ones
// with their lag, the RabbitMQ ones by tag, client and channel as the management API details them); the lag line
// follows lag, not depth. What is expected is what the test did to each broker (records, commits, acks, consumers).
import amqp, {type Channel, type ChannelModel} from 'amqplib'
import {Kafka, logLevel, type Consumer} from 'kafkajs'
import {AckPolicy, connect, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {createAdapter} from '../../src/adapters/registry.js'
import type {BrokerAdapter} from '../../src/adapters/types.js'
import type {BrokerKind} from '../../src/model/broker.js'
import type {ResolvedContext} from '../../src/core/config/resolve.js'
import {TargetDetail} from '../../src/ui/components/TargetDetail.js'
import {History, type OverviewGroup, buildGroups, targetKey} from '../../src/ui/model.js'
import {DashboardServices} from '../../src/ui/services.js'
import {localSettings, uniqueName, waitFor} from '../helpers/brokers.js'
import {type Rendered, renderInk} from '../helpers/ink.js'

// eslint-disable-next-line no-control-regex
const plain = (frame: string) => frame.replace(/\u001B\[[0-9;]*m/g, '')

const settings = localSettings()
const kafka = new Kafka({
  brokers: settings.kafka!.brokers,
  clientId: 'dashboard-consumers-test',
  logLevel: logLevel.NOTHING,
})
const topic = uniqueName('dash-consumers')
const group = uniqueName('dash-group')
const stream = uniqueName('DASH_CONSUMERS').replace(/-/g, '_')
const queue = uniqueName('dash-consumers')
const NAMED_TAG = `worker-${queue}`

let services: DashboardServices
let adapters: Map<BrokerKind, BrokerAdapter>
let kafkaConsumer: Consumer
let nc: NatsConnection
let amqpConnection: ChannelModel
let amqpChannel: Channel
let r: Rendered | undefined

beforeAll(async () => {
  // Kafka: 10 records; a running group member that has committed 4 of them (lag 6).
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({topic, messages: Array.from({length: 10}, (_, i) => ({value: `m${i}`}))})
  await producer.disconnect()
  kafkaConsumer = kafka.consumer({groupId: group})
  await kafkaConsumer.connect()
  await kafkaConsumer.subscribe({topics: [topic], fromBeginning: true})
  let assigned = false
  kafkaConsumer.on(kafkaConsumer.events.GROUP_JOIN, () => (assigned = true))
  await kafkaConsumer.run({autoCommit: false, eachMessage: async () => kafkaConsumer.pause([{topic}])})
  await waitFor(() => assigned, {timeoutMs: 60_000})
  await kafkaConsumer.commitOffsets([{topic, partition: 0, offset: '4'}])

  // JetStream: 5 messages and a durable consumer that acknowledged 2 (lag 3).
  nc = await connect({servers: settings.nats!.url})
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({name: stream, subjects: [`${stream}.>`]})
  const js = nc.jetstream()
  for (let i = 0; i < 5; i++) await js.publish(`${stream}.a`, new TextEncoder().encode(`m${i}`))
  await jsm.consumers.add(stream, {durable_name: 'worker', ack_policy: AckPolicy.Explicit})
  const worker = await js.consumers.get(stream, 'worker')
  for await (const m of await worker.fetch({max_messages: 2, expires: 5000})) await m.ackAck()

  // RabbitMQ: a queue with two consumers attached, one tagged by the broker, one named by the client without acks.
  amqpConnection = await amqp.connect(settings.rabbitmq!.url)
  amqpChannel = await amqpConnection.createChannel()
  await amqpChannel.assertQueue(queue, {durable: false})
  await amqpChannel.prefetch(1)
  await amqpChannel.consume(queue, () => undefined)
  await amqpChannel.consume(queue, () => undefined, {consumerTag: NAMED_TAG, noAck: true})

  adapters = new Map<BrokerKind, BrokerAdapter>()
  for (const kind of ['kafka', 'nats', 'rabbitmq'] as const) adapters.set(kind, await createAdapter(kind, settings))
  const context = {
    readOnly: false,
    brokers: [...adapters.keys()],
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
  await kafkaConsumer?.disconnect().catch(() => undefined)
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteGroups([group]).catch(() => undefined)
  await admin.deleteTopics({topics: [topic]}).catch(() => undefined)
  await admin.disconnect()
  await (await nc?.jetstreamManager())?.streams.delete(stream).catch(() => undefined)
  await nc?.close()
  await amqpChannel?.deleteQueue(queue).catch(() => undefined)
  await amqpConnection?.close().catch(() => undefined)
}, 60_000)

interface ManagementConsumer {
  consumer_tag: string
  channel_details: {peer_host: string; peer_port: number; number: number}
}

/** The queue's consumers as the broker's management API lists them (the ground truth). */
async function managementConsumers(name: string): Promise<ManagementConsumer[]> {
  const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`
  const answer = await fetch(`${settings.rabbitmq!.managementUrl}/api/queues/%2F/${encodeURIComponent(name)}`, {
    headers: {authorization: auth},
  })
  return ((await answer.json()) as {consumer_details: ManagementConsumer[]}).consumer_details
}

/** The target's group from the dashboard's overview, once `ready` holds; the history gets two samples. */
async function groupOf(
  broker: BrokerKind,
  name: string,
  ready: (g: OverviewGroup) => boolean,
  history: History,
): Promise<OverviewGroup> {
  return waitFor(
    async () => {
      const data = await services.overview()
      const groups = buildGroups(data.targets, data.lag.rows, [])
      history.record(groups)
      const found = groups.find((g) => g.row.key === targetKey(broker, name))
      return found && ready(found) ? found : undefined
    },
    {timeoutMs: 60_000, intervalMs: 500},
  )
}

function renderDetail(group: OverviewGroup, history: History): string {
  r?.unmount()
  r = renderInk(
    <TargetDetail
      services={services}
      group={group}
      history={history}
      active
      width={100}
      height={20}
      onOpenMessage={() => {}}
    />,
    {columns: 100, rows: 24},
  )
  return plain(r.lastFrame())
}

describe('the target view on the real brokers', () => {
  test('a Kafka topic lists its group with its lag', async () => {
    const history = new History(10)
    const g = await groupOf(
      'kafka',
      topic,
      (x) => x.consumers.some((c) => c.consumer === group && c.lag === 6),
      history,
    )
    const frame = renderDetail(g, history)
    expect(frame).toContain('Consumers (1)')
    expect(frame).toMatch(new RegExp(`└ ${group}\\s+-\\s+6\\s`))
  }, 120_000)

  test('the lag line of a Kafka topic shows its lag (6), not its depth (10), as a flat line', async () => {
    const history = new History(10)
    const g = await groupOf(
      'kafka',
      topic,
      (x) => x.consumers.some((c) => c.consumer === group && c.lag === 6),
      history,
    )
    const frame = renderDetail(g, history)
    expect(frame).toMatch(/depth .*10\.\.10 \(\d+ samples\)/)
    expect(frame).toMatch(/lag .*6\.\.6 \(\d+ samples\)/)
    // A lag that does not move is a flat line half way up, not a row of full blocks.
    expect(frame).toMatch(/lag +▄+ 6\.\.6/)
  }, 120_000)

  test('a JetStream stream lists its durable consumer with its lag', async () => {
    const history = new History(10)
    const g = await groupOf(
      'nats',
      stream,
      (x) => x.consumers.some((c) => c.consumer === 'worker' && c.lag === 3),
      history,
    )
    const frame = renderDetail(g, history)
    expect(frame).toContain('Consumers (1)')
    expect(frame).toMatch(/└ worker\s+-\s+3\s/)
    expect(frame).toMatch(/lag .*3\.\.3/)
  }, 120_000)

  test('a RabbitMQ queue lists its consumers by tag, client and channel, as the management API details them', async () => {
    const history = new History(10)
    const g = await groupOf('rabbitmq', queue, (x) => x.row.consumers === 2, history)
    // The management API details consumers from its statistics, which lag behind the channels by their interval; a
    // consumer can be listed before its channel's details are (seen once: peer host and port undefined).
    const truth = await waitFor(
      async () => {
        const consumers = await managementConsumers(queue)
        const detailed = consumers.every((c) => c.channel_details?.peer_port !== undefined)
        return consumers.length === 2 && detailed ? consumers : undefined
      },
      {timeoutMs: 30_000},
    )
    expect(truth.map((c) => c.consumer_tag)).toContain(NAMED_TAG)
    expect(truth).toHaveLength(2)
    r?.unmount()
    r = renderInk(
      <TargetDetail
        services={services}
        group={g}
        history={history}
        active
        width={120}
        height={20}
        onOpenMessage={() => {}}
      />,
      {columns: 120, rows: 24},
    )
    const frame = plain(await r.waitFor((f) => truth.every((c) => plain(f).includes(c.consumer_tag)), 15_000))
    expect(frame).toContain('Consumers (2)')
    for (const c of truth) {
      const line = frame.split('\n').find((l) => l.includes(c.consumer_tag))!
      expect(line).toContain(`${c.channel_details.peer_host}:${c.channel_details.peer_port}`)
      // The channel's name ends with its number: "<client> -> <server> (<n>)".
      expect(line).toContain(`(${c.channel_details.number})`)
      expect(line).toMatch(c.consumer_tag === NAMED_TAG ? /no-ack/ : /\back prefetch 1\b/)
    }
  }, 120_000)
})
