// The dashboard's live tail (DashboardServices.tail, the core tail service) on the real brokers where a read without
// a start position begins at the oldest message: it must show only what is published after it started, as
// `mailroom tail` does, and end when the pane aborts it.
import {Kafka, logLevel} from 'kafkajs'
import {connect, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {createAdapter} from '../../src/adapters/registry.js'
import type {BrokerAdapter} from '../../src/adapters/types.js'
import type {BrokerKind} from '../../src/model/broker.js'
import type {ResolvedContext} from '../../src/core/config/resolve.js'
import {DashboardServices} from '../../src/ui/services.js'
import {localSettings, uniqueName, waitFor} from '../helpers/brokers.js'

vi.setConfig({testTimeout: 120_000})

const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
const admin = kafka.admin()
const producer = kafka.producer()
let nc: NatsConnection
const adapters = new Map<BrokerKind, BrokerAdapter>()
let services: DashboardServices
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  await Promise.all([admin.connect(), producer.connect()])
  nc = await connect({servers: '127.0.0.1:4222'})
  for (const kind of ['kafka', 'nats'] as const) {
    const adapter = await createAdapter(kind, localSettings())
    await adapter.connect()
    adapters.set(kind, adapter)
  }
  const context: ResolvedContext = {
    readOnly: false,
    brokers: [...adapters.keys()],
    settings: localSettings(),
    config: {},
    warnings: [],
  }
  services = new DashboardServices(context, adapters)
})

afterAll(async () => {
  await Promise.allSettled(cleanups.map((cleanup) => cleanup()))
  await Promise.allSettled([...adapters.values()].map((a) => a.close()))
  await Promise.allSettled([admin.disconnect(), producer.disconnect(), nc?.close()])
})

/** Creates a target and returns a publisher of text bodies through the broker's own client. */
async function target(kind: 'kafka' | 'nats'): Promise<{name: string; publish: (bodies: string[]) => Promise<void>}> {
  if (kind === 'kafka') {
    const topic = uniqueName('dash-tail')
    await admin.createTopics({topics: [{topic, numPartitions: 3}], waitForLeaders: true})
    cleanups.push(() => admin.deleteTopics({topics: [topic]}))
    let next = 0
    return {
      name: topic,
      publish: (bodies) =>
        producer
          .send({topic, acks: -1, messages: bodies.map((value) => ({value, partition: next++ % 3}))})
          .then(() => {}),
    }
  }
  const stream = uniqueName('DASH_TAIL').replaceAll('-', '_').toUpperCase()
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({name: stream, subjects: [`${stream}.>`]})
  cleanups.push(() => jsm.streams.delete(stream))
  const js = nc.jetstream()
  return {
    name: stream,
    publish: async (bodies) => void (await Promise.all(bodies.map((b) => js.publish(`${stream}.x`, Buffer.from(b))))),
  }
}

describe.each(['kafka', 'nats'] as const)('dashboard live tail on %s', (kind) => {
  it('shows only messages published after it started, and ends when aborted', async () => {
    const t = await target(kind)
    await t.publish(Array.from({length: 30}, (_, i) => `before-${i}`))
    const controller = new AbortController()
    const seen: string[] = []
    const reading = (async () => {
      for await (const d of services.tail(kind, t.name, controller.signal))
        seen.push((d.envelope.body as {utf8: string}).utf8)
    })()
    let published = 0
    await waitFor(
      async () => {
        if (seen.some((b) => b.startsWith('after-'))) return true
        await t.publish([`after-${published++}`])
        return false
      },
      {timeoutMs: 60_000, intervalMs: 500},
    )
    controller.abort()
    await reading
    expect(seen.filter((b) => b.startsWith('before-'))).toEqual([])
    expect(seen.length).toBeGreaterThan(0)
  })
})
