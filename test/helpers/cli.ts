// Runs the built CLI (bin/run.js) as a user would, with an isolated config directory.
import {execFile} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/** A fresh XDG_CONFIG_HOME, so tests never read or write the user's contexts. */
export function isolatedConfigHome(): string {
  return mkdtempSync(join(tmpdir(), 'mailroom-cfg-'))
}

export function runCli(
  args: string[],
  o: {
    env?: Record<string, string | undefined>
    input?: string | Buffer
    timeoutMs?: number
    killSignal?: NodeJS.Signals
  } = {},
): Promise<CliResult> {
  const started = Date.now()
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', MAILROOM_DEBUG: undefined, ...o.env}
  if (!o.env?.XDG_CONFIG_HOME) env.XDG_CONFIG_HOME = isolatedConfigHome()
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        env,
        timeout: o.timeoutMs ?? 60_000,
        killSignal: o.killSignal ?? 'SIGTERM',
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : (child.exitCode ?? -1)) : 0
        resolve({code, stdout, stderr, ms: Date.now() - started})
      },
    )
    if (o.input !== undefined) child.stdin?.end(o.input)
    else child.stdin?.end()
  })
}

/** Parses a --json envelope from stdout. */
export function jsonOf<T = any>(
  r: CliResult,
): {status: number; result: T; error?: {code: string; message: string; suggestions?: string[]}; warnings: string[]} {
  try {
    return JSON.parse(r.stdout)
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`)
  }
}
