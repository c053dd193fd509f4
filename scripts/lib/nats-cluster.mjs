// A three-node nats-server cluster with JetStream (streams with 3 replicas possible), beside the plain server:
// clients on 4281-4283, routes on 6281-6283, HTTP monitoring (varz, jsz, routez) on 8281-8283; stores under
// .brokers/cluster/nats/. See scripts/lib/cluster-topology.json.
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {clusterStatus, liveNodePid, nodePidName, stopNodes, topology} from './cluster.mjs'
import {
  BrokerStartError,
  ensureStateDir,
  isPortOpen,
  pollUntil,
  progress,
  recordStarted,
  tailFile,
  withStartLock,
} from './harness.mjs'

const NODES = topology.nats
const CLUSTER_NAME = 'mailroom-cluster'
const READY_TIMEOUT_MS = 45_000
const STOP_GRACE_MS = 10_000
const markerOf = (index) => `cluster/nats/n${index + 1}.conf`

export const name = 'nats-cluster'
export const address = `nats://${NODES.map((node) => `127.0.0.1:${node.port}`).join(',')} (monitoring ${NODES.map((node) => node.monitor).join(',')})`

function paths(index) {
  const dir = ensureStateDir('cluster', 'nats')
  return {
    config: join(dir, `n${index + 1}.conf`),
    log: join(dir, `n${index + 1}.log`),
    store: ensureStateDir('cluster', 'nats', `n${index + 1}-store`),
  }
}

function serverConfig(index, files) {
  const node = NODES[index]
  const routes = NODES.filter((_, other) => other !== index).map((peer) => `    nats-route://127.0.0.1:${peer.route}`)
  return `server_name: ${node.name}
listen: 127.0.0.1:${node.port}
http: 127.0.0.1:${node.monitor}
jetstream {
  store_dir: ${JSON.stringify(files.store)}
  max_memory_store: 256MB
  max_file_store: 4GB
}
cluster {
  name: ${CLUSTER_NAME}
  listen: 127.0.0.1:${node.route}
  routes: [
${routes.join('\n')}
  ]
}
`
}

function startNode(index) {
  const files = paths(index)
  writeFileSync(files.config, serverConfig(index, files))
  const child = spawn('nats-server', ['-c', files.config, '-l', files.log], {detached: true, stdio: 'ignore'})
  child.once('error', (error) => progress(`${name}: could not spawn nats-server: ${error.message}`))
  child.unref()
  if (!child.pid)
    throw new BrokerStartError(name, `nats-server ${NODES[index].name} did not start`, tailFile(files.log))
  recordStarted(nodePidName(name, index), child.pid)
  return child.pid
}

async function monitor(index, path) {
  try {
    const response = await fetch(`http://127.0.0.1:${NODES[index].monitor}${path}`, {signal: AbortSignal.timeout(2000)})
    return response.ok ? await response.json() : undefined
  } catch {
    return undefined
  }
}

/** Every node routes to the two others and one JetStream meta leader is elected that all of them agree on. */
async function clusterFormed() {
  const views = await Promise.all(NODES.map((_, index) => monitor(index, '/jsz')))
  const leaders = new Set(views.map((view) => view?.meta_cluster?.leader))
  const routed = await Promise.all(
    NODES.map(async (_, index) => (await monitor(index, '/routez'))?.num_routes >= NODES.length - 1),
  )
  return leaders.size === 1 && !leaders.has(undefined) && !leaders.has('') && routed.every(Boolean)
}

const logTails = () => NODES.map((_, index) => `--- ${paths(index).log}\n${tailFile(paths(index).log, 15)}`).join('\n')

export function up() {
  return withStartLock(name, upLocked)
}

async function upLocked() {
  const startedAt = Date.now()
  const started = []
  for (const [index, node] of NODES.entries()) {
    if (liveNodePid(name, index, markerOf(index)) || (await isPortOpen(node.port))) continue
    progress(`${name}: starting ${node.name} on 127.0.0.1:${node.port}`)
    started.push(startNode(index))
  }
  if (!(await pollUntil(clusterFormed, {timeoutMs: READY_TIMEOUT_MS, intervalMs: 300}))) {
    throw new BrokerStartError(
      name,
      `no JetStream meta leader agreed by all ${NODES.length} nodes after ${READY_TIMEOUT_MS / 1000} s`,
      logTails(),
    )
  }
  if (started.length === 0) return 'up'
  return `started ${started.length} node(s) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pids ${started.join(', ')})`
}

export const status = () =>
  clusterStatus(
    name,
    NODES.map((node) => node.port),
    markerOf,
  )

export function down() {
  return stopNodes(name, NODES.length, markerOf, STOP_GRACE_MS)
}
