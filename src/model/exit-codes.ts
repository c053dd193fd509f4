// The one table of exit codes (mirrored in the README). Every error code maps to exactly one exit code.
import type {ErrorCode} from './errors.js'

export const EXIT = {
  OK: 0,
  BUG: 1,
  USAGE: 2,
  CONNECTION: 3,
  NOT_FOUND: 4,
  UNSUPPORTED: 5,
  TIMEOUT: 6,
  THRESHOLD: 7,
  PARTIAL: 8,
  REFUSED: 9,
  INTERRUPTED: 130,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

const exitCodeByError: Record<ErrorCode, ExitCode> = {
  USAGE: EXIT.USAGE,
  CONFIG: EXIT.USAGE,
  CONNECTION: EXIT.CONNECTION,
  AUTH: EXIT.CONNECTION,
  NOT_FOUND: EXIT.NOT_FOUND,
  UNSUPPORTED: EXIT.UNSUPPORTED,
  TIMEOUT: EXIT.TIMEOUT,
  PROTOCOL: EXIT.BUG,
  PARTIAL: EXIT.PARTIAL,
  REFUSED: EXIT.REFUSED,
  INTERRUPTED: EXIT.INTERRUPTED,
  INTERNAL: EXIT.BUG,
}

export function exitCodeFor(code: ErrorCode): ExitCode {
  return exitCodeByError[code]
}
