// What filtrex's grammar accepts but a filter must not mean: a field outside the message (`deth.reason`), an unknown
// function, or a dashed header name without quotes (`headers.x-tenant` is `headers.x` minus `tenant`). filtrex
// resolves names only while evaluating, where a missing one is null: such a filter would match nothing, or, negated,
// everything (a purge of the whole DLQ). The expression has parsed when this runs; it finds the names filtrex's
// lexer finds (same rules, same order) and judges each one.
import type {DeathRecord, Meta} from '../model/envelope/types.js'
import {nearest} from './suggest.js'

/** The roots of the message view a filter sees (src/core/filter.ts: filterView). */
export const FILTER_FIELD_ROOTS = [
  'key',
  'target',
  'broker',
  'timestamp',
  'body',
  'json',
  'schema',
  'headers',
  'meta',
  'death',
] as const
/** The fields of a record whose shape mailroom fixes, at every depth: a value has none (null), a list any index. */
type ShapeOf<T> = {
  [K in keyof Required<T>]-?: NonNullable<T[K]> extends readonly unknown[]
    ? 'list'
    : NonNullable<T[K]> extends object
      ? ShapeOf<NonNullable<T[K]>>
      : null
}
interface Shape {
  readonly [field: string]: Shape | 'list' | null
}
// `satisfies` makes each shape name exactly the fields of its type: a field added to either type must be added here.
const DEATH_SHAPE = {
  reason: null,
  count: null,
  firstTime: null,
  lastTime: null,
  source: null,
  origin: {
    broker: null,
    target: null,
    exchange: null,
    routingKeys: 'list',
    partition: null,
    offset: null,
    sequence: null,
    subject: null,
    consumer: null,
  },
  error: {class: null, message: null, component: null, wrapper: {class: null, message: null}},
} as const satisfies ShapeOf<DeathRecord>
const META_SHAPE = {
  partition: null,
  offset: null,
  sequence: null,
  stream: null,
  subject: null,
  exchange: null,
  routingKey: null,
  redelivered: null,
  deliveryCount: null,
} as const satisfies ShapeOf<Meta>
/** The schema that decoded the value (src/core/filter.ts: filterView). */
const SCHEMA_SHAPE = {id: null, subject: null, version: null, type: null, message: null} as const
const FIXED_SHAPES: Record<string, Shape | undefined> = {death: DEATH_SHAPE, meta: META_SHAPE, schema: SCHEMA_SHAPE}

/** filtrex's built-in functions. */
export const FILTER_FUNCTIONS = [
  'abs',
  'ceil',
  'floor',
  'log',
  'log2',
  'log10',
  'max',
  'min',
  'round',
  'sqrt',
  'exists',
  'empty',
] as const
export const FILTER_CONSTANTS = {true: true, false: false, null: null} as const

const KEYWORD = /^(?:not\s+in|and|or|not|in|of|if|then|else|mod)(?=[^\w])/
const SYMBOL = /^[a-zA-Z$_][.a-zA-Z0-9$_]*/
const NUMBER = /^[0-9]+(?:\.[0-9]+)?/

interface Token {
  kind: 'symbol' | 'quoted-symbol' | 'string' | 'number' | 'keyword' | 'punct'
  text: string
  /** The name a symbol stands for (a quoted one without its quotes). */
  name: string
  at: number
}

export interface FilterProblem {
  message: string
  suggestion: string
}

/** The first name the expression may not use, or undefined. */
export function findFilterProblem(expression: string): FilterProblem | undefined {
  const tokens = tokenize(expression)
  for (const [i, token] of tokens.entries()) {
    if (token.kind !== 'symbol' && token.kind !== 'quoted-symbol') continue
    const next = tokens[i + 1]
    const column = token.at + 1
    if (next?.text === '(') {
      if (!FILTER_FUNCTIONS.includes(token.name as never)) return unknownFunction(token.name, column)
      continue
    }
    if (next?.kind === 'keyword' && next.text === 'of') continue // `name of object`: a property of that object
    const dashed = token.kind === 'symbol' ? dashedName(expression, token) : undefined
    if (dashed) return dashedProblem(dashed, column)
    if (token.kind === 'symbol' && Object.hasOwn(FILTER_CONSTANTS, token.name)) continue
    const [root] = token.name.split('.')
    if (!FILTER_FIELD_ROOTS.includes(root as never)) {
      return token.kind === 'quoted-symbol'
        ? singleQuotedText(token.text, column)
        : unknownField(token.name, FILTER_FIELD_ROOTS, 0, column)
    }
    const problem = outsideShape(token.name, column)
    if (problem) return problem
  }
  return undefined
}

