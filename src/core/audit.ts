// The audit log: one JSON line per destructive operation (replay, purge, import), appended to
// $XDG_STATE_HOME/mailroom/audit.log (default ~/.local/state/mailroom/audit.log) or MAILROOM_AUDIT_LOG.
// Secrets never reach it: every line passes through redaction.
//
// One policy for every destructive path, CLI and dashboard alike (auditedChange): the log must open for append
// before anything changes, or nothing changes (CONFIG, exit 2, naming the path); a line that cannot be written
// after the change is a warning for the caller to end non-zero with, never an exception and never a wait.
import {constants} from 'node:fs'
import {open} from 'node:fs/promises'
import {homedir, userInfo} from 'node:os'
import {dirname, join} from 'node:path'

import {MailroomError} from '../model/errors.js'
import {makeDirectory} from './files.js'
import {redactValue} from '../model/redact.js'

export interface AuditEntry {
  command: string
  target: string
  context?: string
  /** The context written to, when not `context` (a replay `--to-context`). */
  toContext?: string
  /** Counts of what happened (replayed, skipped, failed, purged, imported ...). */
  counts?: Record<string, number>
  replayId?: string
  outcome: 'ok' | 'partial' | 'failed' | 'interrupted' | 'dry-run'
  details?: Record<string, unknown>
}

export function auditLogPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MAILROOM_AUDIT_LOG) return env.MAILROOM_AUDIT_LOG
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state')
  return join(base, 'mailroom', 'audit.log')
}

/** Before anything changes: the log's directory exists (made if missing) and the log opens for append. */
export async function assertAuditWritable(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const path = auditLogPath(env)
  try {
    await makeDirectory(dirname(path))
    await (await openForAppend(path)).close()
  } catch (error) {
    throw new MailroomError(
      'CONFIG',
      `the audit log ${path} is not writable (${describeFsError(error, path)}): nothing was changed`,
      {
        suggestions: [
          'Point MAILROOM_AUDIT_LOG (or XDG_STATE_HOME) at a file you can write, or fix the permissions on the path',
        ],
      },
    )
  }
}

/** After the change: appends the line. Never throws: returns the warning to show when the line was not written. */
export async function appendAudit(
  entry: AuditEntry,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const path = auditLogPath(env)
  const line = {time: new Date().toISOString(), user: currentUser(), host: process.env.HOSTNAME, ...entry}
  try {
    const file = await openForAppend(path)
    try {
      await file.appendFile(`${JSON.stringify(redactValue(line))}\n`)
    } finally {
      await file.close()
    }
    return undefined
  } catch (error) {
    return `${entry.command} ${entry.target} went ahead, but its audit line could not be written to ${path} (${describeFsError(error, path)})`
  }
}

export interface AuditedChange<T> {
  /** The guard rails (read-only context, typed confirmation): run once the log is known writable; throw to refuse. */
  confirm(): Promise<void>
  change(): Promise<T>
  /** The line for what happened: `result` is undefined when the change failed. */
  entry(result: T | undefined): AuditEntry
  /** The change happened but its line was not written: tell the user and end non-zero. */
  onAuditFailure(warning: string): void
  env?: NodeJS.ProcessEnv
}

/** A destructive change under the audit policy: checked, confirmed, made, then recorded (a failed change too). */
export async function auditedChange<T>(o: AuditedChange<T>): Promise<T> {
  await assertAuditWritable(o.env)
  await o.confirm()
  let result: T | undefined
  try {
    result = await o.change()
    return result
  } finally {
    const warning = await appendAudit(o.entry(result), o.env)
    if (warning) o.onAuditFailure(warning)
  }
}

/** Non-blocking: a named pipe with no reader fails at once (ENXIO) instead of holding the process forever. */
function openForAppend(path: string) {
  return open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o600)
}

function describeFsError(error: unknown, logPath: string): string {
  const e = error as NodeJS.ErrnoException
  const where = e.path && e.path !== logPath ? ` at ${e.path}` : ''
  return `${e.code ?? 'error'}${where}`
}

function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? 'unknown'
  }
}
