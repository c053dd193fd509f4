// nats-server with JetStream. The machine usually runs its own on 4222; we start one only when nothing listens.
import {spawn} from 'node:child_process'
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
  stopProcess,
  tailFile,
  startedProcessStatus,
  stopStartedProcess,
} from './harness.mjs'

const PORT = 4222
const PROCESS_MARKER = 'nats-server'
const READY_TIMEOUT_MS = 30_000
const STOP_GRACE_MS = 10_000

export const name = 'nats'
export const address = `127.0.0.1:${PORT}`

function paths() {
  const dir = ensureStateDir()
  return {storeDir: ensureStateDir('nats'), log: join(dir, 'nats.log')}
}

function spawnServer(files) {
  const args = ['-a', '127.0.0.1', '-p', String(PORT), '-js', '-sd', files.storeDir, '-l', files.log]
  const child = spawn('nats-server', args, {detached: true, stdio: 'ignore'})
  child.once('error', (error) => progress(`nats: could not spawn nats-server: ${error.message}`))
  child.unref()
  return child.pid
}

export async function up() {
  const startedPid = readStartedPid(name)
  const ours = isLiveProcess(startedPid, PROCESS_MARKER)
  if (await isListening(PORT)) return ours ? 'up (started by mailroom)' : 'up (reused)'
  const files = paths()
  progress(`nats: starting on ${address}`)
  const pid = spawnServer(files)
  if (!pid) throw new BrokerStartError(name, 'nats-server did not start', tailFile(files.log))
  recordStarted(name, pid)
  const open = await pollUntil(() => isPortOpen(PORT), {
    timeoutMs: READY_TIMEOUT_MS,
    shouldAbort: () => !isLiveProcess(pid, PROCESS_MARKER),
  })
  if (!open) {
    const logTail = tailFile(files.log)
    await stopProcess(pid, PROCESS_MARKER, STOP_GRACE_MS)
    forgetStarted(name)
    throw new BrokerStartError(name, `not listening on ${address}`, logTail)
  }
  return `started (pid ${pid})`
}

export function status() {
  return startedProcessStatus(name, PROCESS_MARKER, () => isPortOpen(PORT))
}

export function down() {
  return stopStartedProcess(name, PROCESS_MARKER, STOP_GRACE_MS)
}
