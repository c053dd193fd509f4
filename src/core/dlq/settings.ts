// DLQ settings from the context's `dlq` field, with defaults. Example (config.yaml):
//   dlq:
//     patterns: ['*.DLT', 'dead.*']          # names that are DLQs on every broker (replace the defaults)
//     extraPatterns: ['*.parking-lot']       # added to the defaults
//     streams: [ORDERS_DLQ]                  # JetStream streams that are DLQs
//     headers: {reason: x-failure-reason, originTarget: x-original-queue, errorMessage: x-error}
import {MailroomError} from '../../model/errors.js'
import type {CustomDeathHeaders} from './death.js'

export const DEFAULT_DLQ_PATTERNS = [
  '*.DLT',
  '*-dlt',
  '*.dlq',
  '*-dlq',
  '*_dlq',
  '*_DLQ',
  'dlq.*',
  '*.dead-letter',
] as const

export interface DlqSettings {
  patterns: string[]
  /** Target names declared as DLQs (any broker; JetStream capture streams typically). */
  named: string[]
  customHeaders?: CustomDeathHeaders
}

/** The death fields a context can map to its own header names (dlq.headers). */
export const HEADER_FIELDS: (keyof CustomDeathHeaders)[] = [
  'reason',
  'count',
  'time',
  'originTarget',
  'originPartition',
  'originOffset',
  'originSequence',
  'originExchange',
  'originConsumer',
  'errorClass',
  'errorMessage',
]

/** From a context's `dlq` section (ContextConfig['dlq'], not imported: config/schema.ts imports this file). */
export function dlqSettings(config: {dlq?: Record<string, unknown>}): DlqSettings {
  const raw = config.dlq ?? {}
  const patterns = stringList(raw.patterns, 'dlq.patterns') ?? [...DEFAULT_DLQ_PATTERNS]
  const extra = stringList(raw.extraPatterns, 'dlq.extraPatterns') ?? []
  const named = [...(stringList(raw.streams, 'dlq.streams') ?? []), ...(stringList(raw.targets, 'dlq.targets') ?? [])]
  return {patterns: [...patterns, ...extra], named, customHeaders: customHeaders(raw.headers)}
}

/** Compiled patterns: discovery matches every target of every broker against each pattern, on every refresh. */
const PATTERN_REGEXES = new Map<string, RegExp>()
const MAX_CACHED_PATTERNS = 1000

/** Glob match with `*` (any run of characters); case-sensitive like broker names. */
export function matchesPattern(name: string, pattern: string): boolean {
  let regex = PATTERN_REGEXES.get(pattern)
  if (!regex) {
    if (PATTERN_REGEXES.size >= MAX_CACHED_PATTERNS) PATTERN_REGEXES.clear()
    regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`)
    PATTERN_REGEXES.set(pattern, regex)
  }
  return regex.test(name)
}

export function matchingPattern(name: string, patterns: readonly string[]): string | undefined {
  return patterns.find((p) => matchesPattern(name, p))
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value
  throw new MailroomError('CONFIG', `${field} must be a list of strings`, {
    suggestions: [`e.g. ${field}: ['*.DLT', 'dead.*']`],
  })
}

function customHeaders(value: unknown): CustomDeathHeaders | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MailroomError('CONFIG', 'dlq.headers must map death fields to header names', {
      suggestions: [`Fields: ${HEADER_FIELDS.join(', ')}`],
    })
  }
  const out: CustomDeathHeaders = {}
  for (const [field, name] of Object.entries(value)) {
    if (!HEADER_FIELDS.includes(field as keyof CustomDeathHeaders) || typeof name !== 'string') {
      throw new MailroomError('CONFIG', `dlq.headers.${field} is not a death field mapped to a header name`, {
        suggestions: [`Fields: ${HEADER_FIELDS.join(', ')}`],
      })
    }
    out[field as keyof CustomDeathHeaders] = name
  }
  return out
}
