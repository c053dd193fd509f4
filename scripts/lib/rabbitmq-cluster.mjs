// A three-node RabbitMQ cluster beside the machine's node: mailroom-c1..c3@localhost, AMQP on 5681-5683, management
// on 15681-15683, distribution on 25681-25683, each with its own HOME, database, logs and config under
// .brokers/cluster/rabbitmq/n<N>/ and one Erlang cookie; nodes 2 and 3 join node 1 with `rabbitmqctl join_cluster`.
// guest/guest (loopback only). Quorum queues need nothing more. The plain node is never touched.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {clusterStatus, nodePidName, stopNodes, topology} from './cluster.mjs'
import {
  BrokerStartError,
  ensureStateDir,
  findProcessByMarker,
  isLiveProcess,
  isPortOpen,
  pollUntil,
  progress,
  recordStarted,
  run,
  tailFile,
  tailText,
  withStartLock,
} from './harness.mjs'

const NODES = topology.rabbitmq
const BIN = '/usr/lib/rabbitmq/bin'
const PLUGINS = ['rabbitmq_management', 'rabbitmq_shovel', 'rabbitmq_shovel_management']
const READY_TIMEOUT_MS = 90_000
const STOP_GRACE_MS = 30_000
// The VM's command line names its HOME, one per node.
const markerOf = (index) => `cluster/rabbitmq/n${index + 1}/home`
// Three VMs on two cores: schedulers that do not busy-wait, and a small memory watermark.
const ERL_ARGS = '+sbwt none +sbwtdcpu none +sbwtdio none'

export const name = 'rabbitmq-cluster'
export const address = `amqp://127.0.0.1:${NODES.map((node) => node.amqp).join(',')}, management ${NODES.map((node) => node.management).join(',')}`

function paths(index) {
  const base = ['cluster', 'rabbitmq', `n${index + 1}`]
  const dir = ensureStateDir(...base)
  return {
    dir,
    home: ensureStateDir(...base, 'home'),
    mnesia: ensureStateDir(...base, 'mnesia'),
    logs: ensureStateDir(...base, 'log'),
    config: join(dir, 'rabbitmq.conf'),
    envFile: join(dir, 'rabbitmq-env.conf'),
    plugins: join(dir, 'enabled_plugins'),
    pidFile: join(dir, 'beam.pid'),
    console: join(dir, 'console.log'),
  }
}

const cookiePath = () => join(ensureStateDir('cluster', 'rabbitmq'), 'erlang.cookie')

/** One cookie for the three nodes and our rabbitmqctl calls, copied into each node's HOME. */
function cookie() {
  const path = cookiePath()
  if (!existsSync(path)) writeFileSync(path, randomBytes(20).toString('hex').toUpperCase(), {mode: 0o600})
  return readFileSync(path, 'utf8').trim()
}

function writeConfig(index, files) {
  const node = NODES[index]
  writeFileSync(
    files.config,
    `listeners.tcp.default = 127.0.0.1:${node.amqp}\n` +
      `management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = ${node.management}\n` +
      'vm_memory_high_watermark.absolute = 512MB\nraft.wal_max_size_bytes = 16000000\n' +
      'log.console = false\nlog.file.level = info\n',
  )
  writeFileSync(files.plugins, `[${PLUGINS.join(',')}].\n`)
  // Our own env file, so /etc/rabbitmq/rabbitmq-env.conf (which names the machine's node) is not read.
  writeFileSync(files.envFile, `NODENAME=${node.node}\nERL_EPMD_ADDRESS=127.0.0.1\n`)
  const cookieFile = join(files.home, '.erlang.cookie')
  if (existsSync(cookieFile)) chmodSync(cookieFile, 0o600)
  writeFileSync(cookieFile, cookie())
  chmodSync(cookieFile, 0o400)
}

