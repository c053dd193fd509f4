// A second schema registry that enforces what a production one does: HTTPS only on 127.0.0.1:8082 (the test CA's
// server certificate, no plain listener) and HTTP basic auth on every /apis/* request (user mailroom-registry, a
// random password in .brokers/secure/secrets/schemaRegistryPassword). The registry itself refuses: it is the same
// Apicurio Registry as scripts/lib/schema-registry.mjs, built with `-Psecure` (Quarkus' embedded-users realm) into
// .brokers/schema-registry-secure/; users and TLS come from its config/application.properties (mode 0600), so the
// password is never on a command line. /health stays open for the readiness check.
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {request} from 'node:https'
import {join} from 'node:path'

import {
  BrokerStartError,
  forgetStarted,
  isLiveProcess,
  isPortOpen,
  pollUntil,
  progress,
  readStartedPid,
  recordStarted,
  stopProcess,
  tailFile,
  withStartLock,
  startedProcessStatus,
  stopStartedProcess,
} from '../lib/harness.mjs'
import {BUILD_TIMEOUT_MS, READY_TIMEOUT_MS, ensureBuilt, registryPaths, spawnRegistry} from '../lib/schema-registry.mjs'
import {ensureMaterial, securePaths} from './pki.mjs'
import {foreignBrokerError, servesOurCertificate} from './trust.mjs'

export const PORT = Number(process.env.MAILROOM_SCHEMA_REGISTRY_SECURE_PORT ?? 8082)
export const USER = 'mailroom-registry'
const PASSWORD_SECRET = 'schemaRegistryPassword'
const STOP_GRACE_MS = 15_000

export const name = 'schema-registry-secure'
export const address = `https://127.0.0.1:${PORT}/apis/ccompat/v7 (basic auth)`

const paths = () => registryPaths(name)

/** Its own secret, made beside the others the first time (the shared material's version is left alone). */
function registryPassword() {
  const file = join(securePaths().secrets, PASSWORD_SECRET)
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(18).toString('hex'), {mode: 0o600})
  }
  return readFileSync(file, 'utf8').trim()
}

function writeConfig(files, pki) {
  const dir = join(files.dir, 'config')
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const properties = [
    `quarkus.http.ssl-port=${PORT}`,
    // Quarkus always binds its plain port: an ephemeral one that refuses every request.
    'quarkus.http.port=0',
    'quarkus.http.insecure-requests=disabled',
    `quarkus.http.ssl.certificate.files=${pki.server.cert}`,
    `quarkus.http.ssl.certificate.key-files=${pki.server.key}`,
    'quarkus.security.users.embedded.plain-text=true',
    `quarkus.security.users.embedded.users.${USER}=${registryPassword()}`,
  ]
  writeFileSync(join(dir, 'application.properties'), `${properties.join('\n')}\n`, {mode: 0o600})
}

/** GET over HTTPS, verified against our CA: the status, or 0 when nothing answered. */
function httpsStatus(pki, path, {method = 'GET', body, auth} = {}) {
  return new Promise((done) => {
    const headers = body ? {'content-type': 'application/vnd.schemaregistry.v1+json'} : {}
    const req = request(
      {host: '127.0.0.1', port: PORT, path, method, headers, ca: readFileSync(pki.ca), auth, timeout: 5000},
      (res) => {
        res.resume()
        done(res.statusCode ?? 0)
      },
    )
    req.once('timeout', () => req.destroy())
    req.once('error', () => done(0))
    req.end(body)
  })
}

const isReady = async (pki) => (await httpsStatus(pki, '/health/ready')) === 200

async function waitUntilReady(pid, files, pki) {
  const ready = await pollUntil(() => isReady(pki), {
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 500,
    shouldAbort: () => !isLiveProcess(pid, files.runnerJar),
  })
  if (ready) return
  const logTail = tailFile(files.log)
  await stopProcess(pid, files.runnerJar, STOP_GRACE_MS)
  forgetStarted(name)
  throw new BrokerStartError(name, `not ready on ${address} after ${READY_TIMEOUT_MS / 1000} s`, logTail)
}

/** Confluent's default compatibility, as the open registry has it; also proves the user and password are taken. */
async function setBackwardCompatibility(pki) {
  const status = await httpsStatus(pki, '/apis/ccompat/v7/config', {
    method: 'PUT',
    body: JSON.stringify({compatibility: 'BACKWARD'}),
    auth: `${USER}:${registryPassword()}`,
  })
  if (status !== 200) throw new BrokerStartError(name, `PUT /config as ${USER} answered HTTP ${status}`, '')
}

async function startRegistry(files, pki) {
  const startedAt = Date.now()
  await ensureBuilt(files, {profile: 'secure', who: name})
  writeConfig(files, pki)
  progress(`${name}: starting on ${address}`)
  const pid = spawnRegistry(files, {port: PORT, who: name})
  if (!pid) throw new BrokerStartError(name, 'java did not start', tailFile(files.log))
  recordStarted(name, pid)
  await waitUntilReady(pid, files, pki)
  await setBackwardCompatibility(pki)
  return `started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pid ${pid})`
}

export function up() {
  return withStartLock(name, upLocked, {timeoutMs: BUILD_TIMEOUT_MS + READY_TIMEOUT_MS})
}

async function upLocked() {
  const material = await ensureMaterial()
  const files = paths()
  const pid = readStartedPid(name)
  const ours = isLiveProcess(pid, files.runnerJar)
  if (ours && material.fresh) await stopProcess(pid, files.runnerJar, STOP_GRACE_MS)
  else if (await isPortOpen(PORT)) {
    if (ours) await waitUntilReady(pid, files, material.paths)
    if (!(await servesOurCertificate(PORT, material.paths))) throw foreignBrokerError(name, PORT)
    return ours ? 'up (started by mailroom)' : 'up (reused)'
  }
  return startRegistry(files, material.paths)
}

export function status() {
  return startedProcessStatus(name, paths().runnerJar, () => isPortOpen(PORT))
}

export function down() {
  return stopStartedProcess(name, paths().runnerJar, STOP_GRACE_MS)
}
