// Where a dead letter sits in its DLQ, for tables: partition/offset, stream sequence, or its place in a queue.
import type {Envelope} from '../../model/envelope/types.js'

export function dlqPosition(e: Envelope, index: number): string {
  const m = e.meta
  if (m?.partition !== undefined && m.offset !== undefined) return `${m.partition}/${m.offset}`
  if (m?.sequence !== undefined) return `seq ${m.sequence}`
  if (m?.offset !== undefined) return `offset ${m.offset}`
  return `#${index + 1}`
}
