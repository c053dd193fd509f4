// Filter expressions over messages (tail, peek, dlq inspect/replay/purge), compiled by filtrex — a small, safe
// expression language (no code execution). Fields: key, target, broker, headers.<name>, body (text), json.<path>
// (the value a schema registry decoded when decoding is on, else the body parsed as JSON), schema.id / subject /
// version / type / message (the value's schema), death.reason, death.origin.target, meta.partition, meta.offset ...;
// true, false, null.
// Any other name is refused when the filter is compiled (filter-check.ts).
// Example: key == "order-7" and json.amount > 100 and 'headers.x-tenant' == "acme"
import {compileExpression} from 'filtrex'

import {MailroomError} from '../model/errors.js'
import {bodyToBytes} from '../model/envelope/body.js'
import {FILTER_CONSTANTS, findFilterProblem} from './filter-check.js'
import {decodedValueOf} from './schema/decoded-view.js'
import type {Envelope, HeaderValue} from '../model/envelope/types.js'

export type MessageFilter = (e: Envelope) => boolean

/** Compiles an expression; an invalid one is a usage error that shows where it went wrong. */
export function compileFilter(expression: string): MessageFilter {
  let compiled: (data: unknown) => unknown
  try {
    compiled = compileExpression(expression, {customProp: dottedPath, constants: FILTER_CONSTANTS})
  } catch (error) {
    const detail = String((error as Error).message).split('\n')
    throw invalidFilter(detail.join(' | '), [
      `Example: key == "order-7" and json.amount > 100 and 'headers.x-tenant' == "acme"`,
      `Strings use double quotes; names with dashes go in single quotes: 'headers.x-tenant'`,
    ])
  }
  const problem = findFilterProblem(expression)
  if (problem) throw invalidFilter(problem.message, [problem.suggestion])
  return (envelope) => compiled(filterView(envelope)) === true
}

function invalidFilter(detail: string, suggestions: string[]): MailroomError {
  return new MailroomError('USAGE', `invalid filter: ${detail}`, {suggestions})
}

/**
 * Resolves a.b.c (also inside single quotes, so 'headers.x-tenant' works) through own properties only, and
 * yields null for anything missing instead of an error: a filter over varied messages must not throw.
 */
function dottedPath(name: string, _get: unknown, data: unknown): unknown {
  let value: unknown = data
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return null
    value = (value as Record<string, unknown>)[part]
  }
  return value ?? null
}

/**
 * The fields an expression sees. `json` is the decoded value when a registry decoded it, else the body parsed as
 * JSON (only when an expression asks for it).
 */
function filterView(e: Envelope): Record<string, unknown> {
  const view: Record<string, unknown> = {
    key: typeof e.key === 'string' ? e.key : null,
    target: e.target ?? null,
    broker: e.broker ?? null,
    headers: Object.fromEntries(e.headers.map(([name, value]) => [name, plainHeader(value)])),
    meta: e.meta ?? {},
    death: e.death ?? {},
    timestamp: e.timestamp ?? null,
  }
  let text: string | undefined
  const bodyText = () => (text ??= 'utf8' in e.body ? e.body.utf8 : bodyToBytes(e.body).toString('latin1'))
  Object.defineProperty(view, 'body', {enumerable: true, get: bodyText})
  const decoded = decodedValueOf(e)
  Object.defineProperty(view, 'json', {enumerable: true, get: () => (decoded ? decoded.value : parseJson(bodyText()))})
  view.schema = decoded
    ? {
        id: decoded.schemaId ?? null,
        subject: decoded.subject ?? null,
        version: decoded.version ?? null,
        type: decoded.schemaType,
        message: decoded.messageName ?? null,
      }
    : {}
  return view
}

function plainHeader(value: HeaderValue): unknown {
  if (typeof value === 'string') return value
  if ('int' in value) return Number(value.int)
  if ('float' in value) return value.float
  if ('bool' in value) return value.bool
  if ('timestamp' in value) return value.timestamp
  return JSON.stringify(value)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
