// Riding out a JetStream cluster's moment of not answering. When a node dies, every stream and consumer it led
// elects a new leader (seconds), the client reconnects to another server, and the meta leader may move: meanwhile a
// JetStream API request ($JS.API.*: stream info, consumer create / info, message delete, purge...) times out, finds no
// responder, or is answered "JetStream system temporarily unavailable". Such a request is asked again with a
// growing pause, within RETRY_BUDGET_MS, instead of failing the command at the first five-second timeout. Every
// other answer (not found, permissions, bad request) comes back at once, as before.
import {ErrorCode, type Msg, type NatsConnection, NatsError, type Payload, type RequestOptions} from 'nats'

/** How long one JetStream request keeps being asked again: a few elections' worth on a loaded machine. */
export const RETRY_BUDGET_MS = 30_000
const FIRST_PAUSE_MS = 250
const LONGEST_PAUSE_MS = 2000

// nats-server errors.json: the cluster cannot serve the request right now (no quorum, leader moving).
const JS_CLUSTER_NOT_AVAILABLE = 10008
const JS_CLUSTER_NOT_LEADER = 10009
const TRANSIENT_API_ERRORS = new Set([JS_CLUSTER_NOT_AVAILABLE, JS_CLUSTER_NOT_LEADER])

const JS_API_SUBJECT = /^\$JS\.(?:[^.]+\.)?API\./

type Request = (subject: string, data?: Payload, opts?: RequestOptions) => Promise<Msg>

/** From now on, the connection's JetStream API requests (and only those) ride out a leader election. */
export function retryJetStreamRequests(nc: NatsConnection, budgetMs = RETRY_BUDGET_MS): void {
  const request: Request = nc.request.bind(nc)
  nc.request = (subject, data, opts) =>
    JS_API_SUBJECT.test(subject)
      ? untilSettled(nc, () => request(subject, data, opts), {answerIsTransient: isTransientAnswer, budgetMs})
      : request(subject, data, opts)
}

export interface RetryOptions<T> {
  /** An answer that means "not now" (default: none). */
  answerIsTransient?: (answer: T) => boolean
  /** A failure that means "not now" (default: isTransientFailure). */
  failureIsTransient?: (error: unknown) => boolean
  budgetMs?: number
}

/**
 * Runs `attempt` until its outcome is not transient or the budget is spent (the last outcome is then returned or
 * thrown as it came). Stops at once when the connection closes.
 */
export async function untilSettled<T>(
  nc: NatsConnection,
  attempt: () => Promise<T>,
  o: RetryOptions<T> = {},
): Promise<T> {
  const giveUpAt = performance.now() + (o.budgetMs ?? RETRY_BUDGET_MS)
  const failureIsTransient = o.failureIsTransient ?? ((error: unknown) => isTransientFailure(nc, error))
  for (let round = 0; ; round++) {
    const outcome = await attempt().then(
      (answer) => ({answer}),
      (error: unknown) => ({error}),
    )
    const transient =
      'answer' in outcome ? (o.answerIsTransient?.(outcome.answer) ?? false) : failureIsTransient(outcome.error)
    const pause = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** round)
    if (!transient || nc.isClosed() || performance.now() + pause >= giveUpAt) {
      if ('answer' in outcome) return outcome.answer
      throw outcome.error
    }
    await Promise.race([sleep(pause), nc.closed()])
  }
}

/** No answer in time, or nobody listening on a server that has JetStream: the cluster is between leaders. */
export function isTransientFailure(nc: NatsConnection, error: unknown): boolean {
  if (!(error instanceof NatsError)) return false
  if (error.api_error) return TRANSIENT_API_ERRORS.has(error.api_error.err_code ?? 0)
  if (error.code === ErrorCode.Timeout) return true
  return error.code === ErrorCode.NoResponders && nc.info?.jetstream === true
}

/** An API answer saying "not now" (parsed only when it carries an error, which successful answers never do). */
function isTransientAnswer(msg: Msg): boolean {
  if (msg.data.length === 0 || !Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.length).includes(ERROR))
    return false
  try {
    const answer = JSON.parse(Buffer.from(msg.data).toString('utf8')) as {error?: {err_code?: number}}
    return TRANSIENT_API_ERRORS.has(answer.error?.err_code ?? 0)
  } catch {
    return false
  }
}

const ERROR = Buffer.from('"error"')

/** A pause that does not keep the process alive by itself (the connection does, while it is open). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
