import {execFileSync, spawn} from 'node:child_process'
import {mkdirSync, openSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {gatherConformanceJars} from '../conformance/java.js'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Vitest global setup: make sure RabbitMQ, Kafka, NATS (plain and secured) and the schema registry are up, and the conformance suite's jars gathered, before any test file runs. */
export default function startBrokers(): void {
  // `npm test` (scripts/test.mjs) has just done both, beside the build; a bare `vitest run` does them here.
  if (process.env.MAILROOM_TEST_BROKERS_UP === '1') return startClustersInBackground()
  try {
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'brokers.mjs'), 'up'], {cwd: repoRoot, stdio: 'inherit'})
  } catch (error) {
    const status = (error as {status?: number}).status
    throw new Error(`node scripts/brokers.mjs up failed (exit ${status ?? 'unknown'}); see the broker log tail above`)
  }
  gatherConformanceJars()
  startClustersInBackground()
}

/**
 * The cluster files run last (vitest.config.ts) and their first step is starting three 3-node clusters, which takes
 * one to two minutes on this machine. When this run includes them (the whole suite, or a filter naming them), the
 * start begins now, in the background, while the other files run; their ensureCluster() then waits on the harness's
 * start lock, or finds the clusters up. A start that fails here is repeated, and reported, by ensureCluster().
 */
function startClustersInBackground(): void {
  const args = process.argv.slice(process.argv.indexOf('run') + 1)
  const filters = args.filter((arg) => !arg.startsWith('-'))
  if (filters.length > 0 && !filters.some((filter) => filter.includes('cluster'))) return
  const stateDir = process.env.MAILROOM_BROKERS_DIR ?? join(repoRoot, '.brokers')
  mkdirSync(stateDir, {recursive: true})
  const log = openSync(join(stateDir, 'cluster-background-start.log'), 'w')
  spawn(process.execPath, [join(repoRoot, 'scripts', 'brokers.mjs'), 'up', 'cluster'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', log, log],
  }).unref()
}
