// The audit log: one JSON line per destructive operation (replay, purge, import), appended to
// $XDG_STATE_HOME/mailroom/audit.log (default ~/.local/state/mailroom/audit.log) or MAILROOM_AUDIT_LOG.
// Secrets never reach it: every line passes through redaction.
import {appendFile, mkdir} from 'node:fs/promises'
import {homedir, userInfo} from 'node:os'
import {dirname, join} from 'node:path'

import {redactValue} from './redact.js'

export interface AuditEntry {
  command: string
  target: string
  context?: string
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

export async function appendAudit(entry: AuditEntry, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const path = auditLogPath(env)
  await mkdir(dirname(path), {recursive: true, mode: 0o700})
  const line = {time: new Date().toISOString(), user: currentUser(), host: process.env.HOSTNAME, ...entry}
  await appendFile(path, `${JSON.stringify(redactValue(line))}\n`, {mode: 0o600})
}

function currentUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? 'unknown'
  }
}
