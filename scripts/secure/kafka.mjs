// A second KRaft Kafka broker (its own JVM, data and ports) with secured listeners, from the same jars as the plain one:
//   9192 SASL_SSL, mechanisms PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (users created when storage is formatted)
//   9194 SSL with a client certificate required (mutual TLS)
//   9196 SASL_SSL presenting an expired server certificate (handshake tests only)
//   9193 controller and 9195 inter-broker: plain text, loopback only, never used by clients
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {
  BrokerStartError,
  ensureStateDir,
  forgetStarted,
  isLiveProcess,
  isPortOpen,
  pollUntil,
  progress,
  readStartedPid,
  recordStarted,
  run,
  stopProcess,
  tailFile,
  tailText,
  withStartLock,
  startedProcessStatus,
  stopStartedProcess,
} from '../lib/harness.mjs'
import {
  ensureJars,
  javaArgs as kafkaJavaArgs,
  log4jProperties,
  logSaysStarted,
  newClusterId,
  spawnKafka,
  storageProperties,
  warmUpWithKafkajs,
} from '../lib/kafka.mjs'
import {ensureMaterial, readSecret} from './pki.mjs'
import {foreignBrokerError, servesOurCertificate} from './trust.mjs'

export const PORTS = {saslSsl: 9192, controller: 9193, mtls: 9194, internal: 9195, expired: 9196}
export const SCRAM_USER = 'mailroom-scram'
export const PLAIN_USER = 'mailroom-plain'
// The data dir path is the marker: the plain broker's command line names only its own properties file.
const PROCESS_MARKER = 'secure/kafka/server.properties'
const READY_TIMEOUT_MS = 120_000
const STOP_GRACE_MS = 30_000

export const name = 'kafka-secure'
export const address = `SASL_SSL 127.0.0.1:${PORTS.saslSsl}, mTLS 127.0.0.1:${PORTS.mtls}, expired cert 127.0.0.1:${PORTS.expired}`

function paths() {
  const dir = ensureStateDir('secure', 'kafka')
  return {
    dir,
    dataDir: join(dir, 'data'),
    serverProperties: join(dir, 'server.properties'),
    keystore: join(dir, 'server-keystore.pem'),
    expiredKeystore: join(dir, 'expired-keystore.pem'),
    log4j: join(dir, 'log4j2.properties'),
    toolsLog4j: join(dir, 'tools-log4j2.properties'),
    log: join(dir, 'kafka.log'),
  }
}

