// How a demo run ends: refused in a read-only context; the exit code of the first broker that failed.
import {MailroomError} from '../../model/errors.js'
import type {ResolvedContext} from '../config/resolve.js'
import {EXIT, type ExitCode, exitCodeFor} from '../../model/exit-codes.js'

export interface DemoOutcome {
  ok: boolean
  error?: {code: Parameters<typeof exitCodeFor>[0]}
}

export function refuseReadOnly(context: ResolvedContext, action: string): void {
  if (!context.readOnly) return
  throw new MailroomError('REFUSED', `context "${context.name ?? ''}" is read-only: refusing to ${action}`, {
    suggestions: ['Run the demo against the local brokers: mailroom demo up --context <a writable context>'],
  })
}

export function demoExitStatus(results: DemoOutcome[]): ExitCode {
  const failed = results.find((r) => !r.ok)
  return failed?.error ? exitCodeFor(failed.error.code) : EXIT.OK
}