function nodeEnvironment(index, files) {
  const node = NODES[index]
  return {
    ...process.env,
    HOME: files.home,
    RABBITMQ_NODENAME: node.node,
    RABBITMQ_CONF_ENV_FILE: files.envFile,
    RABBITMQ_CONFIG_FILE: files.config,
    RABBITMQ_ADVANCED_CONFIG_FILE: join(files.dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: files.plugins,
    RABBITMQ_MNESIA_BASE: files.mnesia,
    RABBITMQ_LOG_BASE: files.logs,
    RABBITMQ_PID_FILE: files.pidFile,
    RABBITMQ_DIST_PORT: String(node.dist),
    RABBITMQ_NODE_PORT: String(node.amqp),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: ERL_ARGS,
    ERL_EPMD_ADDRESS: '127.0.0.1',
  }
}

function logTail(index) {
  const files = paths(index)
  const logs = readdirSync(files.logs)
    .filter((file) => file.endsWith('.log'))
    .map((file) => join(files.logs, file))
  const newest = logs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
  return [files.console, newest]
    .filter(Boolean)
    .map((path) => `--- ${path}\n${tailFile(path, 25)}`)
    .join('\n')
}

/** GET on a node's management API as guest; the parsed JSON, or undefined when it does not answer 200. */
export async function management(index, path) {
  try {
    const response = await fetch(`http://127.0.0.1:${NODES[index].management}${path}`, {
      headers: {authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`},
      signal: AbortSignal.timeout(3000),
    })
    return response.status === 200 ? await response.json() : undefined
  } catch {
    return undefined
  }
}

/** rabbitmqctl against one of our nodes, with the cluster's cookie. */
function rabbitmqctl(index, args) {
  const files = paths(index)
  return run(join(BIN, 'rabbitmqctl'), ['-n', NODES[index].node, ...args], {
    timeoutMs: 90_000,
    env: {...process.env, HOME: files.home},
  })
}

function beamPid(index) {
  const {pidFile} = paths(index)
  const fromFile = existsSync(pidFile) ? Number.parseInt(readFileSync(pidFile, 'utf8'), 10) || undefined : undefined
  return isLiveProcess(fromFile, markerOf(index)) ? fromFile : findProcessByMarker(markerOf(index))
}

function spawnNode(index) {
  const files = paths(index)
  writeConfig(index, files)
  progress(`${name}: starting ${NODES[index].node} on 127.0.0.1:${NODES[index].amqp}`)
  const logFd = openSync(files.console, 'w')
  try {
    const child = spawn(join(BIN, 'rabbitmq-server'), [], {
      cwd: files.dir,
      env: nodeEnvironment(index, files),
      detached: true,
      stdio: ['ignore', logFd, logFd],
    })
    child.once('error', (error) => progress(`${name}: could not spawn rabbitmq-server: ${error.message}`))
    child.unref()
    return child.pid
  } finally {
    closeSync(logFd)
  }
}

/** Waits until the node answers AMQP and management; records its VM's pid. */
async function waitUntilServing(index, scriptPid) {
  const alive = () => isLiveProcess(scriptPid) || isLiveProcess(beamPid(index), markerOf(index))
  const ready = await pollUntil(
    async () => (await isPortOpen(NODES[index].amqp)) && (await management(index, '/api/overview')),
    {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 500,
      shouldAbort: () => !alive(),
    },
  )
  const pid = beamPid(index)
  if (pid) recordStarted(nodePidName(name, index), pid)
  if (!ready)
    throw new BrokerStartError(
      name,
      `${NODES[index].node} not ready after ${READY_TIMEOUT_MS / 1000} s`,
      logTail(index),
    )
  return pid
}

/** Node names the node at index counts as running members of its cluster (from the management API). */
async function runningMembers(index) {
  const nodes = (await management(index, '/api/nodes')) ?? []
  return nodes.filter((node) => node.running).map((node) => node.name)
}

async function joinFirstNode(index) {
  const members = await runningMembers(0)
  if (members.includes(NODES[index].node)) return
  progress(`${name}: ${NODES[index].node} joins ${NODES[0].node}`)
  for (const args of [['stop_app'], ['reset'], ['join_cluster', NODES[0].node], ['start_app']]) {
    const result = await rabbitmqctl(index, args)
    if (result.code !== 0)
      throw new BrokerStartError(
        name,
        `rabbitmqctl ${args.join(' ')} on ${NODES[index].node} exited ${result.code}`,
        tailText(result.output),
      )
  }
}

async function missingNodes() {
  const missing = []
  for (const [index, node] of NODES.entries()) {
    const pid = beamPid(index)
    if (pid) {
      recordStarted(nodePidName(name, index), pid)
      continue
    }
    if (await isPortOpen(node.amqp))
      throw new BrokerStartError(name, `port ${node.amqp} is taken by a process this harness did not start`)
    missing.push(index)
  }
  return missing
}

export function up() {
  return withStartLock(name, upLocked)
}

async function upLocked() {
  const startedAt = Date.now()
  const missing = await missingNodes()
  // All at once: a restarted cluster member waits for the peers it last saw before it boots.
  const scriptPids = missing.map((index) => spawnNode(index))
  const pids = await Promise.all(missing.map((index, position) => waitUntilServing(index, scriptPids[position])))
  for (const index of [1, 2]) await joinFirstNode(index)
  const formed = await pollUntil(async () => (await runningMembers(0)).length === NODES.length, {
    timeoutMs: 30_000,
    intervalMs: 500,
  })
  if (!formed)
    throw new BrokerStartError(name, `${NODES[0].node} does not list ${NODES.length} running nodes`, logTail(0))
  if (missing.length === 0) return 'up'
  return `started ${missing.length} node(s) in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pids ${pids.join(', ')})`
}

export const status = () =>
  clusterStatus(
    name,
    NODES.map((node) => node.amqp),
    markerOf,
  )

export function down() {
  return stopNodes(name, NODES.length, markerOf, STOP_GRACE_MS)
}
