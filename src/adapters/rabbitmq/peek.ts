// Peek: look at the first N messages of a queue and leave them there.
// Streams are read from their first offset (no side effect). Classic and quorum queues are peeked with
// basic.get on one channel, all N held at once, then released with nack(requeue) - which marks them
// redelivered, and on quorum queues counts as a failed delivery (x-delivery-count, delivery-limit).
import type {GetMessage} from 'amqplib'
import type {Envelope} from '../../model/envelope/types.js'
import {HELD_WAIT_MS, type PeekOptions, type PeekResult} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import type {ManagementQueue} from './management.js'
import {envelopeFromMessage} from './map.js'
import {toMailroomError} from './map-error.js'
import {takeCounted} from './held.js'
import {type ReadDeps, readStream} from './readers.js'

export async function peekQueue(deps: ReadDeps, queue: ManagementQueue, o: PeekOptions): Promise<PeekResult> {
  if (deps.queueType === 'stream') return peekStream(deps, o.count)
  const limit = deliveryLimit(queue)
  if (deps.queueType === 'quorum' && limit !== undefined && !o.force) {
    throw new MailroomError(
      'REFUSED',
      `Peeking quorum queue ${deps.target} counts as a failed delivery; it has a delivery limit of ${limit}, so peeking can dead-letter or drop messages`,
      {
        suggestions: ['Pass --force to peek anyway', 'Or tail it non-destructively to see new messages'],
      },
    )
  }
  const total = o.complete ? queue.messages : undefined
  const {messages, heldElsewhere} = await getAndRelease(deps, o.count, total)
  return {messages, warnings: [...peekWarnings(deps, messages.length, limit), ...heldWarnings(deps, heldElsewhere)]}
}

async function peekStream(deps: ReadDeps, count: number): Promise<PeekResult> {
  const messages: Envelope[] = []
  if (count <= 0) return {messages, warnings: []}
  for await (const batch of readStream(deps, {
    from: {kind: 'earliest'},
    untilEnd: true,
    prefetch: Math.min(count, 1000),
  })) {
    for (const delivery of batch.slice(0, count - messages.length)) messages.push(delivery.envelope)
    if (messages.length >= count) break
  }
  return {messages, warnings: []}
}

/**
 * Gets up to `count` messages, holding them all, then requeues them. With `total` (the management API's count of the
 * queue's messages), one that runs dry short of it waits (bounded) for what another reader holds to come back.
 */
async function getAndRelease(
  deps: ReadDeps,
  count: number,
  total: number | undefined,
): Promise<{messages: Envelope[]; heldElsewhere: number}> {
  const channel = await deps.model.createChannel()
  channel.on('error', () => {}) // reported through the failing call below
  const held: GetMessage[] = []
  const take = async () => {
    while (held.length < count) {
      const msg = await channel.get(deps.target, {noAck: false})
      if (msg === false) break
      held.push(msg)
    }
    return held.length
  }
  try {
    const {management, target} = deps
    const heldElsewhere = await takeCounted({management, target, total, wanted: count, take, recount: true})
    if (held.length > 0) channel.nackAll(true)
    const messages = held.map((msg) => envelopeFromMessage(msg, {target, queueType: deps.queueType}))
    return {messages, heldElsewhere}
  } catch (error) {
    throw toMailroomError(error, deps.errorContext)
  } finally {
    // Closing the channel also returns anything still held if the nack was never sent.
    await channel.close().catch(() => {})
  }
}

function heldWarnings(deps: ReadDeps, heldElsewhere: number): string[] {
  if (heldElsewhere === 0) return []
  return [
    `${heldElsewhere} message(s) of ${deps.target} stayed held unacknowledged by another reader (a consumer, or a peek) for ${HELD_WAIT_MS / 1000} s and are not included`,
  ]
}

function deliveryLimit(queue: ManagementQueue): unknown {
  return queue.arguments?.['x-delivery-limit'] ?? queue.effective_policy_definition?.['delivery-limit']
}

function peekWarnings(deps: ReadDeps, peeked: number, limit: unknown): string[] {
  if (peeked === 0) return []
  const warnings = [`The ${peeked} peeked message(s) were returned to ${deps.target} and are now marked redelivered`]
  if (deps.queueType === 'quorum') {
    warnings.push(
      'On a quorum queue each peek increments x-delivery-count and (RabbitMQ 3.10+) moves the messages to the back of the queue',
    )
    if (limit !== undefined)
      warnings.push(`The queue's delivery limit is ${String(limit)}: repeated peeks dead-letter or drop these messages`)
  }
  return warnings
}
