// Waiting for one thing with a deadline and Ctrl-C, so a wait ends as TIMEOUT or INTERRUPTED instead of hanging.
import {MailroomError} from './errors.js'

export interface DeadlineOptions {
  /** Absolute time (performance.now() clock) by which `work` must settle. */
  deadline: number
  signal?: AbortSignal
  /** The error for a missed deadline (it names what was awaited). */
  onTimeout: () => MailroomError
}

export async function beforeDeadline<T>(work: Promise<T>, o: DeadlineOptions): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const stop = new Promise<never>((_, reject) => {
    onAbort = () => reject(new MailroomError('INTERRUPTED', 'interrupted while waiting'))
    if (o.signal?.aborted) return onAbort()
    o.signal?.addEventListener('abort', onAbort, {once: true})
    timer = setTimeout(() => reject(o.onTimeout()), Math.max(0, o.deadline - performance.now()))
  })
  try {
    return await Promise.race([work, stop])
  } finally {
    clearTimeout(timer)
    if (onAbort) o.signal?.removeEventListener('abort', onAbort)
  }
}

/** `p`'s value, or undefined when it has not settled within `ms` (a timer that does not keep the process alive). */
export function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms).unref()))
  return Promise.race([p, late]).finally(() => clearTimeout(timer))
}
