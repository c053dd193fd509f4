// A second RabbitMQ node beside the machine's: mailroom-secure@localhost, AMQPS only (client certificate required)
// on 5771, the management API over HTTPS on 15771, its own distribution port (25771), database, logs, config and
// Erlang cookie under .brokers/secure/rabbitmq. Users and vhosts come from a definitions file loaded at boot
// (no rabbitmqctl round trips): user mailroom-ops on vhosts '/' and 'a/b'. The plain node is never touched.
import {spawn} from 'node:child_process'
import {closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {request} from 'node:https'
import {join} from 'node:path'

import {
  BrokerStartError,
  ensureStateDir,
  findProcessByMarker,
  forgetStarted,
  isLiveProcess,
  isPortOpen,
  isListening,
  pollUntil,
  progress,
  readStartedPid,
  recordStarted,
  stopProcess,
  tailFile,
  withStartLock,
} from '../lib/harness.mjs'
import {ensureMaterial, rabbitPasswordHash, readSecret} from './pki.mjs'
import {foreignBrokerError, servesOurCertificate} from './trust.mjs'

export const AMQPS_PORT = 5771
export const MANAGEMENT_PORT = 15771
const DIST_PORT = 25771
export const NODENAME = 'mailroom-secure@localhost'
export const USER = 'mailroom-ops'
export const VHOSTS = ['/', 'a/b']
const SERVER_SCRIPT = '/usr/lib/rabbitmq/bin/rabbitmq-server'
// The VM's command line names its HOME (ours alone), not the node.
const PROCESS_MARKER = 'secure/rabbitmq/home'
const READY_TIMEOUT_MS = 90_000
const STOP_GRACE_MS = 30_000

export const name = 'rabbitmq-secure'
export const address = `amqps://127.0.0.1:${AMQPS_PORT} (mTLS), management https://127.0.0.1:${MANAGEMENT_PORT}`

function paths() {
  const dir = ensureStateDir('secure', 'rabbitmq')
  return {
    dir,
    home: ensureStateDir('secure', 'rabbitmq', 'home'),
    mnesia: ensureStateDir('secure', 'rabbitmq', 'mnesia'),
    logs: ensureStateDir('secure', 'rabbitmq', 'log'),
    config: join(dir, 'rabbitmq.conf'),
    envFile: join(dir, 'rabbitmq-env.conf'),
    plugins: join(dir, 'enabled_plugins'),
    definitions: join(dir, 'definitions.json'),
    pidFile: join(dir, 'beam.pid'),
    console: join(dir, 'console.log'),
  }
}

function rabbitConfig(files, pki) {
  const tls = (prefix) =>
    `${prefix}.cacertfile = ${pki.ca}\n${prefix}.certfile = ${pki.server.cert}\n${prefix}.keyfile = ${pki.server.key}\n`
  return (
    `listeners.tcp = none\nlisteners.ssl.default = 127.0.0.1:${AMQPS_PORT}\n` +
    tls('ssl_options') +
    'ssl_options.verify = verify_peer\nssl_options.fail_if_no_peer_cert = true\n' +
    `management.ssl.ip = 127.0.0.1\nmanagement.ssl.port = ${MANAGEMENT_PORT}\n` +
    tls('management.ssl') +
    `load_definitions = ${files.definitions}\n` +
    'log.console = false\nlog.file.level = info\n'
  )
}

function definitions() {
  const password_hash = rabbitPasswordHash(readSecret('rabbitmqPassword'))
  const everything = {configure: '.*', write: '.*', read: '.*'}
  return {
    users: [{name: USER, password_hash, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: 'administrator'}],
    vhosts: VHOSTS.map((vhost) => ({name: vhost})),
    permissions: VHOSTS.map((vhost) => ({user: USER, vhost, ...everything})),
  }
}

function writeConfig(files, pki) {
  writeFileSync(files.config, rabbitConfig(files, pki))
  writeFileSync(files.definitions, JSON.stringify(definitions(), null, 2), {mode: 0o600})
  writeFileSync(files.plugins, '[rabbitmq_management].\n')
  // Our own env file, so /etc/rabbitmq/rabbitmq-env.conf (which names the machine's node) is not read.
  writeFileSync(files.envFile, `NODENAME=${NODENAME}\nERL_EPMD_ADDRESS=127.0.0.1\n`)
}

function nodeEnvironment(files) {
  return {
    ...process.env,
    HOME: files.home, // a cookie of its own
    RABBITMQ_NODENAME: NODENAME,
    RABBITMQ_CONF_ENV_FILE: files.envFile,
    RABBITMQ_CONFIG_FILE: files.config,
    RABBITMQ_ADVANCED_CONFIG_FILE: join(files.dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: files.plugins,
    RABBITMQ_MNESIA_BASE: files.mnesia,
    RABBITMQ_LOG_BASE: files.logs,
    RABBITMQ_PID_FILE: files.pidFile,
    RABBITMQ_DIST_PORT: String(DIST_PORT),
    RABBITMQ_NODE_PORT: String(AMQPS_PORT),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  }
}

function logTail(files) {
  const logs = existsSync(files.logs)
    ? readdirSync(files.logs)
        .filter((file) => file.endsWith('.log'))
        .map((file) => join(files.logs, file))
    : []
  const newest = logs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
  return [files.console, newest]
    .filter(Boolean)
    .map((path) => `--- ${path}\n${tailFile(path)}`)
    .join('\n')
}

/** The management API answers over HTTPS, verified against our CA. */
function managementAnswers(pki) {
  return new Promise((done) => {
    const auth = `${USER}:${readSecret('rabbitmqPassword')}`
    const req = request(
      {host: '127.0.0.1', port: MANAGEMENT_PORT, path: '/api/overview', ca: readFileSync(pki.ca), auth, timeout: 2000},
      (res) => {
        res.resume()
        done(res.statusCode === 200)
      },
    )
    req.once('timeout', () => req.destroy())
    req.once('error', () => done(false))
    req.end()
  })
}

function spawnNode(files) {
  const logFd = openSync(files.console, 'w')
  try {
    const child = spawn(SERVER_SCRIPT, [], {
      cwd: files.dir,
      env: nodeEnvironment(files),
      detached: true,
      stdio: ['ignore', logFd, logFd],
    })
    child.once('error', (error) => progress(`rabbitmq-secure: could not spawn ${SERVER_SCRIPT}: ${error.message}`))
    child.unref()
    return child.pid
  } finally {
    closeSync(logFd)
  }
}

/** The node's VM: from RabbitMQ's pid file, else by our HOME path on its command line (the file can go missing). */
function beamPid(files) {
  const fromFile = existsSync(files.pidFile)
    ? Number.parseInt(readFileSync(files.pidFile, 'utf8'), 10) || undefined
    : undefined
  return isLiveProcess(fromFile, PROCESS_MARKER) ? fromFile : findProcessByMarker(PROCESS_MARKER)
}

/** Our node, running under a pid the harness recorded, or found (and then recorded) by its marker. */
function runningNodePid(files) {
  const recorded = readStartedPid(name)
  if (isLiveProcess(recorded, PROCESS_MARKER)) return recorded
  const found = beamPid(files)
  if (found) recordStarted(name, found)
  return found
}

async function startNode(files, pki) {
  const startedAt = Date.now()
  writeConfig(files, pki)
  progress(`rabbitmq-secure: starting ${NODENAME}`)
  const scriptPid = spawnNode(files)
  if (!scriptPid) throw new BrokerStartError(name, 'rabbitmq-server did not start', logTail(files))
  const alive = () => isLiveProcess(scriptPid) || isLiveProcess(beamPid(files), PROCESS_MARKER)
  const ready = await pollUntil(async () => (await isPortOpen(AMQPS_PORT)) && managementAnswers(pki), {
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 500,
    shouldAbort: () => !alive(),
  })
  const pid = beamPid(files)
  if (pid) recordStarted(name, pid)
  if (ready && !pid)
    throw new BrokerStartError(name, 'ready, but its Erlang VM cannot be found to record', logTail(files))
  if (ready) return `started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pid ${pid})`
  const tail = logTail(files)
  if (pid) await stopProcess(pid, PROCESS_MARKER, STOP_GRACE_MS)
  forgetStarted(name)
  throw new BrokerStartError(name, `not ready on ${address} after ${READY_TIMEOUT_MS / 1000} s`, tail)
}

export function up() {
  return withStartLock(name, upLocked)
}

async function upLocked() {
  const material = await ensureMaterial()
  const files = paths()
  const pid = runningNodePid(files)
  const ours = pid !== undefined
  if (ours && material.fresh) await stopProcess(pid, PROCESS_MARKER, STOP_GRACE_MS)
  else if (await isListening(AMQPS_PORT)) {
    // The node is found by its name, which another checkout's node shares: its certificates tell them apart.
    if (!(await servesOurCertificate(MANAGEMENT_PORT, material.paths))) {
      if (!ours) throw foreignBrokerError(name, AMQPS_PORT)
      await pollUntil(() => managementAnswers(material.paths), {timeoutMs: READY_TIMEOUT_MS, intervalMs: 500})
      if (!(await servesOurCertificate(MANAGEMENT_PORT, material.paths))) throw foreignBrokerError(name, AMQPS_PORT)
    }
    return ours ? 'up (started by mailroom)' : 'up (reused)'
  }
  return startNode(files, material.paths)
}

export async function status() {
  const pid = runningNodePid(paths())
  return {
    up: await isPortOpen(AMQPS_PORT),
    startedByMailroom: pid !== undefined,
    detail: pid ? `pid ${pid}` : undefined,
  }
}

export async function down() {
  const pid = runningNodePid(paths())
  if (!pid) {
    forgetStarted(name)
    return 'not started by mailroom, left alone'
  }
  // The Erlang VM shuts RabbitMQ down cleanly on SIGTERM.
  await stopProcess(pid, PROCESS_MARKER, STOP_GRACE_MS)
  forgetStarted(name)
  return `stopped (pid ${pid})`
}
