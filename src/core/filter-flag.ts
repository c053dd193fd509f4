// --filter of the reading commands: the expression language (filtrex) is loaded only when a filter is given, as it
// is a fifth of what `tail` loads before its first message otherwise.
import type {MessageFilter} from './filter.js'

/** The compiled filter, or undefined when none (or an empty one) is given. */
export async function filterFrom(expression: string | undefined): Promise<MessageFilter | undefined> {
  if (!expression) return undefined
  const {compileFilter} = await import('./filter.js')
  return compileFilter(expression)
}
