// A single-node KRaft Kafka broker run straight from the Maven Central jars gathered by scripts/kafka/pom.xml.
// See /work/shared/reference/kafka-from-maven.md for why each setting is here.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
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
  repoRoot,
  run,
  stopProcess,
  tailFile,
  tailText,
  startedProcessStatus,
  stopStartedProcess,
} from './harness.mjs'

// Overridable so a second, throwaway broker can run beside the usual one (with MAILROOM_BROKERS_DIR set too).
const PORT = Number(process.env.MAILROOM_KAFKA_PORT ?? 9092)
const CONTROLLER_PORT = Number(process.env.MAILROOM_KAFKA_CONTROLLER_PORT ?? 9093)
/**
 * 0 here so tests' consumer groups join at once; Kafka's own default (3000) is what production brokers run with, and
 * a throwaway broker started with it shows how mailroom behaves there (test/helpers/production-kafka.ts).
 */
const INITIAL_REBALANCE_DELAY_MS = Number(process.env.MAILROOM_KAFKA_INITIAL_REBALANCE_DELAY_MS ?? 0)
const PROCESS_MARKER = 'kafka.Kafka'
const READY_TIMEOUT_MS = 120_000
const STOP_GRACE_MS = 30_000
const pomPath = join(repoRoot, 'scripts', 'kafka', 'pom.xml')
const enableFeaturesSource = join(repoRoot, 'scripts', 'kafka', 'EnableFeatures.java')
const libsDir = join(repoRoot, 'scripts', 'kafka', 'target', 'libs')

export const name = 'kafka'
export const address = `127.0.0.1:${PORT}`

function paths() {
  const dir = ensureStateDir('kafka')
  return {
    dir,
    dataDir: join(dir, 'data'),
    serverProperties: join(dir, 'server.properties'),
    brokerLog4j: join(dir, 'log4j2.properties'),
    toolsLog4j: join(dir, 'tools-log4j2.properties'),
    log: join(dir, 'kafka.log'),
    featuresMarker: join(dir, 'group-features'),
  }
}

function serverProperties(dataDir) {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${CONTROLLER_PORT}
listeners=PLAINTEXT://127.0.0.1:${PORT},CONTROLLER://127.0.0.1:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${PORT}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
${storageProperties({dataDir, rebalanceDelayMs: INITIAL_REBALANCE_DELAY_MS})}unstable.api.versions.enable=true
unstable.feature.versions.enable=true
`
}

/**
 * Where a broker keeps its data, how its topics (internal ones too) are replicated, and how long a new consumer group
 * waits for more members: one source for the single, secured and cluster brokers.
 */
export function storageProperties({dataDir, replicas = 1, minIsr = 1, internalPartitions = 1, rebalanceDelayMs = 0}) {
  return `log.dirs=${dataDir}
num.partitions=1
default.replication.factor=${replicas}
min.insync.replicas=${minIsr}
offsets.topic.replication.factor=${replicas}
offsets.topic.num.partitions=${internalPartitions}
transaction.state.log.replication.factor=${replicas}
transaction.state.log.min.isr=${minIsr}
transaction.state.log.num.partitions=${internalPartitions}
share.coordinator.state.topic.replication.factor=${replicas}
share.coordinator.state.topic.min.isr=${minIsr}
group.initial.rebalance.delay.ms=${rebalanceDelayMs}
auto.create.topics.enable=true
`
}

/**
 * Group types beyond classic and consumer, finalized when the storage is formatted and raised online on a running
 * broker formatted without them: share groups (KIP-932, preview in 4.1; production level 1) and streams groups
 * (KIP-1071, early access in 4.1: level 1 is an unstable feature version, and its StreamsGroup* APIs are unstable
 * APIs, hence the two unstable.* settings above, which only a broker (re)start reads).
 */
const GROUP_FEATURES = ['share.version=1', 'streams.version=1']

export function log4jProperties({rootLevel, target}) {
  return `status = warn
appender.console.type = Console
appender.console.name = CONSOLE
appender.console.target = ${target}
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${rootLevel}
rootLogger.appenderRef.console.ref = CONSOLE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.requestChannel.name = kafka.network.RequestChannel$
logger.requestChannel.level = WARN
logger.stateChange.name = state.change.logger
logger.stateChange.level = WARN
`
}

function writeConfig(files) {
  writeFileSync(files.serverProperties, serverProperties(files.dataDir))
  writeFileSync(files.brokerLog4j, log4jProperties({rootLevel: 'INFO', target: 'SYSTEM_OUT'}))
  writeFileSync(files.toolsLog4j, log4jProperties({rootLevel: 'WARN', target: 'SYSTEM_ERR'}))
}

/** JVM arguments for the broker and its tools; the secured broker passes a smaller heap. */
export const javaArgs = (log4jFile, {minHeap = '256m', maxHeap = '1g'} = {}) => [
  `-Xms${minHeap}`,
  `-Xmx${maxHeap}`,
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
  `-Dlog4j2.configurationFile=${log4jFile}`,
  '-cp',
  `${libsDir}/*`,
]

let jarsPending
/** One maven run per process, shared with the secured broker (scripts/secure/kafka.mjs) that uses the same jars. */
export function ensureJars() {
  jarsPending ??= gatherJars()
  return jarsPending
}

async function gatherJars() {
  if (existsSync(libsDir) && readdirSync(libsDir).some((file) => file.endsWith('.jar'))) return
  progress('kafka: gathering broker jars with maven (first run only)')
  const result = await run('mvn', ['-B', '-q', '-ntp', '-f', pomPath, 'package'], {timeoutMs: 600_000})
  if (result.code !== 0)
    throw new BrokerStartError(name, `mvn package failed (exit ${result.code})`, tailText(result.output))
}

/** Kafka cluster ids are 16 random bytes in base64url; Kafka rejects ids that contain '-'. */
export function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.includes('-')) return id
  }
}

