// Batched and per-item reads and publishes, each made from the other, so an adapter implements one path of each.
// A batch costs its consumer one async step instead of one per item, which at 100,000 messages a second matters.
import type {BrokerAdapter, Delivery, PublishOptions, PublishReceipt, ReadOptions} from './types.js'
import {MailroomError} from '../model/errors.js'
import type {Envelope} from '../model/envelope/types.js'

/**
 * One item at a time from batches (what an adapter with readBatches / publishBatches offers as read / publish). A
 * read stops at the abort even in the middle of a batch, as a per-message read would.
 */
export async function* flatten<T>(batches: AsyncIterable<T[]>, signal?: AbortSignal): AsyncGenerator<T> {
  for await (const batch of batches) {
    for (const item of batch) {
      if (signal?.aborted) return
      yield item
    }
  }
}

/** The adapter's batched read, or its per-message read as batches of one. */
export function readBatchesOf(adapter: BrokerAdapter, target: string, o: ReadOptions): AsyncIterable<Delivery[]> {
  if (adapter.readBatches) return adapter.readBatches(target, o)
  return singles(readOf(adapter)(target, o))
}

/** The adapter's per-message read; UNSUPPORTED where it has none. */
export function readOf(adapter: BrokerAdapter): NonNullable<BrokerAdapter['read']> {
  if (!adapter.read) throw new MailroomError('UNSUPPORTED', `${adapter.kind} cannot read messages`)
  return adapter.read.bind(adapter)
}

/** The adapter's publish with receipts in batches, or its per-receipt publish as batches of one. */
export function publishBatchesOf(
  adapter: BrokerAdapter,
  target: string,
  msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
  o: PublishOptions,
): AsyncIterable<PublishReceipt[]> {
  if (adapter.publishBatches) return adapter.publishBatches(target, msgs, o)
  if (!adapter.publish) throw new MailroomError('UNSUPPORTED', `${adapter.kind} cannot publish`)
  return singles(adapter.publish(target, msgs, o))
}

/**
 * An input iterator may answer next() without a promise when it already has the item (a replay's publish lane does):
 * the publish loops take such a step at once instead of paying an async turn per message.
 */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as {then?: unknown}).then === 'function'
}

async function* singles<T>(items: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const item of items) yield [item]
}
