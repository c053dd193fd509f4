import {MailroomError, isMailroomError} from '../adapters/types.js'

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
  return text.split('\n').find((l) => l.trim())?.trim() ?? text
}
