// Part of cluster.test.ts. `brokers.mjs up cluster`: three RabbitMQ nodes in one cluster with quorum queues on all
// three, three Kafka brokers with replication factor 3 and min.insync.replicas=2 by default, three NATS servers with
// R3 JetStream streams. Each
// fact is asked of the brokers themselves (management API, Kafka metadata and configs, NATS monitoring and JS API).
import {Kafka, logLevel, ConfigResourceTypes} from 'kafkajs'
import {connect} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {
  CLUSTER_START_TIMEOUT_MS,
  ensureCluster,
  kafkaBootstrap,
  natsMonitor,
  natsServers,
  rabbitManagement,
  rabbitmqManagementUrls,
  topology,
} from '../helpers/cluster.js'

beforeAll(() => ensureCluster(), CLUSTER_START_TIMEOUT_MS)

const guest = {
  authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
  'content-type': 'application/json',
}

describe('rabbitmq-cluster', () => {
  const queue = uniqueName('fix-cluster-harness-qq')
  afterAll(() => fetch(`${rabbitmqManagementUrls[0]}/api/queues/%2F/${queue}`, {method: 'DELETE', headers: guest}))

  it('every node sees the same three running nodes', async () => {
    for (const index of [0, 1, 2]) {
      const nodes = await rabbitManagement<{name: string; running: boolean}[]>(index, '/api/nodes')
      expect(
        nodes
          .filter((node) => node.running)
          .map((node) => node.name)
          .sort(),
      ).toEqual(topology.rabbitmq.map((node) => node.node))
    }
  })

  it('a quorum queue declared on node 1 has a member on each node', async () => {
    const put = await fetch(`${rabbitmqManagementUrls[0]}/api/queues/%2F/${queue}`, {
      method: 'PUT',
      headers: guest,
      body: JSON.stringify({durable: true, arguments: {'x-queue-type': 'quorum'}}),
    })
    expect(put.status).toBeLessThan(300)
    const info = await waitFor(async () => {
      const found = await rabbitManagement<{type: string; members?: string[]; leader?: string}>(
        1,
        `/api/queues/%2F/${queue}`,
      )
      return found.members?.length === 3 ? found : undefined
    })
    expect(info.type).toBe('quorum')
    expect(info.members?.sort()).toEqual(topology.rabbitmq.map((node) => node.node))
  })
})

describe('kafka-cluster', () => {
  const kafka = new Kafka({clientId: 'fix-cluster-harness-test', brokers: kafkaBootstrap, logLevel: logLevel.NOTHING})
  const admin = kafka.admin()
  const topic = uniqueName('fix-cluster-harness-topic')
  beforeAll(() => admin.connect())
  afterAll(async () => {
    await admin.deleteTopics({topics: [topic]}).catch(() => {})
    await admin.disconnect()
  })

  it('three brokers, each answering on its own port, one of them the controller', async () => {
    const cluster = await admin.describeCluster()
    expect(cluster.brokers.map((broker) => broker.port).sort()).toEqual(topology.kafka.map((node) => node.port))
    expect(topology.kafka.map((node) => node.id)).toContain(cluster.controller)
  })

  it('a topic created without settings gets 3 replicas and min.insync.replicas=2', async () => {
    await admin.createTopics({topics: [{topic, numPartitions: 2}], waitForLeaders: true})
    const {topics} = await admin.fetchTopicMetadata({topics: [topic]})
    for (const partition of topics[0].partitions) expect(partition.replicas.sort()).toEqual([1, 2, 3])
    const configs = await admin.describeConfigs({
      resources: [{type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas']}],
      includeSynonyms: false,
    })
    expect(
      configs.resources[0].configEntries.find((entry) => entry.configName === 'min.insync.replicas')?.configValue,
    ).toBe('2')
  })
})

describe('nats-cluster', () => {
  const stream = uniqueName('fix-cluster-harness-stream').replace(/[.-]/g, '_')

  it('every server reports a JetStream meta group of three with one leader', async () => {
    const views = await Promise.all(
      [0, 1, 2].map((index) => natsMonitor<{meta_cluster: {leader: string; cluster_size: number}}>(index, '/jsz')),
    )
    expect(views.map((view) => view.meta_cluster.cluster_size)).toEqual([3, 3, 3])
    expect(new Set(views.map((view) => view.meta_cluster.leader)).size).toBe(1)
  })

  it('an R3 stream has a leader and two current replicas', async () => {
    const nc = await connect({servers: natsServers})
    try {
      const jsm = await nc.jetstreamManager()
      await jsm.streams.add({name: stream, subjects: [`${stream}.>`], num_replicas: 3})
      const info = await waitFor(async () => {
        const current = await jsm.streams.info(stream)
        return current.cluster?.leader && current.cluster.replicas?.filter((replica) => replica.current).length === 2
          ? current
          : undefined
      })
      const servers = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((replica) => replica.name)].sort()
      expect(servers).toEqual(topology.nats.map((node) => node.name))
      await jsm.streams.delete(stream)
    } finally {
      await nc.close()
    }
  })
})
