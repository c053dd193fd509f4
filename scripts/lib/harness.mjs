// Shared plumbing for scripts/brokers.mjs: port probes, deadlines, pid files, log tails.
// Node builtins only: this runs before `npm run build` and must not need anything compiled.
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const stateDir = resolve(process.env.MAILROOM_BROKERS_DIR ?? join(repoRoot, '.brokers'))

export function ensureStateDir(...parts) {
  const dir = join(stateDir, ...parts)
  mkdirSync(dir, {recursive: true})
  return dir
}

export function progress(message) {
  process.stderr.write(`brokers: ${message}\n`)
}

export class BrokerStartError extends Error {
  constructor(broker, reason, logTail = '') {
    super(`${broker}: ${reason}`)
    this.logTail = logTail
  }
}

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms))

/** Resolves true when something accepts a TCP connection on host:port within timeoutMs. */
export function isPortOpen(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((done) => {
    const socket = connect({port, host})
    const finish = (open) => {
      socket.destroy()
      done(open)
    }
    socket.setTimeout(timeoutMs, () => finish(false))
    socket.once('connect', () => finish(true))
    socket.once('error', () => finish(false))
  })
}

/**
 * Whether a broker is running, asked of several probes (a port, an HTTP API, a live pid), each tried in turn on every
 * attempt: one that says so is enough, a probe that throws says no. On a loaded machine one port probe can miss its
 * deadline, and `up` taking a running broker for a stopped one starts a second, then may claim the first as its own:
 * so it is down only after a few attempts with a pause between them.
 */
export async function isRunning(probes, {attempts = 3, pauseMs = 1000} = {}) {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    for (const probe of probes)
      if (
        await Promise.resolve()
          .then(probe)
          .catch(() => false)
      )
        return true
    if (attempt < attempts) await sleep(pauseMs)
  }
  return false
}

/** Something accepts connections on port, by a few probes with a generous deadline each (see isRunning). */
export function isListening(port, o) {
  return isRunning([() => isPortOpen(port, '127.0.0.1', 1500)], o)
}

/**
 * The pid `up` may record as started by mailroom once its start returned: the broker's pid now, unless that process
 * was already running before the start (the start then only found the running broker: it is reused, never ours).
 */
export function pidStartedByUs(pidBefore, pidAfter) {
  if (pidAfter === undefined || pidAfter === pidBefore) return undefined
  return pidAfter
}

/**
 * Polls check() until it returns a truthy value or the deadline passes (then returns undefined).
 * shouldAbort() lets a caller stop early, e.g. when the process it waits for has died.
 */
export async function pollUntil(check, {timeoutMs, intervalMs = 250, shouldAbort = () => false}) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check()
    if (value) return value
    if (await shouldAbort()) return undefined
    await sleep(intervalMs)
  }
  return undefined
}

/** Runs a command to completion, capturing output; never throws on a non-zero exit. */
export function run(command, args, {timeoutMs = 120_000, env} = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env})
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      done({code: -1, output: `${output}${error.message}\n`})
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      done({code: code ?? (signal ? 128 : -1), output})
    })
  })
}

export function tailFile(path, lines = 40) {
  if (!existsSync(path)) return `(no log at ${path})`
  const all = readFileSync(path, 'utf8').trimEnd().split('\n')
  return all.slice(-lines).join('\n')
}

export function tailText(text, lines = 40) {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

// --- pid files: what this harness started, so `down` stops only that -------------------------------------

const pidFilePath = (broker) => join(stateDir, `${broker}.pid`)

export function recordStarted(broker, pid) {
  ensureStateDir()
  writeFileSync(pidFilePath(broker), `${pid}\n`)
}

export function forgetStarted(broker) {
  rmSync(pidFilePath(broker), {force: true})
}

export function readStartedPid(broker) {
  const path = pidFilePath(broker)
  if (!existsSync(path)) return undefined
  const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/**
 * True when pid is a live (non-zombie) process whose command line contains marker. The marker guards against
 * pid reuse; the zombie check matters in containers whose init never reaps orphans we killed.
 */
export function isLiveProcess(pid, marker) {
  if (!pid) return false
  const procDir = `/proc/${pid}`
  if (existsSync('/proc/self')) {
    if (!existsSync(procDir)) return false
    try {
      const state = readFileSync(`${procDir}/stat`, 'utf8').replace(/^.*\)\s+/, '')[0]
      if (state === 'Z' || state === 'X') return false
      return !marker || readFileSync(`${procDir}/cmdline`, 'utf8').includes(marker)
    } catch {
      return false
    }
  }
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The live process whose command line contains marker (a path inside our state dir), found through /proc. */
export function findProcessByMarker(marker) {
  if (!existsSync('/proc/self')) return undefined
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (Number.isInteger(pid) && pid !== process.pid && isLiveProcess(pid, marker)) return pid
  }
  return undefined
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function stopProcess(pid, marker, graceMs) {
  if (!isLiveProcess(pid, marker)) return
  process.kill(pid, 'SIGTERM')
  const exited = await pollUntil(() => !isLiveProcess(pid, marker), {timeoutMs: graceMs, intervalMs: 200})
  if (exited) return
  progress(`pid ${pid} ignored SIGTERM for ${graceMs / 1000} s, sending SIGKILL`)
  process.kill(pid, 'SIGKILL')
  await pollUntil(() => !isLiveProcess(pid, marker), {timeoutMs: 10_000, intervalMs: 100})
}

/** status() of a broker run as one process recorded under `broker`: ours while that process still runs `marker`. */
export async function startedProcessStatus(broker, marker, isUp) {
  const pid = readStartedPid(broker)
  const ours = isLiveProcess(pid, marker)
  return {up: await isUp(), startedByMailroom: ours, detail: ours ? `pid ${pid}` : undefined}
}

/** down() of such a broker: stops the process only when it is the one mailroom started, and forgets it. */
export async function stopStartedProcess(broker, marker, graceMs) {
  const pid = readStartedPid(broker)
  const ours = isLiveProcess(pid, marker)
  if (ours) await stopProcess(pid, marker, graceMs)
  forgetStarted(broker)
  return ours ? `stopped (pid ${pid})` : 'not started by mailroom, left alone'
}

// --- start locks: parallel `up`s (several test runs share .brokers/) must not start one broker twice ---------

function lockHolder(path) {
  try {
    return Number.parseInt(readFileSync(path, 'utf8'), 10) || undefined
  } catch {
    return undefined
  }
}

/**
 * Runs fn while holding .brokers/<lockName>.lock. A caller that finds the lock held by a live process waits for it to
 * be released (then fn typically finds the broker already up); a lock left by a dead process is taken over.
 */
export async function withStartLock(lockName, fn, {timeoutMs = 180_000} = {}) {
  const path = join(ensureStateDir(), `${lockName}.lock`)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, {flag: 'wx'})
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
    }
    const holder = lockHolder(path)
    if (holder !== undefined && !isLiveProcess(holder)) {
      rmSync(path, {force: true})
      continue
    }
    if (Date.now() > deadline)
      throw new Error(`${lockName}: still locked by pid ${holder} after ${timeoutMs / 1000} s (${path})`)
    await sleep(250)
  }
  try {
    return await fn()
  } finally {
    rmSync(path, {force: true})
  }
}
