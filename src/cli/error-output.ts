// How an error reaches the user: one line and its suggestions on stderr, or the JSON error envelope on stdout.
import type {MailroomError} from '../model/errors.js'
import {exitCodeFor} from '../model/exit-codes.js'
import {redact, redactValue} from '../model/redact.js'

export function errorEnvelope(error: MailroomError, warnings: string[]): unknown {
  return {status: exitCodeFor(error.code), error: redactValue(error.toInfo()), warnings}
}

/** Writes an error for a human (stderr), or as the JSON envelope (stdout) when `json` is set. */
export function writeError(error: MailroomError, o: {json: boolean}): void {
  if (o.json) {
    process.stdout.write(`${JSON.stringify(errorEnvelope(error, []), null, 2)}\n`)
    return
  }
  process.stderr.write(`Error: ${redact(error.message)}\n`)
  for (const suggestion of error.suggestions) process.stderr.write(`  Try: ${redact(suggestion)}\n`)
}
