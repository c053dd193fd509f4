// Part of cluster.test.ts.
// Contexts with several endpoints per broker: `ping` connects past a node that is down and lists every node of each
// cluster as the broker itself reports it (compared with the management API, Kafka's metadata, NATS monitoring).
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'

import {waitFor} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'
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

// Nothing listens on port 1: the first endpoint of each list is a node that is down.
const DEAD = '127.0.0.1:1'

interface PingNode {
  name: string
  address?: string
  role: string
  version?: string
  status: string
  alarms?: string[]
  connected?: boolean
}

interface PingRow {
  broker: string
  up: boolean
  address?: string
  nodes?: PingNode[]
}

/** A config file whose context lists a dead endpoint first, then the cluster's nodes (as `urls`, `servers` ...). */
function clusterContext(): string {
  const home = mkdtempSync(join(tmpdir(), 'mailroom-cluster-cfg-'))
  const context = {
    rabbitmq: {
      urls: [`amqp://guest@${DEAD}`, ...topology.rabbitmq.map((node) => `amqp://guest@127.0.0.1:${node.amqp}`)],
      managementUrls: [`http://${DEAD}`, ...rabbitmqManagementUrls],
      passwordEnv: 'CLUSTER_RABBIT_PASSWORD',
    },
    kafka: {brokers: [DEAD, ...kafkaBootstrap]},
    nats: {servers: [`nats://${DEAD}`, ...natsServers]},
  }
  const dir = join(home, 'mailroom')
  mkdirSync(dir)
  writeFileSync(join(dir, 'config.yaml'), stringify({currentContext: 'cluster', contexts: {cluster: context}}))
  return home
}

describe('ping on a context listing every node, the first one down', () => {
  let rows: PingRow[]
  beforeAll(async () => {
    // A node's version (its applications) reaches the management API with the node's first statistics, a few
    // seconds after a fresh cluster start: until then the broker itself does not know it.
    await waitFor(
      async () => {
        const nodes = await rabbitManagement<{applications?: {name: string}[]}[]>(1, '/api/nodes')
        return nodes.length === 3 && nodes.every((n) => n.applications?.some((a) => a.name === 'rabbit'))
      },
      {timeoutMs: 60_000},
    )
    const r = await runCli(['ping', '--json'], {
      env: {XDG_CONFIG_HOME: clusterContext(), CLUSTER_RABBIT_PASSWORD: 'guest'},
    })
    expect(r.code, r.stderr).toBe(0)
    rows = jsonOf(r).result.brokers as PingRow[]
  }, 60_000)
  const row = (broker: string) => rows.find((r) => r.broker === broker)!

  it('RabbitMQ: connects to the next node; every node with its version, alarms and the one connected to', async () => {
    expect(row('rabbitmq').up).toBe(true)
    expect(row('rabbitmq').address).toBe(`127.0.0.1:${topology.rabbitmq[0].amqp}`)
    const truth = await rabbitManagement<
      {name: string; running: boolean; mem_alarm: boolean; disk_free_alarm: boolean}[]
    >(1, '/api/nodes')
    const nodes = row('rabbitmq').nodes!
    expect(nodes.map((n) => n.name).sort()).toEqual(truth.map((n) => n.name).sort())
    for (const node of nodes) {
      const fact = truth.find((n) => n.name === node.name)!
      expect(node.status).toBe(fact.running ? 'up' : 'down')
      expect(node.alarms).toEqual([...(fact.mem_alarm ? ['memory'] : []), ...(fact.disk_free_alarm ? ['disk'] : [])])
      expect(node.version).toMatch(/^\d+\.\d+\.\d+/)
    }
    expect(nodes.filter((n) => n.connected).map((n) => n.name)).toEqual([topology.rabbitmq[0].node])
  })

  it('Kafka: every broker, and the controller quorum with its leader', async () => {
    const nodes = row('kafka').nodes!
    expect(nodes.map((n) => n.address)).toEqual(kafkaBootstrap)
    expect(nodes.every((n) => n.status === 'up' && n.role.startsWith('broker, controller'))).toBe(true)
    expect(nodes.filter((n) => n.role === 'broker, controller (leader)')).toHaveLength(1)
  })

  it('NATS: connects to the next server and lists the cluster; the connected server names itself', async () => {
    const nodes = row('nats').nodes!
    const connected = nodes.find((n) => n.connected)!
    const index = topology.nats.findIndex((node) => node.name === connected.name)
    expect(index).toBeGreaterThanOrEqual(0)
    const varz = await natsMonitor<{server_name: string; version: string}>(index, '/varz')
    expect(connected.version).toBe(varz.version)
    expect(nodes.map((n) => n.address).sort()).toEqual(topology.nats.map((node) => `127.0.0.1:${node.port}`))
  })
})
