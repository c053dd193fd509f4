// Publishing with confirmation through an adapter, with a summary: what was confirmed, what was not and why.
import type {BrokerAdapter, PublishOptions, PublishReceipt} from '../../adapters/types.js'
import {publishBatchesOf} from '../../adapters/batched.js'
import type {Envelope} from '../../model/envelope/types.js'
import {asMailroomError} from '../../model/errors.js'

export interface PublishSummary {
  target: string
  published: number
  failed: number
  duplicates: number
  /**
   * Confirmed, but sent twice: their first copy awaited confirmation when the connection to a cluster node was lost
   * and they were sent again through another node (RabbitMQ). The first copy may be stored too.
   */
  possibleDuplicates: number
  /** The first failures (input position and why), at most 100. */
  failures: {index: number; code: string; message: string}[]
  elapsedMs: number
  perSecond: number
  /** Stopped by the signal (Ctrl-C): `published` is what the broker confirmed; nothing after it was sent. */
  interrupted: boolean
  /**
   * The connection was lost after the first receipts: `published` is what the broker confirmed, `failed` counts the
   * messages in flight then (stored or not, the broker did not say), and nothing after them was sent.
   */
  stopped?: {code: string; message: string}
}

/** Failures that end a publish part-way without saying anything about the messages already confirmed. */
const CONNECTION_LOST = new Set(['CONNECTION', 'TIMEOUT'])

export async function publishAll(
  adapter: BrokerAdapter,
  target: string,
  messages: AsyncIterable<Envelope> | Iterable<Envelope>,
  o: PublishOptions & {onReceipt?: (r: PublishReceipt) => void; onProgress?: (s: PublishSummary) => void} = {},
): Promise<PublishSummary> {
  const started = performance.now()
  const summary: PublishSummary = {
    target: `${adapter.kind}:${target}`,
    published: 0,
    failed: 0,
    duplicates: 0,
    possibleDuplicates: 0,
    failures: [],
    elapsedMs: 0,
    perSecond: 0,
    interrupted: false,
  }
  try {
    for await (const receipts of publishBatchesOf(adapter, target, messages, o)) {
      for (const receipt of receipts) count(summary, receipt, o.onReceipt)
      o.onProgress?.(summary)
    }
  } catch (error) {
    const lost = asMailroomError(error)
    // Before any receipt the publish simply failed (exit 3 as for any connect); after, the summary is the news.
    if (!CONNECTION_LOST.has(lost.code) || summary.published + summary.failed === 0) throw lost
    summary.stopped = {code: lost.code, message: lost.message}
  }
  summary.interrupted = o.signal?.aborted === true
  summary.elapsedMs = Math.round(performance.now() - started)
  summary.perSecond =
    summary.elapsedMs > 0 ? Math.round((summary.published * 1000) / summary.elapsedMs) : summary.published
  return summary
}

function count(summary: PublishSummary, receipt: PublishReceipt, onReceipt?: (r: PublishReceipt) => void): void {
  onReceipt?.(receipt)
  if (receipt.ok) {
    summary.published++
    if (receipt.duplicate) summary.duplicates++
    if (receipt.possibleDuplicate) summary.possibleDuplicates++
    return
  }
  summary.failed++
  if (summary.failures.length < 100) {
    summary.failures.push({
      index: receipt.index,
      code: receipt.error?.code ?? 'INTERNAL',
      message: receipt.error?.message ?? 'not confirmed',
    })
  }
}
