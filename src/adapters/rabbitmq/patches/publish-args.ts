// amqplib's publish arguments, without a new object per message whose prototype is the caller's headers object
// (amqplib's way of adding CC / BCC to a table without copying it). Every headers object thereby became a prototype,
// which V8 handles slowly from then on: the table's encoding alone took about 25 µs per message in a replay. The
// headers object is now passed as it is when there is no CC or BCC to add; the encoded table is the same (amqplib
// encodes a table's inherited names too), and so is every other field (tested).

export interface PublishOptionsLike {
  headers?: Record<string, unknown>
  CC?: unknown
  BCC?: unknown
  [option: string]: unknown
}
export type PublishArgs = (exchange: string, routingKey: string, options?: PublishOptionsLike) => Record<string, unknown>

/** An empty table: amqplib always sends a headers table, empty when there are no headers. */
const NO_HEADERS = Object.freeze({})

export function publishArgsWithoutPrototypes(original: PublishArgs): PublishArgs {
  return (exchange, routingKey, options) => {
    if (!options || options.CC !== undefined || options.BCC !== undefined) return original(exchange, routingKey, options)
    const fields = original(exchange, routingKey, {...options, headers: undefined})
    fields.headers = options.headers ?? NO_HEADERS
    return fields
  }
}
