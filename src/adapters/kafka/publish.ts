// Publishing envelopes to a topic: lazy input, a bounded window per send, acks=all, one receipt per message (handed
// over a send at a time).
import type {Admin, Message, PartitionMetadata, Producer} from 'kafkajs'
import type {Envelope} from '../../model/envelope/types.js'
import type {PublishOptions, PublishReceipt} from '../types.js'
import {MailroomError} from '../../model/errors.js'
import {batches} from './batches.js'
import {BodyValues, kafkaMessageFromEnvelope, type OutgoingMessage} from './map.js'
import {isRecordRejection, isUnknownTopic, toMailroomError} from './map-error.js'
import {RecordPartitioner} from './partitioner.js'
import {maxMessageBytes, topicPartitions} from './topics.js'

export const DEFAULT_PUBLISH_WINDOW = 1000
/** Room left in a produce request for the record-batch header and rounding in our size estimate. */
const BATCH_HEADER_MARGIN_BYTES = 1024

interface Prepared {
  index: number
  out?: OutgoingMessage
  error?: MailroomError
}

/** The adapter's producer, and ways to replace it (see sendWithRenewal and sendBatch). */
export interface ProducerSource {
  get(): Promise<Producer>
  renew(): Promise<Producer>
  /** Drops it: the next publish connects a new one. */
  discard(): void
}

/** What a publish needs to know of its topic: its partitions (to choose one per record) and its size limit. */
export interface TopicPublishFacts {
  partitions: PartitionMetadata[]
  maxMessageBytes: number
}

async function topicPublishFacts(admin: Admin, topic: string): Promise<TopicPublishFacts> {
  // Side by side: two round trips that do not depend on each other.
  const [partitions, maxBytes] = await Promise.all([topicPartitions(admin, topic), maxMessageBytes(admin, topic)])
  return {partitions, maxMessageBytes: maxBytes}
}

/**
 * A topic's publish facts, read once and kept for a little while: a replay's publish lane opens a session per burst,
 * and the first one should not wait for the topic's metadata after the first messages were read. Anything that went
 * wrong in a publish forgets them (the topic may have been deleted or changed).
 */
export class TopicFactsCache {
  private readonly facts = new Map<string, {readAt: number; facts: Promise<TopicPublishFacts>}>()

  constructor(private readonly ttlMs = 10_000) {}

  get(admin: Admin, topic: string): Promise<TopicPublishFacts> {
    const known = this.facts.get(topic)
    if (known && performance.now() - known.readAt < this.ttlMs) return known.facts
    const facts = topicPublishFacts(admin, topic)
    this.facts.set(topic, {readAt: performance.now(), facts})
    facts.catch(() => this.forget(topic))
    return facts
  }

  forget(topic: string): void {
    this.facts.delete(topic)
  }
}

interface PublishContext {
  topic: string
  admin: Admin
  producers: ProducerSource
  producer: Producer
  partitions: PartitionMetadata[]
  maxMessageBytes: number
  partitioner: RecordPartitioner
  bodies: BodyValues
}

/** A topic's publish facts as the adapter keeps them: read (or remembered), and forgotten after a failed publish. */
export interface TopicFactsSource {
  get(): Promise<TopicPublishFacts>
  forget(): void
}

export async function* publishToTopic(
  admin: Admin,
  producers: ProducerSource,
  topicFacts: TopicFactsSource,
  topic: string,
  msgs: AsyncIterable<Envelope> | Iterable<Envelope>,
  o: PublishOptions = {},
): AsyncGenerator<PublishReceipt[]> {
  try {
    const ctx = await publishContext(admin, producers, topicFacts.get(), topic)
    const window = Math.max(1, o.window ?? DEFAULT_PUBLISH_WINDOW)
    let index = 0
    for await (const envelopes of batches(msgs, window)) {
      // Interrupted: what was sent is confirmed and reported; nothing more is sent (as on the other brokers).
      if (o.signal?.aborted) break
      const prepared = envelopes.map((env) => prepare(ctx, env, index++))
      for (const send of splitByBytes(prepared, ctx.maxMessageBytes - BATCH_HEADER_MARGIN_BYTES)) {
        const {receipts, lost} = await sendBatch(ctx, send)
        // A send lost with its connection may have been stored: once receipts were reported, it is reported as
        // failed (outcome unknown) before the loss ends the publish. Before any, the publish simply failed.
        if (lost && send[0]!.index === 0) throw lost
        yield receipts
        if (lost) throw lost
      }
    }
  } catch (e) {
    // The topic may have been deleted or changed: the next publish reads its facts again.
    topicFacts.forget()
    throw e
  }
}

