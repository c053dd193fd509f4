// A selection: chosen dead letters named by their message ids (identity.ts), as the dashboard marks them and
// `--select` passes them. Replay, purge and export act on exactly these. A RabbitMQ queue message has no position,
// so its id hashes its content and identical twins share it: the selection is a multiset, each mark takes one.
import {MailroomError} from '../../model/errors.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {MessageFilter} from '../filter.js'
import {messageIdentity} from './identity.js'

export class Selection {
  private readonly left = new Map<string, number>()
  private remaining: number

  /** @param taken marks already used up (a resumed replay: what its earlier attempts confirmed). */
  constructor(ids: readonly string[], taken?: ReadonlyMap<string, number>) {
    for (const id of ids) this.left.set(id, (this.left.get(id) ?? 0) + 1)
    for (const [id, n] of taken ?? []) if (this.left.has(id)) this.left.set(id, Math.max(0, this.left.get(id)! - n))
    this.remaining = [...this.left.values()].reduce((a, b) => a + b, 0)
  }

  /** True, once per mark, for a message whose id is marked. */
  take(id: string): boolean {
    const n = this.left.get(id) ?? 0
    if (n === 0) return false
    this.left.set(id, n - 1)
    this.remaining--
    return true
  }

  /** Every mark found its message: nothing further in the DLQ can be selected. */
  get exhausted(): boolean {
    return this.remaining === 0
  }

  /** Marks that found no message (yet): moved, purged or aged out since they were marked, or beyond what was read. */
  get missing(): number {
    return this.remaining
  }
}

/** The --filter (if any) and the selection, as one filter over the DLQ's entries: the selection is taken last. */
export function selectionFilter(
  selection: Selection,
  source: {broker: string; target: string},
  filter?: MessageFilter,
): MessageFilter {
  return (e: Envelope) => (!filter || filter(e)) && selection.take(messageIdentity(e, source.broker, source.target).id)
}

/** The filter of a read (export) narrowed to the message ids given, if any. */
export function narrowToSelection(
  ids: readonly string[] | undefined,
  source: {broker: string; target: string},
  filter?: MessageFilter,
): MessageFilter | undefined {
  if (!ids) return filter
  return selectionFilter(new Selection(parseSelection(ids, source)), source, filter)
}

/** Message ids given on the command line, checked to belong to the DLQ they act on. */
export function parseSelection(ids: readonly string[], source: {broker: string; target: string}): string[] {
  const prefix = `${source.broker}:${source.target}/`
  const wrong = ids.find((id) => !id.startsWith(prefix) || id.length === prefix.length)
  if (wrong !== undefined) {
    throw new MailroomError('USAGE', `--select ${wrong} is not a message of ${source.broker}:${source.target}`, {
      suggestions: [
        `Message ids look like ${prefix}<position or content id>: the dashboard's plan and dlq inspect -o json show them`,
      ],
    })
  }
  return [...ids]
}

/** How a selection is named in plans, journals and audit lines: its size and ids. */
export function describeSelection(ids: readonly string[], shown = 3): string {
  const head = ids.slice(0, shown).join(', ')
  return `${ids.length} selected message(s): ${head}${ids.length > shown ? `, … (${ids.length - shown} more)` : ''}`
}
