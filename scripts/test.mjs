#!/usr/bin/env node
// `npm test`: build, lint, start any broker that is not running, gather the conformance jars, then `vitest run`
// (arguments after `npm test --` go to vitest). The broker start (on a clean clone: Maven builds of the Kafka jars and
// of the two schema registries, then their start, about 2.5 min) and the conformance jars (Maven, first run only) need
// nothing built, so they run beside the build and lint instead of after them. Every step must succeed; the first
// failure is reported once all started steps have ended (a broker start is never cut off half way: it would leave a
// Maven build or a starting broker behind), and the exit code is non-zero.
// Node builtins only, so it runs before `npm run build`.
import {spawn} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** Runs a command with the terminal's stdio; resolves to {label, code, seconds}, never rejects. */
function step(label, command, args) {
  const startedAt = Date.now()
  return new Promise((resolve) => {
    const child = spawn(command, args, {cwd: repoRoot, stdio: 'inherit'})
    const finish = (code) => {
      const seconds = ((Date.now() - startedAt) / 1000).toFixed(1)
      process.stderr.write(`test: ${label} ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${seconds} s\n`)
      resolve({label, code})
    }
    child.once('error', (error) => {
      process.stderr.write(`test: ${label} could not start: ${error.message}\n`)
      finish(-1)
    })
    child.once('exit', (code, signal) => finish(code ?? (signal ? 128 : -1)))
  })
}

async function sequence(...steps) {
  for (const next of steps) {
    const outcome = await next()
    if (outcome.code !== 0) return outcome
  }
  return {code: 0}
}

async function main(vitestArgs) {
  const outcomes = await Promise.all([
    sequence(
      () => step('build', npm, ['run', 'build']),
      () => step('lint', npm, ['run', 'lint']),
    ),
    step('brokers up', process.execPath, [join(repoRoot, 'scripts', 'brokers.mjs'), 'up']),
    step('conformance jars', process.execPath, [join(repoRoot, 'scripts', 'conformance-jars.mjs')]),
  ])
  const failed = outcomes.find((outcome) => outcome.code !== 0)
  if (failed) return failed.code
  const vitest = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs')
  // The suite's global setup skips its own `brokers.mjs up` and jar gathering: both just succeeded.
  process.env.MAILROOM_TEST_BROKERS_UP = '1'
  return (await step('vitest', process.execPath, [vitest, 'run', ...vitestArgs])).code
}

main(process.argv.slice(2)).then((code) => process.exit(code))
