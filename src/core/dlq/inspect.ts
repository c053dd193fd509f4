// The inspect summary: dead letters grouped by origin, reason and error, with counts and first/last time.
import type {Envelope} from '../../model/envelope/types.js'

export interface DeathGroup {
  origin: string
  reason: string
  error: string
  count: number
  firstTime?: string
  lastTime?: string
}

const ERROR_TEXT_MAX = 120

export class DeathSummary {
  private readonly groups = new Map<string, DeathGroup>()
  total = 0
  withoutDeath = 0

  add(e: Envelope): void {
    this.total++
    if (!e.death) this.withoutDeath++
    const origin = originLabel(e)
    const reason = e.death?.reason ?? (e.death ? 'unknown' : 'no death record')
    const error = errorLabel(e)
    const key = JSON.stringify([origin, reason, error])
    const group = this.groups.get(key) ?? {origin, reason, error, count: 0}
    group.count++
    const time = deathTime(e)
    if (time !== undefined) {
      if (group.firstTime === undefined || time < group.firstTime) group.firstTime = time
      if (group.lastTime === undefined || time > group.lastTime) group.lastTime = time
    }
    this.groups.set(key, group)
  }

  /** Largest groups first. */
  rows(): DeathGroup[] {
    return [...this.groups.values()].sort(
      (a, b) => b.count - a.count || a.origin.localeCompare(b.origin) || a.reason.localeCompare(b.reason),
    )
  }
}

export function originLabel(e: Envelope): string {
  const o = e.death?.origin
  if (!o) return '-'
  const name = o.target ?? o.exchange ?? o.subject ?? '?'
  return o.broker ? `${o.broker}:${name}` : name
}

/** The origin with the position the message had there (Kafka partition/offset, JetStream sequence), where known. */
export function originPosition(e: Envelope): string {
  const o = e.death?.origin
  if (o?.partition !== undefined && o.offset !== undefined) return `${originLabel(e)}/${o.partition}/${o.offset}`
  if (o?.sequence !== undefined) return `${originLabel(e)}/${o.sequence}`
  return originLabel(e)
}

/** What failed, in full: the component that was running (Kafka Connect) first, then the exception and its message. */
export function errorText(e: Envelope): string {
  const err = e.death?.error
  if (!err) return '-'
  const exception = [err.class, err.message].filter(Boolean).join(': ')
  return (err.component ? `in ${err.component}${exception ? `: ${exception}` : ''}` : exception) || '-'
}

function errorLabel(e: Envelope): string {
  const text = errorText(e)
  return text.length > ERROR_TEXT_MAX ? `${text.slice(0, ERROR_TEXT_MAX - 1)}…` : text
}

/** When the message died, as best known: the death record's times, else the message's own timestamp. */
export function deathTime(e: Envelope): string | undefined {
  return normaliseTime(e.death?.lastTime ?? e.death?.firstTime ?? e.timestamp)
}

function normaliseTime(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? text : new Date(ms).toISOString()
}
