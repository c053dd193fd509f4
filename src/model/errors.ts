// Errors: the only error type that leaves an adapter. Each adapter maps its driver's errors once (map-error.ts).

export const ERROR_CODES = [
  'USAGE',
  'CONFIG',
  'CONNECTION',
  'AUTH',
  'NOT_FOUND',
  'UNSUPPORTED',
  'TIMEOUT',
  'PROTOCOL',
  'PARTIAL',
  'REFUSED',
  'INTERRUPTED',
  'INTERNAL',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface MailroomErrorInfo {
  code: ErrorCode
  message: string
  suggestions?: string[]
}

export class MailroomError extends Error {
  readonly code: ErrorCode
  readonly suggestions: string[]

  constructor(code: ErrorCode, message: string, o: {suggestions?: string[]; cause?: unknown} = {}) {
    super(message, {cause: o.cause})
    this.name = 'MailroomError'
    this.code = code
    this.suggestions = o.suggestions ?? []
  }

  toInfo(): MailroomErrorInfo {
    return {code: this.code, message: this.message, ...(this.suggestions.length ? {suggestions: this.suggestions} : {})}
  }
}

export function isMailroomError(e: unknown): e is MailroomError {
  return e instanceof MailroomError
}

/** The error as the driver threw it: one an adapter mapped already (inside a retrying read) holds it as its cause. */
export function driverErrorOf(e: unknown): unknown {
  return isMailroomError(e) ? e.cause : e
}

/** Anything thrown, as a MailroomError: adapters' errors pass through, anything else is a bug. */
export function asMailroomError(err: unknown): MailroomError {
  if (isMailroomError(err)) return err
  const message = firstLine(String((err as Error)?.message ?? err))
  return new MailroomError('INTERNAL', `unexpected error: ${message}`, {
    cause: err,
    suggestions: ['Re-run with --debug for details, and please report it'],
  })
}

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? text
  )
}
