// Cold start: `mailroom --version` and `mailroom ping --help` vs `node -e 0`, median of N runs, side by side.
// Target (issue 2): at most 1.6x the wall time of `node -e 0`.
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const RUNS = Number(process.env.RUNS ?? 21)
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const cases = {
  'node -e 0': [process.execPath, ['-e', '0']],
  'mailroom --version': [process.execPath, [bin, '--version']],
  'mailroom ping --help': [process.execPath, [bin, 'ping', '--help']],
  'mailroom help ping': [process.execPath, [bin, 'help', 'ping']],
  'mailroom __complete (one Tab press of the shell completion)': [process.execPath, [bin, '__complete', 'bash', 'dlq', 're']],
  'mailroom (full oclif boot: targets list --help, 60 columns)': [process.execPath, [bin, 'targets', 'list', '--help']],
}

function timeOnce([cmd, args], env) {
  const start = process.hrtime.bigint()
  const r = spawnSync(cmd, args, {stdio: ['ignore', 'pipe', 'pipe'], env})
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return Number(process.hrtime.bigint() - start) / 1e6
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
// Interleave the cases so machine noise hits them alike.
for (let i = 0; i < RUNS; i++) {
  for (const [name, c] of Object.entries(cases)) {
    const env = name.includes('full oclif') ? {...process.env, OCLIF_COLUMNS: '60'} : process.env
    samples[name].push(timeOnce(c, env))
  }
}
const base = median(samples['node -e 0'])
console.log(`startup, median of ${RUNS} runs (target: <= 1.6x node -e 0)`)
for (const [name, xs] of Object.entries(samples)) {
  console.log(`${name.padEnd(60)} ${median(xs).toFixed(1).padStart(7)} ms   ${(median(xs) / base).toFixed(2)}x`)
}
