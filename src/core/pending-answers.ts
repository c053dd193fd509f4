// Asking a broker with a deadline without asking it again: a refresh (a `lag --watch` snapshot, a dashboard
// refresh) that stops waiting for a broker leaves its request running, and the next refresh waits on that same
// request. A broker that does not answer (a JetStream API retrying through a node's loss) is shown as not answering
// while the others are drawn, and is never sent a pile of requests.
import type {BrokerKind} from '../model/broker.js'
import {settledWithin} from '../model/deadline.js'
import {MailroomError} from '../model/errors.js'

/** A refresh waits at least this long for a broker before it shows it as not answering. */
export const MIN_ANSWER_WAIT_MS = 2000

/** The request was not answered within the wait: it is still running. */
export class NotYetAnswered {
  constructor(readonly since: number) {}

  /** TIMEOUT, naming the broker and how long it has been asked. */
  error(kind: BrokerKind): MailroomError {
    const seconds = Math.round((performance.now() - this.since) / 100) / 10
    return new MailroomError('TIMEOUT', `${kind} has not answered for ${seconds} s; still asking`, {
      suggestions: [`Check the ${kind} nodes: mailroom ping --broker ${kind}`],
    })
  }
}

/** One request per key at a time; an answer is taken once, then the next call asks again. */
export class PendingAnswers<K, T> {
  private readonly asked = new Map<K, {answer: Promise<T>; since: number}>()

  /** The answer (or its error), or NotYetAnswered when it has not come within `ms` (no wait limit without). */
  async within(key: K, ask: () => Promise<T>, ms?: number): Promise<T | NotYetAnswered> {
    let asked = this.asked.get(key)
    if (!asked) {
      asked = {answer: ask(), since: performance.now()}
      asked.answer.catch(() => undefined) // taken by a later call, or dropped with the refresh
      this.asked.set(key, asked)
    }
    const settled = asked.answer.then(
      () => true,
      () => true,
    )
    if (ms !== undefined && !(await settledWithin(settled, ms))) return new NotYetAnswered(asked.since)
    if (this.asked.get(key) === asked) this.asked.delete(key)
    return asked.answer
  }
}
