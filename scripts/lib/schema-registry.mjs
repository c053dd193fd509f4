// A Confluent-compatible schema registry: Apicurio Registry 2.4.2.Final (in-memory storage, Confluent API under
// /apis/ccompat/v7), built once from Maven Central by scripts/schema-registry/pom.xml into .brokers/schema-registry/
// (~130 MB, cached; rebuilt when the wrapper project changes). Every start is empty. Compatibility is set to BACKWARD,
// Confluent's default (Apicurio's is NONE). See /work/shared/reference/schema-registry.md.
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {closeSync, existsSync, openSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {
  BrokerStartError,
  ensureStateDir,
  forgetStarted,
  isLiveProcess,
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
  withStartLock,
  startedProcessStatus,
  stopStartedProcess,
} from './harness.mjs'

const PORT = Number(process.env.MAILROOM_SCHEMA_REGISTRY_PORT ?? 8081)
export const READY_TIMEOUT_MS = 180_000
export const BUILD_TIMEOUT_MS = 900_000
/** How long a registry found listening gets to answer ready before `up` calls the port taken by something else. */
const REUSE_READY_TIMEOUT_MS = 20_000
const STOP_GRACE_MS = 15_000
const projectDir = join(repoRoot, 'scripts', 'schema-registry')
const PROJECT_FILES = ['pom.xml', 'settings.xml', join('src', 'main', 'resources', 'application.properties')]
const RUNNER_JAR = 'local-schema-registry-1.0.0-runner.jar'

export const name = 'schema-registry'
export const address = `127.0.0.1:${PORT}`
/** The Confluent-compatible API, as mailroom's --schema-registry takes it. */
export const url = `http://${address}/apis/ccompat/v7`

/**
 * Where a build and its registry live: the open one under .brokers/schema-registry/, a variant (the secured one's
 * `-Psecure` build) under .brokers/<variant>/, so that building one never rewrites the jars another is running from.
 */
export function registryPaths(variant = 'schema-registry') {
  const dir = ensureStateDir(variant)
  const build = join(dir, 'build')
  return {
    dir,
    build,
    runnerJar: join(build, RUNNER_JAR),
    stamp: join(dir, 'build.stamp'),
    log: join(dir, 'registry.log'),
  }
}

const paths = () => registryPaths()

/** What the build was made from: a changed pom or properties file (or another profile) means a rebuild. */
function projectHash(profile) {
  const hash = createHash('sha256')
  for (const file of PROJECT_FILES) hash.update(readFileSync(join(projectDir, file)))
  if (profile) hash.update(`profile:${profile}`)
  return hash.digest('hex')
}

function isBuilt(files, profile) {
  return (
    existsSync(files.runnerJar) && existsSync(files.stamp) && readFileSync(files.stamp, 'utf8') === projectHash(profile)
  )
}

/**
 * Builds the runner jar once; parallel `up`s wait for the one that builds. All builds share one lock: two Maven runs
 * filling the same local repository at once would race, and the second one finds everything downloaded.
 */
export async function ensureBuilt(files, {profile, who = name} = {}) {
  if (isBuilt(files, profile)) return
  await withStartLock(
    'schema-registry-build',
    async () => {
      if (isBuilt(files, profile)) return
      progress(`${who}: building Apicurio Registry from Maven Central (first run only, ~1-4 min)`)
      const args = ['-B', '-q', '-ntp', '-s', join(projectDir, 'settings.xml'), '-f', join(projectDir, 'pom.xml')]
      if (profile) args.push(`-P${profile}`)
      const result = await run('mvn', [...args, 'package', `-Dregistry.target=${files.build}`], {
        timeoutMs: BUILD_TIMEOUT_MS,
      })
      if (result.code !== 0 || !existsSync(files.runnerJar))
        throw new BrokerStartError(who, `mvn package failed (exit ${result.code})`, tailText(result.output))
      writeFileSync(files.stamp, projectHash(profile))
    },
    {timeoutMs: BUILD_TIMEOUT_MS},
  )
}

/** Starts the registry detached, logging to files.log; Quarkus also reads files.dir/config/application.properties. */
export function spawnRegistry(files, {port = PORT, who = name} = {}) {
  const logFd = openSync(files.log, 'w')
  try {
    const child = spawn('java', ['-Xmx256m', '-Dquarkus.http.host=127.0.0.1', '-jar', files.runnerJar], {
      cwd: files.dir,
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: {...process.env, HTTP_PORT: String(port)},
    })
    child.once('error', (error) => progress(`${who}: could not spawn java: ${error.message}`))
    child.unref()
    return child.pid
  } finally {
    closeSync(logFd)
  }
}

async function isReady() {
  try {
    const answer = await fetch(`http://${address}/health/ready`, {signal: AbortSignal.timeout(2000)})
    return answer.status === 200
  } catch {
    return false
  }
}

/** Confluent's default compatibility, so that tests see what a Confluent registry would answer. */
async function setBackwardCompatibility() {
  const answer = await fetch(`${url}/config`, {
    method: 'PUT',
    headers: {'content-type': 'application/vnd.schemaregistry.v1+json'},
    body: JSON.stringify({compatibility: 'BACKWARD'}),
    signal: AbortSignal.timeout(10_000),
  })
  if (answer.status !== 200) throw new Error(`PUT /config answered ${answer.status}: ${await answer.text()}`)
}

async function waitUntilReady(pid, files) {
  const ready = await pollUntil(isReady, {
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 500,
    shouldAbort: () => !isLiveProcess(pid, files.runnerJar),
  })
  if (ready) return
  const alive = isLiveProcess(pid, files.runnerJar)
  const logTail = tailFile(files.log)
  await stopProcess(pid, files.runnerJar, STOP_GRACE_MS)
  forgetStarted(name)
  throw new BrokerStartError(
    name,
    alive
      ? `not ready on ${address} after ${READY_TIMEOUT_MS / 1000} s`
      : `registry process ${pid} exited during startup`,
    logTail,
  )
}

export async function up() {
  const files = paths()
  const startedPid = readStartedPid(name)
  const ours = isLiveProcess(startedPid, files.runnerJar)
  if (ours && !(await isReady())) {
    progress(`${name}: pid ${startedPid} is still starting, waiting`)
    await waitUntilReady(startedPid, files)
  }
  if (await isListening(PORT)) {
    // One readiness answer can miss its 2 s deadline on a loaded machine (seen at load 30): asked again for a while.
    if (!(await pollUntil(isReady, {timeoutMs: REUSE_READY_TIMEOUT_MS, intervalMs: 1000})))
      throw new BrokerStartError(name, `port ${PORT} is taken by something that is not ready`)
    return ours ? 'up (started by mailroom)' : 'up (reused)'
  }
  // A parallel `up` waits for this one's build and start, which can take minutes the first time.
  return withStartLock(
    name,
    async () => {
      if (await isListening(PORT, {attempts: 1})) return 'up (reused)'
      return startRegistry(files)
    },
    {timeoutMs: BUILD_TIMEOUT_MS + READY_TIMEOUT_MS},
  )
}

async function startRegistry(files) {
  const startedAt = Date.now()
  await ensureBuilt(files)
  progress(`${name}: starting on ${address}`)
  const pid = spawnRegistry(files)
  if (!pid) throw new BrokerStartError(name, 'java did not start', tailFile(files.log))
  recordStarted(name, pid)
  await waitUntilReady(pid, files)
  await setBackwardCompatibility()
  return `started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (pid ${pid})`
}

export function status() {
  return startedProcessStatus(name, paths().runnerJar, isReady)
}

export function down() {
  return stopStartedProcess(name, paths().runnerJar, STOP_GRACE_MS)
}
