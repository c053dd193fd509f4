// amqplib's publish arguments (lib/api_args.js, Args.publish), without a new object per message whose prototype is
// the caller's headers object (amqplib's way of adding CC / BCC to a table without copying it). Every headers object
// thereby became a prototype, which V8 handles slowly from then on: the table's encoding alone took about 25 µs per
// message in a replay. The headers object is now passed as it is when there is no CC or BCC to add; the encoded
// table is the same (amqplib encodes a table's inherited names too), and so is every other field (tested). With CC
// or BCC, amqplib's own builder runs.

export interface PublishOptionsLike {
  headers?: Record<string, unknown>
  CC?: unknown
  BCC?: unknown
  [option: string]: unknown
}
export type PublishArgs = (
  exchange: string,
  routingKey: string,
  options?: PublishOptionsLike,
) => Record<string, unknown>

/** An empty table: amqplib always sends a headers table, empty when there are no headers. */
const NO_HEADERS = Object.freeze({})
const NO_OPTIONS: PublishOptionsLike = Object.freeze({})

export function publishArgsWithoutPrototypes(original: PublishArgs): PublishArgs {
  return (exchange, routingKey, given) => {
    const options = given || NO_OPTIONS
    if (options.CC !== undefined || options.BCC !== undefined) return original(exchange, routingKey, options)
    return {
      // method fields
      exchange,
      routingKey,
      mandatory: !!options.mandatory,
      immediate: false,
      ticket: undefined,
      // properties
      contentType: options.contentType,
      contentEncoding: options.contentEncoding,
      headers: options.headers || NO_HEADERS,
      deliveryMode: deliveryModeOf(options),
      priority: options.priority,
      correlationId: options.correlationId,
      replyTo: options.replyTo,
      expiration:
        options.expiration === undefined ? undefined : (options.expiration as {toString(): string}).toString(),
      messageId: options.messageId,
      timestamp: options.timestamp,
      type: options.type,
      userId: options.userId,
      appId: options.appId,
      clusterId: undefined,
    }
  }
}

/** `persistent` wins; then a numeric deliveryMode; then any truthy deliveryMode means persistent (as in amqplib). */
function deliveryModeOf(options: PublishOptionsLike): number | undefined {
  if (options.persistent !== undefined) return options.persistent ? 2 : 1
  if (typeof options.deliveryMode === 'number') return options.deliveryMode
  return options.deliveryMode ? 2 : undefined
}