/** The Kafka release of the gathered broker jar (kafka_2.13-4.1.1.jar: "4.1"), its latest production metadata version. */
function brokerRelease() {
  const jar = readdirSync(libsDir).find((file) => /^kafka_[\d.]+-\d+\.\d+\.\d+\.jar$/.test(file))
  if (!jar) throw new BrokerStartError(name, `no kafka_<scala>-<version>.jar in ${libsDir}`)
  return /-(\d+\.\d+)\.\d+\.jar$/.exec(jar)[1]
}

/** Formats the storage unless it is; true when it did (with GROUP_FEATURES finalized). */
async function formatStorageOnce(files) {
  if (existsSync(join(files.dataDir, 'meta.properties'))) return false
  progress('kafka: formatting storage')
  const args = [
    ...javaArgs(files.toolsLog4j),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    newClusterId(),
    '-c',
    files.serverProperties,
    // unstable.feature.versions.enable would otherwise make the newest, unstable metadata version the default.
    '--release-version',
    brokerRelease(),
    ...GROUP_FEATURES.flatMap((feature) => ['--feature', feature]),
    '--ignore-formatted',
  ]
  const result = await run('java', args, {timeoutMs: 120_000})
  if (result.code !== 0)
    throw new BrokerStartError(name, `storage format failed (exit ${result.code})`, tailText(result.output))
  return true
}

function spawnBroker(files) {
  return spawnKafka(name, {
    dir: files.dir,
    log: files.log,
    javaArgs: javaArgs(files.brokerLog4j),
    serverProperties: files.serverProperties,
  })
}

/** Starts a Kafka broker JVM in the background (output to `log`, detached); returns its pid. Also the secured one's. */
export function spawnKafka(broker, {dir, log, javaArgs: args, serverProperties}) {
  const logFd = openSync(log, 'w')
  try {
    const child = spawn('java', [...args, 'kafka.Kafka', serverProperties], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    })
    child.once('error', (error) => progress(`${broker}: could not spawn java: ${error.message}`))
    child.unref()
    return child.pid
  } finally {
    closeSync(logFd)
  }
}

// A port alone can be another Kafka on this machine, so readiness also needs our own process's log line.
export const logSaysStarted = (logFile) =>
  existsSync(logFile) && readFileSync(logFile, 'utf8').includes('Kafka Server started')

/** Waits for our broker; resolves 'ours', or 'other' when ours lost a start race to another Kafka on 9092. */
async function waitUntilServing(pid, files) {
  const ready = await pollUntil(async () => logSaysStarted(files.log) && (await isPortOpen(PORT)), {
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 250,
    shouldAbort: () => !isLiveProcess(pid, PROCESS_MARKER),
  })
  if (ready) return 'ours'
  const alive = isLiveProcess(pid, PROCESS_MARKER)
  const logTail = tailFile(files.log)
  await stopProcess(pid, PROCESS_MARKER, STOP_GRACE_MS)
  forgetStarted(name)
  if (!alive && (await isPortOpen(PORT))) return 'other'
  const reason = alive
    ? `not ready on ${address} after ${READY_TIMEOUT_MS / 1000} s`
    : `broker process ${pid} exited during startup`
  throw new BrokerStartError(name, reason, logTail)
}

/** Another Kafka whose controller port is already open is starting up: wait for it instead of racing it. */
async function waitForForeignBroker() {
  progress(`kafka: port ${CONTROLLER_PORT} already in use (another Kafka starting?), waiting for ${address}`)
  const open = await pollUntil(() => isPortOpen(PORT), {timeoutMs: READY_TIMEOUT_MS, intervalMs: 250})
  if (!open) throw new BrokerStartError(name, `port ${CONTROLLER_PORT} is taken but nothing answers on ${address}`)
}

/** A metadata round trip through the client the project uses; skipped when node_modules is not installed yet. */
/**
 * Proves a broker usable with a real client: describeCluster, then waits until the group coordinator has loaded
 * (a fresh broker answers GROUP_LOAD_IN_PROGRESS to the first group requests for a while). `client` holds the
 * kafkajs connection settings (brokers, ssl, sasl). Skipped when node_modules is not installed yet.
 */
