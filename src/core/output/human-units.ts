// Durations and sizes for people: Go's time.Duration form (2m0s, 1h30m0s, 500ms), as nats and kubectl print them,
// and IEC sizes (1.5 MiB; exact bytes below 1 KiB). The human renderings (table, wide, yaml) and the progress line use
// them; JSON keeps the exact numbers. No yaml here: the progress line loads this module in every command.
const NS = {us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9}
const SIZE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']
/** Kafka's "no limit" for a long setting (Long.MAX_VALUE), too large for a number to hold exactly. */
const LONG_MAX = '9223372036854775807'

/** Nanoseconds as Go prints a time.Duration: `2m0s`, `1h30m0s`, `1.5s`, `500ms`, `0s`. */
export function formatDurationNanos(ns: number): string {
  if (ns < 0) return `-${formatDurationNanos(-ns)}`
  if (ns === 0) return '0s'
  if (ns < NS.us) return `${decimal(ns)}ns`
  if (ns < NS.ms) return `${decimal(ns / NS.us)}µs`
  if (ns < NS.s) return `${decimal(ns / NS.ms)}ms`
  const hours = Math.floor(ns / NS.h)
  const minutes = Math.floor((ns % NS.h) / NS.m)
  const seconds = `${decimal((ns % NS.m) / NS.s)}s`
  if (hours > 0) return `${hours}h${minutes}m${seconds}`
  return minutes > 0 ? `${minutes}m${seconds}` : seconds
}

export function formatDurationMs(ms: number): string {
  return formatDurationNanos(ms * NS.ms)
}

export function formatDurationSeconds(seconds: number): string {
  return formatDurationNanos(seconds * NS.s)
}

/** Bytes in IEC units with one decimal at most (`1.5 MiB`, `2 KiB`); below 1 KiB the exact count (`512 B`). */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${bytes} B`
  let value = bytes / 1024
  let unit = 0
  while (Math.abs(Math.round(value * 10) / 10) >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${decimal(Math.round(value * 10) / 10)} ${SIZE_UNITS[unit]}`
}

/** Up to 9 decimals without trailing zeros, so float noise does not show (1.5, not 1.5000000000000002). */
function decimal(n: number): string {
  return String(Number(n.toFixed(9)))
}

type Unit = 'ns' | 'ms' | 's' | 'bytes'

interface Field {
  name: string
  unit: Unit
}

const FORMATTERS: Record<Unit, (n: number) => string> = {
  ns: formatDurationNanos,
  ms: formatDurationMs,
  s: formatDurationSeconds,
  bytes: formatBytes,
}

/** RabbitMQ queue arguments and policy keys in milliseconds. */
const AMQP_MS_KEYS = new Set(['x-message-ttl', 'x-expires', 'message-ttl', 'expires'])

/** Where dropping the unit would clash with another field: a lag row's `lag` is a message count. */
const RENAMED: Record<string, string> = {lagSeconds: 'lagAge'}

/**
 * The unit of a field by its name: `…Nanos` / `…Seconds` (the unit is dropped from the shown name: `duplicateWindow:
 * 2m0s`), Kafka's `….ms` and `….bytes` configs, RabbitMQ's TTL arguments, and sizes (`maxBytes`, `x-max-length-bytes`,
 * `maxMsgSize`).
 */
function fieldOf(key: string): Field | undefined {
  if (key in RENAMED) return {name: RENAMED[key], unit: 's'}
  const suffixed = /^(.+)(Nanos|Seconds)$/.exec(key)
  if (suffixed) return {name: suffixed[1], unit: suffixed[2] === 'Nanos' ? 'ns' : 's'}
  if (key.endsWith('.ms') || AMQP_MS_KEYS.has(key)) return {name: key, unit: 'ms'}
  if (/bytes$/i.test(key) || key === 'maxMsgSize') return {name: key, unit: 'bytes'}
  return undefined
}

/** A value in a unit for people; -1 (and Kafka's Long.MAX_VALUE, and a zero maximum age) is "unlimited". */
function humanValue(field: Field, value: unknown): unknown {
  if (value === LONG_MAX) return 'unlimited'
  const n = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n)) return value
  if (n === -1 || (n === 0 && field.unit !== 'bytes' && field.name.startsWith('max'))) return 'unlimited'
  return FORMATTERS[field.unit](n)
}

/** A copy of data with every duration and size field in human form (see fieldOf); everything else as it was. */
export function humanizeFields(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(humanizeFields)
  if (data === null || typeof data !== 'object') return data
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => {
      const field = fieldOf(key)
      const human = field ? humanValue(field, value) : value
      const clash = field !== undefined && field.name !== key && field.name in data
      return field && human !== value ? [clash ? key : field.name, human] : [key, humanizeFields(value)]
    }),
  )
}
