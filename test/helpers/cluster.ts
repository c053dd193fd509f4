// The three-node clusters of `node scripts/brokers.mjs up cluster` (scripts/lib/*-cluster.mjs): their ports, starting
// them once per run (every cluster test file calls ensureCluster in beforeAll; the harness's start lock and its
// idempotent `up` make the second caller a no-op), and killing / restarting one node for the failure trials.
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import topology from '../../scripts/lib/cluster-topology.json' with {type: 'json'}

export {topology}

export type ClusterBroker = 'rabbitmq-cluster' | 'kafka-cluster' | 'nats-cluster'

const repoRoot = join(import.meta.dirname, '..', '..')
const stateDir = process.env.MAILROOM_BROKERS_DIR ?? join(repoRoot, '.brokers')

/** Time a cold start of a cluster may take on a loaded 2-core machine (the harness has its own deadlines inside). */
export const CLUSTER_START_TIMEOUT_MS = 240_000

export const rabbitmqUrls = topology.rabbitmq.map((node) => `amqp://guest:guest@127.0.0.1:${node.amqp}`)
export const rabbitmqManagementUrls = topology.rabbitmq.map((node) => `http://127.0.0.1:${node.management}`)
export const kafkaBootstrap = topology.kafka.map((node) => `127.0.0.1:${node.port}`)
export const natsServers = topology.nats.map((node) => `nats://127.0.0.1:${node.port}`)

/**
 * `node scripts/brokers.mjs up <brokers>`: starts what is missing (a killed node), waits until the cluster is formed.
 * Without brokers: every cluster, or those MAILROOM_TEST_CLUSTERS names (comma separated), so one broker's trials can
 * run (`-t rabbitmq-cluster`) without starting, or meeting, the other clusters.
 */
export function ensureCluster(...brokers: ClusterBroker[]): Promise<void> {
  const only = process.env.MAILROOM_TEST_CLUSTERS?.split(',').filter(Boolean)
  const names = brokers.length > 0 ? brokers : (only ?? ['cluster'])
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(repoRoot, 'scripts', 'brokers.mjs'), 'up', ...names],
      {cwd: repoRoot, timeout: CLUSTER_START_TIMEOUT_MS},
      (error, _stdout, stderr) => {
        if (error) reject(new Error(`brokers.mjs up ${names.join(' ')} failed:\n${stderr}`))
        else resolve()
      },
    )
  })
}

/** The endpoints with the victim's first: mailroom then connects to the node a trial is about to kill. */
export function victimFirst(endpoints: readonly string[], victim: number): string[] {
  return [endpoints[victim]!, ...endpoints.filter((_, index) => index !== victim)]
}

/** The OS pid of node index (0-based) as the harness recorded it. */
export function nodePid(broker: ClusterBroker, index: number): number {
  const pid = Number.parseInt(readFileSync(join(stateDir, `${broker}-${index + 1}.pid`), 'utf8'), 10)
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid recorded for ${broker} node ${index + 1}`)
  return pid
}

/** SIGKILL of one node: no shutdown, no goodbye to its peers or clients. */
export function killNode(broker: ClusterBroker, index: number): number {
  const pid = nodePid(broker, index)
  process.kill(pid, 'SIGKILL')
  return pid
}

/** GET on a RabbitMQ cluster node's management API as guest. */
export async function rabbitManagement<T>(index: number, path: string): Promise<T> {
  const response = await fetch(`${rabbitmqManagementUrls[index]}${path}`, {
    headers: {authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`},
    signal: AbortSignal.timeout(5000),
  })
  if (!response.ok) throw new Error(`GET ${path} on node ${index + 1}: HTTP ${response.status}`)
  return (await response.json()) as T
}

/** GET on a NATS cluster node's HTTP monitoring endpoint (/varz, /jsz, /routez). */
export async function natsMonitor<T>(index: number, path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${topology.nats[index].monitor}${path}`, {
    signal: AbortSignal.timeout(5000),
  })
  if (!response.ok) throw new Error(`GET ${path} on NATS node ${index + 1}: HTTP ${response.status}`)
  return (await response.json()) as T
}
