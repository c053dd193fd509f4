import {execFileSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {gatherConformanceJars} from '../conformance/java.js'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Vitest global setup: make sure RabbitMQ, Kafka and NATS are up, and the conformance suite's jars gathered, before any test file runs. */
export default function startBrokers(): void {
  try {
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'brokers.mjs'), 'up'], {cwd: repoRoot, stdio: 'inherit'})
  } catch (error) {
    const status = (error as {status?: number}).status
    throw new Error(`node scripts/brokers.mjs up failed (exit ${status ?? 'unknown'}); see the broker log tail above`)
  }
  gatherConformanceJars()
}
