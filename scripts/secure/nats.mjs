// Secured nats-servers beside the plain one: one process per way in, since a server takes either a token or users,
// and client-certificate verification applies to every client of a port.
//   4333 TLS + users (user/password and an NKEY user)     4334 TLS + token
//   4335 mutual TLS (client certificate required)         4336 TLS + operator mode (.creds: JWT + seed)
//   4337 TLS with an expired server certificate (handshake tests only, no JetStream)
import {spawn} from 'node:child_process'
import {join} from 'node:path'
import {writeFileSync} from 'node:fs'

import {
  BrokerStartError,
  ensureStateDir,
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
import {ensureMaterial, readSecret} from './pki.mjs'
import {foreignBrokerError, servesOurCertificate} from './trust.mjs'

export const PORTS = {users: 4333, token: 4334, mtls: 4335, creds: 4336, expired: 4337}
const PROCESS_MARKER = 'nats-server'
const READY_TIMEOUT_MS = 30_000
const STOP_GRACE_MS = 10_000

export const name = 'nats-secure'
export const address = `127.0.0.1:${PORTS.users}-${PORTS.expired} (TLS: users/nkey, token, mTLS, creds, expired cert)`

const pidName = (kind) => `nats-secure-${kind}`

const quote = (text) => JSON.stringify(text)

/**
 * The TLS handshake timeout: the 2 s this once had was exceeded on a loaded 2-core machine, and the server then reset
 * handshakes the tests expect to succeed.
 */
const TLS_HANDSHAKE_TIMEOUT_S = 10

function tlsBlock(paths, {verify = false, expired = false} = {}) {
  const pair = expired ? paths.expiredServer : paths.server
  return `tls {\n  cert_file: ${quote(pair.cert)}\n  key_file: ${quote(pair.key)}\n  ca_file: ${quote(paths.ca)}\n  verify: ${verify}\n  timeout: ${TLS_HANDSHAKE_TIMEOUT_S}\n}\n`
}

const jetstreamBlock = (dir) => `jetstream {\n  store_dir: ${quote(dir)}\n}\n`

function serverConfig(kind, paths, fixture, storeDir) {
  const head = `listen: 127.0.0.1:${PORTS[kind]}\nserver_name: mailroom_secure_${kind}\n`
  switch (kind) {
    case 'users':
      return (
        head +
        tlsBlock(paths) +
        jetstreamBlock(storeDir) +
        `authorization {\n  users = [\n    {user: mailroom, password: ${quote(readSecret('natsPassword'))}}\n` +
        `    {nkey: ${fixture.nats.nkeyPublicKey}}\n  ]\n}\n`
      )
    case 'token':
      return (
        head +
        tlsBlock(paths) +
        jetstreamBlock(storeDir) +
        `authorization {\n  token: ${quote(readSecret('natsToken'))}\n}\n`
      )
    case 'mtls':
      return head + tlsBlock(paths, {verify: true}) + jetstreamBlock(storeDir)
    case 'creds':
      return (
        head +
        tlsBlock(paths) +
        jetstreamBlock(storeDir) +
        `operator: ${quote(join(paths.secrets, 'nats-operator.jwt'))}\nsystem_account: ${fixture.nats.systemPublicKey}\n` +
        `resolver: MEMORY\nresolver_preload: {\n  ${fixture.nats.accountPublicKey}: ${quote(fixture.nats.accountJwt)}\n` +
        `  ${fixture.nats.systemPublicKey}: ${quote(fixture.nats.systemJwt)}\n}\n`
      )
    case 'expired':
      return head + tlsBlock(paths, {expired: true})
  }
  throw new Error(`unknown secured NATS kind ${kind}`)
}

function spawnServer(configFile, log) {
  const child = spawn('nats-server', ['-c', configFile, '-l', log], {detached: true, stdio: 'ignore'})
  child.once('error', (error) => progress(`nats-secure: could not spawn nats-server: ${error.message}`))
  child.unref()
  return child.pid
}

async function startOne(kind, material) {
  const dir = ensureStateDir('secure', 'nats')
  const configFile = join(dir, `${kind}.conf`)
  const log = join(dir, `${kind}.log`)
  writeFileSync(
    configFile,
    serverConfig(kind, material.paths, material.fixture, ensureStateDir('secure', 'nats', `${kind}-store`)),
    {mode: 0o600},
  )
  const pid = spawnServer(configFile, log)
  if (!pid) throw new BrokerStartError(name, `nats-server (${kind}) did not start`, tailFile(log))
  recordStarted(pidName(kind), pid)
  const open = await pollUntil(() => isPortOpen(PORTS[kind]), {
    timeoutMs: READY_TIMEOUT_MS,
    shouldAbort: () => !isLiveProcess(pid, PROCESS_MARKER),
  })
  if (open) return
  const logTail = tailFile(log)
  await stopProcess(pid, PROCESS_MARKER, STOP_GRACE_MS)
  forgetStarted(pidName(kind))
  throw new BrokerStartError(name, `${kind} server not listening on 127.0.0.1:${PORTS[kind]}`, logTail)
}

/** Starts (or, with stale material, restarts) one server; returns what it did. */
async function upOne(kind, material) {
  const pid = readStartedPid(pidName(kind))
  const ours = isLiveProcess(pid, PROCESS_MARKER)
  if (ours && material.fresh) await stopProcess(pid, PROCESS_MARKER, STOP_GRACE_MS)
  else if (await isListening(PORTS[kind])) {
    if (!ours && !(await servesOurCertificate(PORTS[kind], material.paths, {afterFirstLine: true})))
      throw foreignBrokerError(name, PORTS[kind])
    return ours ? 'up' : 'reused'
  }
  await startOne(kind, material)
  return 'started'
}

export function up() {
  return withStartLock(name, upLocked)
}

async function upLocked() {
  const material = await ensureMaterial()
  const kinds = Object.keys(PORTS)
  const outcomes = await Promise.all(kinds.map((kind) => upOne(kind, material)))
  const started = kinds.filter((_, i) => outcomes[i] === 'started')
  if (started.length > 0) return `started ${started.join(', ')}`
  return outcomes.includes('reused') ? 'up (reused)' : 'up (started by mailroom)'
}

export async function status() {
  const kinds = Object.keys(PORTS)
  const open = await Promise.all(kinds.map((kind) => isPortOpen(PORTS[kind])))
  const ours = kinds.every((kind) => isLiveProcess(readStartedPid(pidName(kind)), PROCESS_MARKER))
  const down = kinds.filter((_, i) => !open[i])
  return {up: down.length === 0, startedByMailroom: ours, detail: down.length ? `down: ${down.join(', ')}` : undefined}
}

export async function down() {
  const stopped = []
  for (const kind of Object.keys(PORTS)) {
    const pid = readStartedPid(pidName(kind))
    if (isLiveProcess(pid, PROCESS_MARKER)) {
      await stopProcess(pid, PROCESS_MARKER, STOP_GRACE_MS)
      stopped.push(kind)
    }
    forgetStarted(pidName(kind))
  }
  return stopped.length ? `stopped ${stopped.join(', ')}` : 'not started by mailroom, left alone'
}