function serverProperties(files, pki) {
  const p = PORTS
  const jaas = (module, extra = '') => `org.apache.kafka.common.security.${module} required${extra};`
  const plainUsers = ` user_${PLAIN_USER}="${readSecret('kafkaPlainPassword')}"`
  const saslListener = (listener) =>
    `listener.name.${listener}.plain.sasl.jaas.config=${jaas('plain.PlainLoginModule', plainUsers)}\n` +
    `listener.name.${listener}.scram-sha-256.sasl.jaas.config=${jaas('scram.ScramLoginModule')}\n` +
    `listener.name.${listener}.scram-sha-512.sasl.jaas.config=${jaas('scram.ScramLoginModule')}\n`
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${p.controller}
listeners=SASL_SSL://127.0.0.1:${p.saslSsl},CONTROLLER://127.0.0.1:${p.controller},MTLS://127.0.0.1:${p.mtls},INTERNAL://127.0.0.1:${p.internal},EXPIRED://127.0.0.1:${p.expired}
advertised.listeners=SASL_SSL://127.0.0.1:${p.saslSsl},MTLS://127.0.0.1:${p.mtls},INTERNAL://127.0.0.1:${p.internal},EXPIRED://127.0.0.1:${p.expired}
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL,EXPIRED:SASL_SSL
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
${saslListener('sasl_ssl')}${saslListener('expired')}ssl.keystore.type=PEM
ssl.keystore.location=${files.keystore}
ssl.truststore.type=PEM
ssl.truststore.location=${pki.ca}
listener.name.mtls.ssl.client.auth=required
listener.name.expired.ssl.keystore.type=PEM
listener.name.expired.ssl.keystore.location=${files.expiredKeystore}
${storageProperties({dataDir: files.dataDir})}`
}

function writeConfig(files, pki) {
  // A PEM keystore file holds the (unencrypted PKCS#8) key followed by the certificate.
  const keystore = (pair) => `${readFileSync(pair.key, 'utf8')}${readFileSync(pair.cert, 'utf8')}`
  writeFileSync(files.keystore, keystore(pki.server), {mode: 0o600})
  writeFileSync(files.expiredKeystore, keystore(pki.expiredServer), {mode: 0o600})
  writeFileSync(files.serverProperties, serverProperties(files, pki), {mode: 0o600})
  writeFileSync(files.log4j, log4jProperties({rootLevel: 'INFO', target: 'SYSTEM_OUT'}))
  writeFileSync(files.toolsLog4j, log4jProperties({rootLevel: 'WARN', target: 'SYSTEM_ERR'}))
}

const javaArgs = (log4jFile) => kafkaJavaArgs(log4jFile, {minHeap: '128m', maxHeap: '512m'})

/** Formats storage once, creating the SCRAM users in the same step (KRaft stores them in the metadata log). */
async function formatStorage(files) {
  if (existsSync(join(files.dataDir, 'meta.properties'))) return
  progress('kafka-secure: formatting storage with SCRAM users')
  const scram = readSecret('kafkaScramPassword')
  const users = ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => [
    '--add-scram',
    `${mechanism}=[name=${SCRAM_USER},password=${scram}]`,
  ])
  const args = [
    ...javaArgs(files.toolsLog4j),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    newClusterId(),
    '-c',
    files.serverProperties,
    '--ignore-formatted',
    ...users,
  ]
  const result = await run('java', args, {timeoutMs: 120_000})
  if (result.code !== 0)
    throw new BrokerStartError(
      name,
      `storage format failed (exit ${result.code})`,
      tailText(result.output.split(scram).join('***')),
    )
}

function spawnBroker(files) {
  return spawnKafka(name, {
    dir: files.dir,
    log: files.log,
    javaArgs: javaArgs(files.log4j),
    serverProperties: files.serverProperties,
  })
}

async function waitUntilServing(pid, files) {
  const ready = await pollUntil(async () => logSaysStarted(files.log) && (await isPortOpen(PORTS.saslSsl)), {
    timeoutMs: READY_TIMEOUT_MS,
    shouldAbort: () => !isLiveProcess(pid, PROCESS_MARKER),
  })
  if (ready) return
  const alive = isLiveProcess(pid, PROCESS_MARKER)
  const logTail = tailFile(files.log)
  await stopProcess(pid, PROCESS_MARKER, STOP_GRACE_MS)
  forgetStarted(name)
  throw new BrokerStartError(
    name,
    alive ? `not ready after ${READY_TIMEOUT_MS / 1000} s` : `broker process ${pid} exited during startup`,
    logTail,
  )
}

async function startBroker(files, pki) {
  const startedAt = Date.now()
  await ensureJars()
  writeConfig(files, pki)
  await formatStorage(files)
  progress(`kafka-secure: starting on ${address}`)
  const pid = spawnBroker(files)
  if (!pid) throw new BrokerStartError(name, 'java did not start', tailFile(files.log))
  recordStarted(name, pid)
  await waitUntilServing(pid, files)
  await warmUp(files, pki)
  return `started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pid ${pid})`
}

/** Logs in over SASL_SSL with SCRAM (proving the users exist) and waits for the group coordinator. */
function warmUp(files, pki) {
  const client = {
    brokers: [`127.0.0.1:${PORTS.saslSsl}`],
    ssl: {ca: readFileSync(pki.ca, 'utf8')},
    sasl: {mechanism: 'scram-sha-256', username: SCRAM_USER, password: readSecret('kafkaScramPassword')},
  }
  return warmUpWithKafkajs(client, {broker: name, what: 'the SASL_SSL listener', logFile: files.log})
}

export function up() {
  return withStartLock(name, upLocked)
}

async function upLocked() {
  const material = await ensureMaterial()
  const files = paths()
  const pid = readStartedPid(name)
  const ours = isLiveProcess(pid, PROCESS_MARKER)
  // New passwords and certificates make the SCRAM users in the metadata log and the running keystores stale.
  if (ours && material.fresh) await stopProcess(pid, PROCESS_MARKER, STOP_GRACE_MS)
  else if (ours) {
    if (!(await isPortOpen(PORTS.saslSsl))) await waitUntilServing(pid, files)
    return 'up (started by mailroom)'
  } else if (await isPortOpen(PORTS.saslSsl)) {
    if (!(await servesOurCertificate(PORTS.saslSsl, material.paths))) throw foreignBrokerError(name, PORTS.saslSsl)
    return 'up (reused)'
  }
  if (material.fresh) rmSync(files.dataDir, {recursive: true, force: true})
  return startBroker(files, material.paths)
}

export function status() {
  return startedProcessStatus(name, PROCESS_MARKER, () => isPortOpen(PORTS.saslSsl))
}

export function down() {
  return stopStartedProcess(name, PROCESS_MARKER, STOP_GRACE_MS)
}