/** `death.origin.targt`, `death.reason.code`: a field the fixed record does not have, at whatever depth. */
function outsideShape(name: string, column: number): FilterProblem | undefined {
  const parts = name.split('.')
  let shape: Shape | 'list' | null | undefined = FIXED_SHAPES[parts[0]]
  for (let part = 1; shape && shape !== 'list' && part < parts.length; part++) {
    if (!Object.hasOwn(shape, parts[part])) return unknownField(name, Object.keys(shape), part, column)
    shape = shape[parts[part]]
    if (shape === null && part + 1 < parts.length) return unknownField(name, [], part + 1, column)
  }
  return undefined
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  while (at < text.length) {
    const rest = text.slice(at)
    const space = /^\s+/.exec(rest)
    if (space) {
      at += space[0].length
      continue
    }
    const token = readToken(rest, at)
    tokens.push(token)
    at += token.text.length
  }
  return tokens
}

function readToken(rest: string, at: number): Token {
  const make = (kind: Token['kind'], text: string, name = text): Token => ({kind, text, name, at})
  const keyword = KEYWORD.exec(rest)
  if (keyword) return make('keyword', keyword[0])
  if (rest[0] === '"' || rest[0] === "'") {
    const quoted = quotedText(rest)
    return rest[0] === '"'
      ? make('string', quoted)
      : make('quoted-symbol', quoted, quoted.slice(1, -1).replace(/\\(['\\])/g, '$1'))
  }
  const symbol = SYMBOL.exec(rest)
  if (symbol) return make('symbol', symbol[0])
  const number = NUMBER.exec(rest)
  if (number) return make('number', number[0])
  return make('punct', rest[0])
}

/** A quoted literal with its quotes; backslash escapes the quote and the backslash. */
function quotedText(rest: string): string {
  const quote = rest[0]
  let end = 1
  while (end < rest.length && rest[end] !== quote) end += rest[end] === '\\' ? 2 : 1
  return rest.slice(0, end + 1)
}

/** `headers.x-tenant`: a symbol, a dash and a name or number with no space between (which filtrex subtracts). */
function dashedName(expression: string, token: Token): string | undefined {
  const after = token.at + token.text.length
  if (expression[after] !== '-' || !/[a-zA-Z0-9$_]/.test(expression[after + 1] ?? '')) return undefined
  return /^[a-zA-Z0-9$_.-]+/.exec(expression.slice(token.at))?.[0]
}

function unknownFunction(name: string, column: number): FilterProblem {
  const guess = nearest(name, FILTER_FUNCTIONS)
  return {
    message: `unknown function ${name}() at column ${column}${guess ? ` (did you mean ${guess}()?)` : ''}`,
    suggestion: `Functions: ${FILTER_FUNCTIONS.join(', ')}`,
  }
}

function dashedProblem(name: string, column: number): FilterProblem {
  return {
    message: `${name} at column ${column} is read as a subtraction: a name with a dash must be in single quotes`,
    suggestion: `Write '${name}' (or put spaces around a minus: a - b)`,
  }
}

/** `key == 'order-7'`: single quotes make a name in filtrex, not a string. */
function singleQuotedText(text: string, column: number): FilterProblem {
  return {
    message: `${text} at column ${column} is not a field: single quotes make a field name, double quotes a string`,
    suggestion: `Write "${text.slice(1, -1)}" for the text`,
  }
}

/** `name`'s part number `part` is none of `known`. */
function unknownField(name: string, known: readonly string[], part: number, column: number): FilterProblem {
  const parts = name.split('.')
  const guess = nearest(parts[part], known)
  const meant = guess === undefined ? undefined : parts.map((p, i) => (i === part ? guess : p)).join('.')
  return {
    message: `unknown field ${name} at column ${column}${meant ? ` (did you mean ${meant}?)` : ''}`,
    suggestion:
      'Fields: key, target, broker, timestamp, body, json.<path>, headers.<name>, meta.<field>, death.<field>; strings use double quotes',
  }
}
