// Topics and streams come and go on shared brokers (other people's tests, CI, deploys). One deleted between the
// listing and the question about it is gone, not a broker failure: the dashboard's header must not show NOT_FOUND.
// Here the churn is real (each broker's own client creates and deletes), and so are the dashboard's reads.
import {Kafka, logLevel} from 'kafkajs'
import {AckPolicy, connect, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {createAdapter} from '../../src/adapters/registry.js'
import type {BrokerAdapter} from '../../src/adapters/types.js'
import type {BrokerKind} from '../../src/model/broker.js'
import type {ResolvedContext} from '../../src/core/config/resolve.js'
import type {BrokerFailure} from '../../src/core/services/targets.js'
import {DashboardServices} from '../../src/ui/services.js'
import {localSettings, uniqueName} from '../helpers/brokers.js'

const CHURN_MS = 20_000
const settings = localSettings()
let nc: NatsConnection

beforeAll(async () => {
  nc = await connect({servers: settings.nats!.url})
})

afterAll(async () => {
  await nc?.close()
})

async function dashboard(kind: BrokerKind): Promise<{services: DashboardServices; adapter: BrokerAdapter}> {
  const adapter = await createAdapter(kind, settings)
  const context = {readOnly: false, brokers: [kind], settings, config: {}, warnings: []} as unknown as ResolvedContext
  return {services: new DashboardServices(context, new Map([[kind, adapter]])), adapter}
}

/** Refreshes the dashboard's overview while `churn` runs; returns every broker failure it reported. */
async function overviewsDuring(
  kind: BrokerKind,
  churn: (until: number) => Promise<number>,
): Promise<{failures: BrokerFailure[]; refreshes: number; churned: number}> {
  const {services, adapter} = await dashboard(kind)
  await services.overview()
  const until = Date.now() + CHURN_MS
  const failures: BrokerFailure[] = []
  let refreshes = 0
  const refreshing = (async () => {
    while (Date.now() < until) {
      failures.push(...(await services.overview()).failures)
      refreshes++
    }
  })()
  const [churned] = await Promise.all([churn(until), refreshing])
  await services.settle(3000)
  await adapter.close()
  return {failures, refreshes, churned}
}

describe('targets vanishing while the dashboard refreshes', () => {
  test('JetStream: streams with consumers created and deleted all along are never a broker failure', async () => {
    const jsm = await nc.jetstreamManager()
    const prefix = uniqueName('VANISH').replace(/-/g, '_')
    // nats-server 2.9 removes an account's store directory when its last stream goes, and a stream created at that
    // moment fails ("could not create storage directory"): a stream that outlives the churn keeps the directory.
    const anchor = `${prefix}_ANCHOR`
    await jsm.streams.add({name: anchor, subjects: [`${anchor}.>`]})
    const result = await overviewsDuring('nats', async (until) => {
      let n = 0
      while (Date.now() < until) {
        const name = `${prefix}_${n++}`
        await jsm.streams.add({name, subjects: [`${name}.>`]})
        await jsm.consumers.add(name, {durable_name: 'c', ack_policy: AckPolicy.Explicit})
        await jsm.streams.delete(name)
      }
      return n
    }).finally(() => jsm.streams.delete(anchor))
    expect(result.churned).toBeGreaterThan(10)
    expect(result.refreshes).toBeGreaterThan(3)
    expect(result.failures).toEqual([])
  }, 90_000)

  test('Kafka: topics with committed groups created and deleted all along are never a broker failure', async () => {
    const kafka = new Kafka({brokers: settings.kafka!.brokers, clientId: 'vanishing-test', logLevel: logLevel.NOTHING})
    const admin = kafka.admin()
    await admin.connect()
    const prefix = uniqueName('vanish')
    const groups: string[] = []
    try {
      const result = await overviewsDuring('kafka', async (until) => {
        let n = 0
        while (Date.now() < until) {
          const topic = `${prefix}-${n++}`
          const groupId = `${topic}-group`
          groups.push(groupId)
          await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
          await admin.setOffsets({groupId, topic, partitions: [{partition: 0, offset: '0'}]})
          await admin.deleteTopics({topics: [topic]})
        }
        return n
      })
      expect(result.churned).toBeGreaterThan(3)
      expect(result.refreshes).toBeGreaterThan(3)
      expect(result.failures).toEqual([])
    } finally {
      await admin.deleteGroups(groups).catch(() => undefined)
      await admin.disconnect()
    }
  }, 120_000)
})
