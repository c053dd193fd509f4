// MAILROOM_DEBUG=1 (or MAILROOM_DEBUG_LOG=<file> alone): the dashboard writes what reaches it from the keyboard to a
// file, since the terminal belongs to Ink: every chunk Ink reads from stdin, every raw-mode switch, and every key the
// app's handler sees, with a timestamp. Compared with what was typed (tmux send-keys), it tells a key that never
// arrived from one that arrived and was handled, so a missing effect can be traced.
import {appendFileSync, mkdirSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

export function debugLogPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MAILROOM_DEBUG_LOG) return env.MAILROOM_DEBUG_LOG
  if (env.MAILROOM_DEBUG !== '1') return undefined
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'mailroom', 'dashboard-debug.log')
}

const path = debugLogPath()
if (path) mkdirSync(dirname(path), {recursive: true})

export function debugLog(event: string, fields: Record<string, unknown> = {}): void {
  if (!path) return
  appendFileSync(path, `${JSON.stringify({t: new Date().toISOString(), event, ...fields})}\n`)
}

/** Logs each chunk read from stdin and each raw-mode switch (debug only: otherwise stdin is left as it is). */
export function traceStdin(stdin: NodeJS.ReadStream): void {
  if (!path) return
  const read = stdin.read.bind(stdin)
  stdin.read = (size?: number) => {
    const chunk: unknown = read(size)
    if (chunk !== null) debugLog('stdin', {chunk: String(chunk)})
    return chunk as string | Buffer
  }
  const setRawMode = stdin.setRawMode.bind(stdin)
  stdin.setRawMode = (mode: boolean) => {
    debugLog('raw-mode', {on: mode})
    return setRawMode(mode)
  }
}
