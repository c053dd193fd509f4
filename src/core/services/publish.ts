// Publishing with confirmation through an adapter, with a summary: what was confirmed, what was not and why.
import type {BrokerAdapter, PublishOptions, PublishReceipt} from '../../adapters/types.js'
import {publishBatchesOf} from '../../adapters/batched.js'
import type {Envelope} from '../../model/envelope/types.js'

export interface PublishSummary {
  target: string
  published: number
  failed: number
  duplicates: number
  /** The first failures (input position and why), at most 100. */
  failures: {index: number; code: string; message: string}[]
  elapsedMs: number
  perSecond: number
  /** Stopped by the signal (Ctrl-C): `published` is what the broker confirmed; nothing after it was sent. */
  interrupted: boolean
}

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
    failures: [],
    elapsedMs: 0,
    perSecond: 0,
    interrupted: false,
  }
  for await (const receipts of publishBatchesOf(adapter, target, messages, o)) {
    for (const receipt of receipts) count(summary, receipt, o.onReceipt)
    o.onProgress?.(summary)
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
