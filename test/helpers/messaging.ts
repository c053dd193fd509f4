// Helpers for the messaging e2e tests: random binary messages, NDJSON, and the built CLI as a child process that
// can be piped into another one or interrupted with SIGINT.
import {type ChildProcess, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'

import type {Envelope} from '../../src/model/envelope/types.js'
import {BIN, type CliResult, isolatedConfigHome} from './cli.js'
import {waitFor} from './brokers.js'

/** Bytes that are (almost surely) not valid UTF-8, of random length. */
export function randomBinary(min = 1, max = 200): Buffer {
  const bytes = randomBytes(min + Math.floor(Math.random() * (max - min + 1)))
  bytes[0] = 0xff // never valid UTF-8
  return bytes
}

export function base64Body(bytes: Buffer): Envelope['body'] {
  return {base64: bytes.toString('base64')}
}

export function ndjson(envelopes: Envelope[]): string {
  return envelopes.map((e) => JSON.stringify(e)).join('\n') + '\n'
}

export function parseNdjson(text: string): Envelope[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Envelope)
}

/** What a message IS, as opposed to where it was read from (target, meta). */
export function content(
  e: Envelope,
  keep: (keyof Envelope)[] = ['key', 'headers', 'properties', 'body'],
): Partial<Envelope> {
  return Object.fromEntries(keep.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]))
}

function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: isolatedConfigHome()}
  delete env.MAILROOM_DEBUG
  return env
}

export interface RunningCli {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<CliResult>
}

/** Starts the built CLI without waiting for it; stdin stays open unless `input` is given. */
export function startCli(
  args: string[],
  o: {input?: string | Buffer; stdin?: 'pipe' | NodeJS.ReadableStream} = {},
): RunningCli {
  const started = Date.now()
  const child = spawn(process.execPath, [BIN, ...args], {env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  if (o.input !== undefined) child.stdin!.end(o.input)
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) =>
      resolve({code: code ?? (signal ? -1 : 0), stdout, stderr, ms: Date.now() - started}),
    )
  })
  return {child, stdout: () => stdout, stderr: () => stderr, exited}
}

/** `mailroom <a> | mailroom <b>`: the first one's stdout is the second one's stdin, as in a shell pipe. */
export async function pipeCli(a: string[], b: string[]): Promise<{left: CliResult; right: CliResult}> {
  const env = cliEnv()
  const left = spawn(process.execPath, [BIN, ...a], {env, stdio: ['ignore', 'pipe', 'pipe']})
  const right = spawn(process.execPath, [BIN, ...b], {env, stdio: ['pipe', 'pipe', 'pipe']})
  left.stdout!.pipe(right.stdin!)
  const collect = (child: ChildProcess, ownStdout: boolean): Promise<CliResult> =>
    new Promise((resolve) => {
      const started = Date.now()
      let stdout = ''
      let stderr = ''
      if (ownStdout) child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr, ms: Date.now() - started}))
    })
  const [l, r] = await Promise.all([collect(left, false), collect(right, true)])
  return {left: l, right: r}
}

/** Waits until a running tail has printed at least `lines` lines (it is then surely consuming). */
export function waitForLines(cli: RunningCli, lines: number, timeoutMs = 20_000): Promise<true> {
  return waitFor(() => cli.stdout().split('\n').filter(Boolean).length >= lines || undefined, {timeoutMs})
}
