// A second, throwaway harness Kafka with Kafka's own default group.initial.rebalance.delay.ms (3000 ms, what production
// brokers run) instead of the harness's 0: a new consumer group takes seconds to join there, as it does in production.
// Started by the tests that need it on ports of its own (data under the OS temp dir), stopped after them if they
// started it.
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

const repoRoot = join(import.meta.dirname, '..', '..')
const PORT = 9592

export const PRODUCTION_KAFKA = `127.0.0.1:${PORT}`
/** Kafka's default, which the harness broker sets to 0. */
export const PRODUCTION_REBALANCE_DELAY_MS = 3000

const stateDir = join(tmpdir(), 'mailroom-production-kafka')
const env = {
  ...process.env,
  MAILROOM_BROKERS_DIR: stateDir,
  MAILROOM_KAFKA_PORT: String(PORT),
  MAILROOM_KAFKA_CONTROLLER_PORT: String(PORT + 1),
  MAILROOM_KAFKA_INITIAL_REBALANCE_DELAY_MS: String(PRODUCTION_REBALANCE_DELAY_MS),
}

async function brokers(command: 'up' | 'down'): Promise<string> {
  const {stderr} = await promisify(execFile)(
    process.execPath,
    [join(repoRoot, 'scripts', 'brokers.mjs'), command, 'kafka'],
    {
      env,
      timeout: 240_000,
    },
  )
  return stderr
}

/** Starts the broker unless it runs; resolves to a function that stops it when this call started it. */
export async function productionKafka(): Promise<() => Promise<void>> {
  const said = await brokers('up')
  const started = /kafka started/.test(said)
  return async () => {
    if (started) await brokers('down')
  }
}

/** SIGKILL of the broker (no goodbye to its clients); productionKafka() starts it again on the same data. */
export function killProductionKafka(): void {
  process.kill(Number.parseInt(readFileSync(join(stateDir, 'kafka.pid'), 'utf8'), 10), 'SIGKILL')
}