export async function warmUpWithKafkajs(client, {broker = name, what, logFile}) {
  let kafkajs
  try {
    kafkajs = (await import('kafkajs')).default
  } catch {
    return
  }
  const kafka = new kafkajs.Kafka({
    clientId: 'mailroom-brokers-harness',
    logLevel: kafkajs.logLevel.NOTHING,
    retry: {retries: 5, initialRetryTime: 200},
    ...client,
  })
  const admin = kafka.admin()
  const groupReady = async () => {
    const {groups} = await admin.describeGroups(['mailroom-harness-warmup']).catch(() => ({groups: []}))
    return groups[0]?.errorCode === 0
  }
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    if (cluster.brokers.length === 0) throw new Error('describeCluster returned no brokers')
    if (!(await pollUntil(groupReady, {timeoutMs: READY_TIMEOUT_MS, intervalMs: 500})))
      throw new Error('the group coordinator never finished loading')
  } catch (error) {
    throw new BrokerStartError(
      broker,
      `${what} is open but kafkajs could not use it: ${error.message}`,
      tailFile(logFile),
    )
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

function clusterIdOf(dataDir) {
  const meta = join(dataDir, 'meta.properties')
  return existsSync(meta) ? /^cluster\.id=(.*)$/m.exec(readFileSync(meta, 'utf8'))?.[1] : undefined
}

/**
 * Raises GROUP_FEATURES on the running broker where it lacks them (one formatted before they were added), online:
 * one JVM run, then a marker (cluster id, broker pid, features) skips it until the broker or the wanted features
 * change. A level the running broker cannot take (streams before a restart with the unstable settings) is reported.
 */
async function ensureGroupFeatures(files, pid, {formattedWithThem = false} = {}) {
  const wanted = `${clusterIdOf(files.dataDir) ?? 'unknown'} ${pid ?? 'reused'} ${GROUP_FEATURES.join(' ')}`
  if (formattedWithThem) return writeFileSync(files.featuresMarker, wanted)
  if (existsSync(files.featuresMarker) && readFileSync(files.featuresMarker, 'utf8') === wanted) return
  await ensureJars()
  const args = [
    ...javaArgs(files.toolsLog4j, {minHeap: '32m', maxHeap: '256m'}),
    enableFeaturesSource,
    address,
    ...GROUP_FEATURES,
  ]
  const result = await run('java', args, {timeoutMs: 120_000})
  if (result.code !== 0)
    throw new BrokerStartError(
      name,
      `raising features ${GROUP_FEATURES.join(', ')} failed (exit ${result.code})`,
      tailText(result.output),
    )
  for (const line of result.output.split('\n').filter((l) => / upgraded$/.test(l))) progress(`kafka: ${line}`)
  for (const line of result.output.split('\n').filter((l) => / unsupported by the broker$/.test(l))) {
    progress(
      `kafka: ${line} (a broker started before the unstable.* settings: restart it for streams groups, node scripts/brokers.mjs down kafka && node scripts/brokers.mjs up kafka)`,
    )
  }
  writeFileSync(files.featuresMarker, wanted)
}

export async function up() {
  const startedPid = readStartedPid(name)
  const ours = isLiveProcess(startedPid, PROCESS_MARKER)
  const files = paths()
  if (await isListening(PORT)) {
    await ensureGroupFeatures(files, ours ? startedPid : undefined)
    return ours ? 'up (started by mailroom)' : 'up (reused)'
  }
  if (ours) {
    progress(`kafka: pid ${startedPid} is still starting, waiting`)
    return (await waitUntilServing(startedPid, files)) === 'ours' ? 'up (started by mailroom)' : 'up (reused)'
  }
  if (await isListening(CONTROLLER_PORT, {attempts: 1})) {
    await waitForForeignBroker()
    return 'up (reused)'
  }
  return startBroker(files)
}

async function startBroker(files) {
  const startedAt = Date.now()
  await ensureJars()
  writeConfig(files)
  const formatted = await formatStorageOnce(files)
  progress(`kafka: starting on ${address}`)
  const pid = spawnBroker(files)
  if (!pid) throw new BrokerStartError(name, 'java did not start', tailFile(files.log))
  recordStarted(name, pid)
  if ((await waitUntilServing(pid, files)) === 'other') return 'up (reused: another Kafka took the ports first)'
  await warmUpWithKafkajs({brokers: [address]}, {what: `port ${PORT}`, logFile: files.log})
  await ensureGroupFeatures(files, pid, {formattedWithThem: formatted})
  return `started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pid ${pid})`
}

export function status() {
  return startedProcessStatus(name, PROCESS_MARKER, () => isPortOpen(PORT))
}

export function down() {
  return stopStartedProcess(name, PROCESS_MARKER, STOP_GRACE_MS)
}