async function publishContext(
  admin: Admin,
  producers: ProducerSource,
  topicFacts: Promise<TopicPublishFacts>,
  topic: string,
): Promise<PublishContext> {
  const [{partitions, maxMessageBytes: maxBytes}, producer] = await Promise.all([topicFacts, producers.get()])
  return {
    topic,
    admin,
    producers,
    partitions,
    maxMessageBytes: maxBytes,
    producer,
    partitioner: new RecordPartitioner(partitions),
    bodies: new BodyValues(),
  }
}

/** Chooses the partition here (explicit, or where Kafka's Java producer would put it) to know each offset. */
function prepare(ctx: PublishContext, env: Envelope, index: number): Prepared {
  try {
    if (env.partition !== undefined && !ctx.partitions.some((p) => p.partitionId === env.partition)) {
      throw new MailroomError(
        'NOT_FOUND',
        `partition ${env.partition} does not exist in topic ${ctx.topic} (${ctx.partitions.length} partitions)`,
      )
    }
    const out = kafkaMessageFromEnvelope(env, (key) => env.partition ?? ctx.partitioner.choose(key), ctx.bodies)
    return {index, out}
  } catch (e) {
    return {index, error: toMailroomError(e, {topic: ctx.topic})}
  }
}

/** Groups messages into sends under the byte budget; a message over the budget goes alone so the broker judges it. */
function* splitByBytes(prepared: Prepared[], budget: number): Generator<Prepared[]> {
  let send: Prepared[] = []
  let bytes = 0
  for (const p of prepared) {
    const size = p.out?.bytes ?? 0
    if (send.length > 0 && bytes + size > budget) {
      yield send
      send = []
      bytes = 0
    }
    send.push(p)
    bytes += size
  }
  if (send.length > 0) yield send
}

/** A send's receipts; `lost`: its connection was lost (the failed ones may be stored) and the publish must end. */
async function sendBatch(
  ctx: PublishContext,
  send: Prepared[],
): Promise<{receipts: PublishReceipt[]; lost?: MailroomError}> {
  const sendable = send.filter((p) => p.out)
  if (sendable.length === 0) return {receipts: send.map(failedReceipt)}
  try {
    const results = await sendWithRenewal(
      ctx,
      sendable.map((p) => p.out!.message),
    )
    const nextOffset = new Map(results.map((r) => [r.partition, BigInt(r.baseOffset ?? '0')]))
    return {receipts: send.map((p) => (p.out ? landedReceipt(p, nextOffset) : failedReceipt(p)))}
  } catch (e) {
    return failedSend(ctx, send, e)
  }
}

/**
 * The broker may have stored part of a failed send (other partitions than a rejected record's, or all of it when the
 * answer was lost). kafkajs takes its sequence numbers back, and a later send reusing them could be taken for the
 * stored batch and dropped: what is sent next goes through a new producer (a new producer id).
 */
async function failedSend(
  ctx: PublishContext,
  send: Prepared[],
  e: unknown,
): Promise<{receipts: PublishReceipt[]; lost?: MailroomError}> {
  const bytes = send.reduce((sum, p) => sum + (p.out?.bytes ?? 0), 0)
  const error = toMailroomError(e, {topic: ctx.topic, messageBytes: bytes, maxMessageBytes: ctx.maxMessageBytes})
  const receipts = send.map((p) => failedReceipt({...p, error: p.error ?? error}))
  if (!isRecordRejection(e)) {
    ctx.producers.discard()
    return {receipts, lost: error}
  }
  try {
    ctx.producer = await ctx.producers.renew()
  } catch (renewal) {
    return {receipts, lost: toMailroomError(renewal, {topic: ctx.topic})}
  }
  return {receipts}
}

/**
 * kafkajs refreshes metadata for every topic a producer has sent to, so once one of them is deleted every send
 * fails with UNKNOWN_TOPIC_OR_PARTITION. Such a send never reached the partition, so when this topic still exists
 * it is retried once on a fresh producer.
 */
async function sendWithRenewal(ctx: PublishContext, messages: Message[]) {
  const send = () => ctx.producer.send({topic: ctx.topic, acks: -1, messages})
  try {
    return await send()
  } catch (e) {
    if (!isUnknownTopic(e) || !(await topicExists(ctx.admin, ctx.topic))) throw e
    ctx.producer = await ctx.producers.renew()
    return send()
  }
}

async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  return topicPartitions(admin, topic).then(
    () => true,
    () => false,
  )
}

/** Records of one partition in one send are appended in order from the partition's base offset. */
function landedReceipt(p: Prepared, nextOffset: Map<number, bigint>): PublishReceipt {
  const partition = p.out!.message.partition!
  const offset = nextOffset.get(partition) ?? 0n
  nextOffset.set(partition, offset + 1n)
  return {index: p.index, ok: true, meta: {partition, offset: offset.toString()}}
}

function failedReceipt(p: Prepared): PublishReceipt {
  return {index: p.index, ok: false, error: (p.error ?? new MailroomError('INTERNAL', 'message was not sent')).toInfo()}
}
