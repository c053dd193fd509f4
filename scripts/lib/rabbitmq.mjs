// RabbitMQ as the machine installs it (Debian package, node rabbit@localhost), plus the management HTTP API and
// the shovel plugins the tests and benchmarks rely on.
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {
  BrokerStartError,
  forgetStarted,
  isLiveProcess,
  isPortOpen,
  isRunning,
  pidStartedByUs,
  pollUntil,
  progress,
  readStartedPid,
  recordStarted,
  run,
  tailFile,
  tailText,
} from './harness.mjs'

const PORT = 5672
const MANAGEMENT_URL = 'http://127.0.0.1:15672'
const PLUGINS = ['rabbitmq_management', 'rabbitmq_shovel', 'rabbitmq_shovel_management']
const READY_TIMEOUT_MS = 90_000
const MANAGEMENT_TIMEOUT_MS = 60_000
const PROCESS_MARKER = 'beam'
const LOG_DIR = '/var/log/rabbitmq'
const MNESIA_DIR = '/var/lib/rabbitmq/mnesia'

export const name = 'rabbitmq'
export const address = `127.0.0.1:${PORT}, management ${MANAGEMENT_URL}`

async function managementAnswers(path) {
  try {
    const response = await fetch(`${MANAGEMENT_URL}${path}`, {
      headers: {authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`},
      signal: AbortSignal.timeout(2000),
    })
    await response.arrayBuffer()
    return response.status === 200
  } catch {
    return false
  }
}

// /api/shovels exists only with rabbitmq_shovel_management, which itself needs management and shovel.
const managementAndShovelReady = async () =>
  (await managementAnswers('/api/overview')) && managementAnswers('/api/shovels')

function newestLog() {
  if (!existsSync(LOG_DIR)) return undefined
  const logs = readdirSync(LOG_DIR)
    .filter((file) => file.endsWith('.log') && !file.endsWith('_upgrade.log'))
    .map((file) => join(LOG_DIR, file))
  return logs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
}

function logTail(extraOutput = '') {
  const parts = [newestLog(), join(LOG_DIR, 'startup_err')]
    .filter((path) => path && existsSync(path))
    .map((path) => `--- ${path}\n${tailFile(path)}`)
  if (extraOutput.trim()) parts.unshift(`--- command output\n${tailText(extraOutput)}`)
  return parts.join('\n') || '(no RabbitMQ log found)'
}

/** The Erlang VM's OS pid, which RabbitMQ writes beside its database. */
function nodePid() {
  if (!existsSync(MNESIA_DIR)) return undefined
  const pidFile = readdirSync(MNESIA_DIR).find((file) => file.endsWith('.pid'))
  if (!pidFile) return undefined
  const pid = Number.parseInt(readFileSync(join(MNESIA_DIR, pidFile), 'utf8'), 10)
  return Number.isInteger(pid) ? pid : undefined
}

/** The node's pid when that process is alive (the pid file outlives a node that was stopped). */
function liveNodePid() {
  const pid = nodePid()
  return isLiveProcess(pid, PROCESS_MARKER) ? pid : undefined
}

/**
 * The node runs: its AMQP port, its management API or its process say so, in a few attempts (a loaded machine).
 * `portOpen` is replaceable so a test can have the port probe miss, as it did under load.
 * @param {{portOpen?: () => Promise<boolean>, pauseMs?: number}} [o]
 */
export function nodeRunning({portOpen = () => isPortOpen(PORT, '127.0.0.1', 1500), pauseMs} = {}) {
  return isRunning([portOpen, () => managementAnswers('/api/overview'), liveNodePid], {pauseMs})
}

/** Starts the node; resolves to its pid when this start made it (recorded for `down`), undefined when it was running. */
async function startNode() {
  const before = liveNodePid()
  // Enabling offline first means the node boots with management already on: no second wait afterwards.
  await run('rabbitmq-plugins', ['enable', '--offline', ...PLUGINS], {timeoutMs: 60_000})
  progress(`rabbitmq: starting (rabbitmq-server -detached)`)
  const result = await run('rabbitmq-server', ['-detached'], {timeoutMs: 60_000})
  if (result.code !== 0)
    throw new BrokerStartError(name, `rabbitmq-server -detached exited ${result.code}`, logTail(result.output))
  const open = await pollUntil(() => isPortOpen(PORT), {timeoutMs: READY_TIMEOUT_MS, intervalMs: 500})
  if (!open)
    throw new BrokerStartError(name, `not listening on 127.0.0.1:${PORT} after ${READY_TIMEOUT_MS / 1000} s`, logTail())
  const pid = pidStartedByUs(before, liveNodePid())
  if (pid) recordStarted(name, pid)
  return pid
}

async function ensureManagement() {
  if (await managementAndShovelReady()) return
  progress(`rabbitmq: enabling ${PLUGINS.join(', ')}`)
  const result = await run('rabbitmq-plugins', ['enable', ...PLUGINS], {timeoutMs: 120_000})
  if (result.code !== 0)
    throw new BrokerStartError(name, `rabbitmq-plugins enable exited ${result.code}`, logTail(result.output))
  const ready = await pollUntil(managementAndShovelReady, {timeoutMs: MANAGEMENT_TIMEOUT_MS, intervalMs: 500})
  if (!ready)
    throw new BrokerStartError(name, `management API not answering at ${MANAGEMENT_URL}`, logTail(result.output))
}

export async function up() {
  if (!(await nodeRunning())) {
    const pid = await startNode()
    await ensureManagement()
    return pid ? `started (pid ${pid})` : 'up (reused: a node was already running)'
  }
  await ensureManagement()
  const ours = isLiveProcess(readStartedPid(name), PROCESS_MARKER)
  return ours ? 'up (started by mailroom)' : 'up (reused)'
}

export async function status() {
  const pid = readStartedPid(name)
  const ours = isLiveProcess(pid, PROCESS_MARKER)
  const open = await isPortOpen(PORT)
  const management = open && (await managementAnswers('/api/overview'))
  return {up: open, startedByMailroom: ours, detail: `management ${management ? 'up' : 'down'}`}
}

export async function down() {
  const pid = readStartedPid(name)
  if (!isLiveProcess(pid, PROCESS_MARKER)) {
    forgetStarted(name)
    return 'not started by mailroom, left alone'
  }
  const result = await run('rabbitmqctl', ['stop'], {timeoutMs: 60_000})
  if (result.code !== 0) throw new Error(`rabbitmqctl stop exited ${result.code}:\n${tailText(result.output)}`)
  forgetStarted(name)
  return 'stopped (rabbitmqctl stop)'
}
