// The shape of config.yaml, checked on the parsed document (which keeps each node's place in the text) so that a
// typo is refused with its file, line and the key it was probably meant to be, instead of being silently ignored
// (`readonly: true` would otherwise leave a production context writable).
import type {Alias, Document, LineCounter, Node, Pair} from 'yaml'

import {MailroomError} from '../../model/errors.js'
import {HEADER_FIELDS} from '../dlq/settings.js'
import {nearest} from '../suggest.js'

type Shape =
  | {kind: 'string' | 'boolean'}
  | {kind: 'list'; of: Shape}
  | {kind: 'fields'; fields: Record<string, Shape>; refused?: Record<string, string>}
  | {kind: 'named'; of: Shape}
  | {kind: 'either'; shapes: Shape[]}

const text: Shape = {kind: 'string'}
const flag: Shape = {kind: 'boolean'}
const texts: Shape = {kind: 'list', of: text}
const fields = (f: Record<string, Shape>, refused?: Record<string, string>): Shape => ({
  kind: 'fields',
  fields: f,
  refused,
})

/** Inline secrets are known keys that are refused (with what to write instead): they belong in env vars or files. */
const NO_INLINE_PASSWORD = {
  password:
    'Name an environment variable (passwordEnv) or a file (passwordFile) instead, or pipe it with --password-stdin',
}
const NO_INLINE_SECRETS = {
  ...NO_INLINE_PASSWORD,
  token: 'Name an environment variable (tokenEnv) or a file (tokenFile) instead',
}

const tls = fields({caFile: text, certFile: text, keyFile: text, servername: text, insecureSkipVerify: flag})
const passwordRef = {passwordEnv: text, passwordFile: text}

const context = fields({
  description: text,
  readOnly: flag,
  rabbitmq: fields(
    {
      url: text,
      urls: texts,
      managementUrl: text,
      managementUrls: texts,
      username: text,
      vhost: text,
      tls,
      ...passwordRef,
    },
    NO_INLINE_SECRETS,
  ),
  kafka: fields(
    {
      brokers: texts,
      clientId: text,
      sasl: fields({mechanism: text, username: text, ...passwordRef}, NO_INLINE_PASSWORD),
      tls: {kind: 'either', shapes: [tls, flag]},
      allowPlainWithoutTls: flag,
    },
    NO_INLINE_SECRETS,
  ),
  nats: fields(
    {
      url: text,
      servers: texts,
      user: text,
      tokenEnv: text,
      tokenFile: text,
      credsFile: text,
      nkeySeedFile: text,
      tls,
      ...passwordRef,
    },
    NO_INLINE_SECRETS,
  ),
  schemaRegistry: fields({url: text, username: text, tls, ...passwordRef}, NO_INLINE_PASSWORD),
  dlq: fields({
    patterns: texts,
    extraPatterns: texts,
    targets: texts,
    streams: texts,
    headers: fields(Object.fromEntries(HEADER_FIELDS.map((field) => [field, text]))),
  }),
})

const CONFIG_FILE = fields({currentContext: text, contexts: {kind: 'named', of: context}})

/** The parts of the yaml library the check needs (it is loaded lazily, with the file). */
export interface YamlNodeKinds {
  isMap(node: unknown): node is {items: Pair[]} & Node
  isSeq(node: unknown): node is {items: unknown[]} & Node
  isScalar(node: unknown): node is {value: unknown} & Node
  isAlias(node: unknown): node is Alias
}

interface Place {
  file: string
  lines: LineCounter
  yaml: YamlNodeKinds
  /** Resolves aliases (`*tls`, as the yaml library writes a value used twice). */
  doc: Document
}

/** Throws a CONFIG error at the first key or value that config.yaml may not hold. */
export function checkConfigShape(place: Place): void {
  const root = place.doc.contents
  if (root === null) return
  check(root, CONFIG_FILE, '', place)
}

function check(aliasOrNode: unknown, shape: Shape, path: string, place: Place): void {
  const {yaml} = place
  const node = yaml.isAlias(aliasOrNode) ? aliasOrNode.resolve(place.doc) : aliasOrNode
  if (node === null || node === undefined || (yaml.isScalar(node) && node.value === null)) {
    if (shape.kind === 'fields' || shape.kind === 'named') return // an empty section: nothing set
    throw refusal(
      place,
      (node ?? undefined) as Node | undefined,
      `${label(path)} has no value`,
      `Give it ${describe(shape)}, or remove the line`,
    )
  }
  switch (shape.kind) {
    case 'string':
    case 'boolean': {
      if (yaml.isScalar(node) && typeof node.value === shape.kind) return
      break
    }
    case 'list': {
      if (!yaml.isSeq(node)) break
      node.items.forEach((item, i) => check(item, shape.of, `${path}[${i}]`, place))
      return
    }
    case 'fields':
    case 'named': {
      if (!yaml.isMap(node)) break
      for (const pair of node.items) checkPair(pair, shape, path, place)
      return
    }
    case 'either': {
      const fits = shape.shapes.find((s) => fitsKind(node, s, yaml))
      if (fits) return check(node, fits, path, place)
      break
    }
  }
  throw refusal(place, node as Node, `${label(path)} must be ${describe(shape)}`, hintFor(shape))
}

function checkPair(pair: Pair, shape: Shape & {kind: 'fields' | 'named'}, path: string, place: Place): void {
  const keyNode = pair.key as Node
  const key = place.yaml.isScalar(keyNode) ? String(keyNode.value) : String(pair.key)
  const here = path ? `${path}.${key}` : key
  if (shape.kind === 'named') return check(pair.value, shape.of, here, place)
  const known = shape.fields[key]
  if (known) return check(pair.value, known, here, place)
  const instead = shape.refused?.[key]
  if (instead) {
    throw refusal(place, keyNode, `${here} is not read from the config file`, instead)
  }
  const names = Object.keys(shape.fields)
  const guess = nearest(key, names)
  throw refusal(
    place,
    keyNode,
    `unknown key "${key}"${path ? ` in ${path}` : ''}${guess ? ` (did you mean "${guess}"?)` : ''}`,
    `Keys allowed here: ${names.join(', ')}`,
  )
}

function label(path: string): string {
  return path || 'the file'
}

function fitsKind(node: unknown, shape: Shape, yaml: YamlNodeKinds): boolean {
  if (shape.kind === 'fields' || shape.kind === 'named') return yaml.isMap(node)
  if (shape.kind === 'list') return yaml.isSeq(node)
  return yaml.isScalar(node) && typeof node.value === shape.kind
}

function describe(shape: Shape): string {
  switch (shape.kind) {
    case 'string':
      return 'a string'
    case 'boolean':
      return 'true or false'
    case 'list':
      return `a list of ${describe(shape.of).replace(/^an? /, '')}s`
    case 'fields':
    case 'named':
      return 'a mapping'
    case 'either':
      return shape.shapes.map(describe).join(' or ')
  }
}

function hintFor(shape: Shape): string {
  if (shape.kind === 'string') return 'Put the value in quotes if YAML reads it as a number or a boolean'
  if (shape.kind === 'boolean') return 'Write true or false without quotes (YAML reads yes/no/on/off as text)'
  if (shape.kind === 'list') return 'Write a list as [a, b] or as lines starting with "- "'
  return 'See "Configuration" in the README for the file format'
}

function refusal(place: Place, node: Node | undefined, message: string, suggestion: string): MailroomError {
  const line = node?.range ? place.lines.linePos(node.range[0]).line : undefined
  return new MailroomError('CONFIG', `${place.file}${line ? `:${line}` : ''}: ${message}`, {suggestions: [suggestion]})
}
