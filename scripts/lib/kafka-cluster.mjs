// A three-broker KRaft Kafka cluster from the same jars as the single broker: three combined broker+controller nodes
// (one controller quorum of three voters), data listeners 9291-9293, controllers 9391-9393, default replication
// factor 3 and min.insync.replicas=2 (internal topics too), small heaps; data under .brokers/cluster/kafka/.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {clusterStatus, liveNodePid, nodePidName, stopNodes, topology} from './cluster.mjs'
import {
  BrokerStartError,
  ensureStateDir,
  forgetStarted,
  isLiveProcess,
  isPortOpen,
  pollUntil,
  progress,
  recordStarted,
  run,
  stopProcess,
  tailFile,
  tailText,
  withStartLock,
} from './harness.mjs'
import {
  ensureJars,
  javaArgs,
  log4jProperties,
  logSaysStarted,
  newClusterId,
  spawnKafka,
  storageProperties,
  warmUpWithKafkajs,
} from './kafka.mjs'

const NODES = topology.kafka
const READY_TIMEOUT_MS = 120_000
const STOP_GRACE_MS = 30_000
const HEAP = {minHeap: '128m', maxHeap: '384m'}
const markerOf = (index) => `cluster/kafka/n${index + 1}/server.properties`

export const name = 'kafka-cluster'
export const bootstrap = NODES.map((node) => `127.0.0.1:${node.port}`)
export const address = bootstrap.join(',')

function paths(index) {
  const dir = ensureStateDir('cluster', 'kafka', `n${index + 1}`)
  return {
    dir,
    dataDir: join(dir, 'data'),
    serverProperties: join(dir, 'server.properties'),
    log: join(dir, 'kafka.log'),
  }
}

const sharedPaths = () => {
  const dir = ensureStateDir('cluster', 'kafka')
  return {
    clusterId: join(dir, 'cluster-id'),
    brokerLog4j: join(dir, 'log4j2.properties'),
    toolsLog4j: join(dir, 'tools-log4j2.properties'),
  }
}

function serverProperties(index, dataDir) {
  const node = NODES[index]
  const voters = NODES.map((peer) => `${peer.id}@127.0.0.1:${peer.controller}`).join(',')
  return `process.roles=broker,controller
node.id=${node.id}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controller}
advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
${storageProperties({dataDir, replicas: 3, minIsr: 2, internalPartitions: 3})}num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
background.threads=2
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
`
}

/** One cluster id for all three nodes, made once and kept beside their data. */
function clusterId(shared) {
  if (!existsSync(shared.clusterId)) writeFileSync(shared.clusterId, `${newClusterId()}\n`)
  return readFileSync(shared.clusterId, 'utf8').trim()
}

async function formatOnce(index, files, shared) {
  if (existsSync(join(files.dataDir, 'meta.properties'))) return
  const args = [
    ...javaArgs(shared.toolsLog4j, HEAP),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId(shared),
    '-c',
    files.serverProperties,
    '--ignore-formatted',
  ]
  const result = await run('java', args, {timeoutMs: 120_000})
  if (result.code !== 0)
    throw new BrokerStartError(
      name,
      `storage format of node ${index + 1} failed (exit ${result.code})`,
      tailText(result.output),
    )
}

async function startNode(index, shared) {
  const files = paths(index)
  writeFileSync(files.serverProperties, serverProperties(index, files.dataDir))
  await formatOnce(index, files, shared)
  progress(`${name}: starting node ${NODES[index].id} on 127.0.0.1:${NODES[index].port}`)
  const pid = spawnKafka(name, {
    dir: files.dir,
    log: files.log,
    javaArgs: javaArgs(shared.brokerLog4j, HEAP),
    serverProperties: files.serverProperties,
  })
  if (!pid) throw new BrokerStartError(name, `java did not start for node ${index + 1}`, tailFile(files.log))
  recordStarted(nodePidName(name, index), pid)
  return pid
}

async function waitUntilServing(index, pid) {
  const files = paths(index)
  const ready = await pollUntil(async () => logSaysStarted(files.log) && (await isPortOpen(NODES[index].port)), {
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 250,
    shouldAbort: () => !isLiveProcess(pid, markerOf(index)),
  })
  if (ready) return
  const alive = isLiveProcess(pid, markerOf(index))
  const logTail = tailFile(files.log)
  await stopProcess(pid, markerOf(index), STOP_GRACE_MS)
  forgetStarted(nodePidName(name, index))
  const reason = alive
    ? `node ${index + 1} not ready after ${READY_TIMEOUT_MS / 1000} s`
    : `node ${index + 1} (pid ${pid}) exited during startup`
  throw new BrokerStartError(name, reason, logTail)
}

/** Indexes of the nodes to start: not running under our pid and nobody else on their ports. */
async function missingNodes() {
  const missing = []
  for (const [index, node] of NODES.entries()) {
    if (liveNodePid(name, index, markerOf(index))) continue
    if ((await isPortOpen(node.port)) || (await isPortOpen(node.controller))) {
      throw new BrokerStartError(
        name,
        `port ${node.port} or ${node.controller} is taken by a process this harness did not start`,
      )
    }
    missing.push(index)
  }
  return missing
}

export function up() {
  return withStartLock(name, upLocked)
}

async function upLocked() {
  const startedAt = Date.now()
  const shared = sharedPaths()
  const missing = await missingNodes()
  if (missing.length > 0) {
    await ensureJars()
    writeFileSync(shared.brokerLog4j, log4jProperties({rootLevel: 'INFO', target: 'SYSTEM_OUT'}))
    writeFileSync(shared.toolsLog4j, log4jProperties({rootLevel: 'WARN', target: 'SYSTEM_ERR'}))
  }
  // All at once: a controller quorum of three needs two voters up before any broker can register.
  const pids = await Promise.all(missing.map((index) => startNode(index, shared)))
  await Promise.all(missing.map((index, position) => waitUntilServing(index, pids[position])))
  await waitForAllBrokers()
  if (missing.length === 0) return 'up'
  return `started ${missing.length} node(s) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pids ${pids.join(', ')})`
}

/** A real client sees all three brokers registered and the group coordinator loaded. */
async function waitForAllBrokers() {
  const logFile = paths(0).log
  await warmUpWithKafkajs({brokers: bootstrap}, {broker: name, what: address, logFile})
  const registered = await pollUntil(() => brokersRegistered(), {timeoutMs: READY_TIMEOUT_MS, intervalMs: 500})
  if (!registered)
    throw new BrokerStartError(name, `describeCluster never listed all ${NODES.length} brokers`, tailFile(logFile))
}

async function brokersRegistered() {
  let kafkajs
  try {
    kafkajs = (await import('kafkajs')).default
  } catch {
    return true
  }
  const admin = new kafkajs.Kafka({
    clientId: 'mailroom-brokers-harness',
    brokers: bootstrap,
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin()
  try {
    await admin.connect()
    return (await admin.describeCluster()).brokers.length === NODES.length
  } catch {
    return false
  } finally {
    await admin.disconnect().catch(() => {})
  }
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
