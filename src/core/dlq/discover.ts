// DLQ discovery: the broker's own dead-letter routes (RabbitMQ dead-letter exchanges, JetStream advisory captures),
// names declared in the context, and naming patterns. A broker that fails is reported; the others are still listed.
import type {BrokerAdapter, DeadLetterRoute, MessageTimes, TargetInfo, TargetKind} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import {asMailroomError} from '../../model/errors.js'
import type {BrokerFailure} from '../services/targets.js'
import {type DlqSettings, matchesPattern, matchingPattern} from './settings.js'

export interface DlqInfo {
  broker: BrokerKind
  name: string
  kind: TargetKind
  depth?: number
  /** Age of the oldest / newest message in seconds; undefined when it cannot be known without side effects. */
  oldestAgeSeconds?: number
  newestAgeSeconds?: number
  /** Targets feeding this DLQ (from dead-letter routes, or the name with its DLQ suffix removed). */
  origins: string[]
  /** Why it is listed: 'dead-letter-exchange', 'advisory-capture', 'named', 'pattern <p>'. */
  detectedBy: string[]
}

export interface DlqListing {
  dlqs: DlqInfo[]
  failures: BrokerFailure[]
}

/** What a caller needs of each DLQ, so nothing else is read (each read is one or two broker requests per DLQ). */
export interface DiscoverOptions {
  /** Read the oldest / newest message times (Kafka: a Fetch per DLQ). Default true; `check` needs none. */
  messageTimes?: boolean
  /** Only the DLQs this accepts (by broker, name and origins) get their depth and times read and are listed. */
  concerns?: (d: Pick<DlqInfo, 'broker' | 'name' | 'origins'>) => boolean
  /**
   * A broker's targets, where the caller has them already (the dashboard's listing, taken for its overview too:
   * listing 1,000 queues or 200 topics twice cost it more than the discovery itself); default: listed here.
   */
  listTargets?: (adapter: BrokerAdapter) => Promise<TargetInfo[]>
}

export async function discoverDlqs(
  adapters: BrokerAdapter[],
  settings: DlqSettings,
  now = Date.now(),
  o: DiscoverOptions = {},
): Promise<DlqListing> {
  const results = await Promise.all(
    adapters.map(async (adapter) => {
      try {
        await adapter.connect()
        return {dlqs: await discoverOnBroker(adapter, settings, now, o)}
      } catch (error) {
        return {failure: {broker: adapter.kind, error: asMailroomError(error).toInfo()}}
      }
    }),
  )
  return {
    dlqs: results
      .flatMap((r) => r.dlqs ?? [])
      .sort((a, b) => a.broker.localeCompare(b.broker) || a.name.localeCompare(b.name)),
    failures: results.flatMap((r) => (r.failure ? [r.failure] : [])),
  }
}

async function discoverOnBroker(
  adapter: BrokerAdapter,
  settings: DlqSettings,
  now: number,
  o: DiscoverOptions,
): Promise<DlqInfo[]> {
  const [targets, routes] = await Promise.all([
    o.listTargets ? o.listTargets(adapter) : adapter.listTargets(),
    adapter.deadLetterTopology?.() ?? Promise.resolve([]),
  ])
  const names = new Set(targets.map((t) => t.name))
  const dlqs: DlqInfo[] = []
  for (const target of targets) {
    const detectedBy = reasonsListed(target, routes, settings)
    if (detectedBy.length === 0) continue
    const origins = originsOf(target.name, routes, settings.patterns, names)
    if (o.concerns && !o.concerns({broker: adapter.kind, name: target.name, origins})) continue
    dlqs.push({
      broker: adapter.kind,
      name: target.name,
      kind: target.kind,
      depth: await currentDepth(adapter, target),
      ...(o.messageTimes === false ? {} : ages(await messageTimes(adapter, target), now)),
      origins,
      detectedBy,
    })
  }
  return dlqs
}

/** Listings may come from periodic statistics (RabbitMQ management): ask the broker itself where it can say. */
async function currentDepth(adapter: BrokerAdapter, target: TargetInfo): Promise<number | undefined> {
  if (!adapter.exactDepth || target.kind === 'stream-queue') return target.depth
  try {
    return await adapter.exactDepth(target.name)
  } catch {
    return target.depth
  }
}

function reasonsListed(target: TargetInfo, routes: DeadLetterRoute[], settings: DlqSettings): string[] {
  const reasons = new Set<string>()
  for (const route of routes) {
    if (route.dlq === target.name)
      reasons.add(route.via === 'advisory-capture' ? 'advisory-capture' : 'dead-letter-exchange')
  }
  if (settings.named.includes(target.name) || settings.named.includes(`${target.broker}:${target.name}`))
    reasons.add('named')
  const pattern = matchingPattern(target.name, settings.patterns)
  if (pattern) reasons.add(`pattern ${pattern}`)
  return [...reasons]
}

/** Route origins, else the target whose name the pattern's `*` stands for (orders.DLT <- orders), if it exists. */
export function originsOf(
  name: string,
  routes: DeadLetterRoute[],
  patterns: readonly string[],
  existing: Set<string>,
): string[] {
  const fromRoutes = routes.filter((r) => r.dlq === name && r.origin !== name).map((r) => r.origin)
  if (fromRoutes.length > 0) return [...new Set(fromRoutes)].sort()
  const guesses = patterns
    .filter((p) => p.split('*').length === 2 && matchesPattern(name, p))
    .map((p) => {
      const [prefix, suffix] = p.split('*')
      return name.slice(prefix.length, name.length - suffix.length)
    })
  return [...new Set(guesses.filter((g) => g !== '' && existing.has(g)))]
}

/**
 * The first/last message times a listing already carries (JetStream stream state), else what the adapter can read
 * without side effects (Kafka record timestamps); unknown otherwise, and when reading them fails.
 */
async function messageTimes(adapter: BrokerAdapter, target: TargetInfo): Promise<MessageTimes> {
  if (!target.depth) return {}
  const listed = {first: target.details?.firstTime, last: target.details?.lastTime}
  if (listed.first !== undefined || listed.last !== undefined || !adapter.messageTimes) return listed as MessageTimes
  return adapter.messageTimes(target.name).catch(() => ({}))
}

function ages(times: MessageTimes, now: number): Pick<DlqInfo, 'oldestAgeSeconds' | 'newestAgeSeconds'> {
  const first = timeOf(times.first)
  const last = timeOf(times.last)
  return {
    ...(first === undefined ? {} : {oldestAgeSeconds: Math.max(0, Math.round((now - first) / 1000))}),
    ...(last === undefined ? {} : {newestAgeSeconds: Math.max(0, Math.round((now - last) / 1000))}),
  }
}

function timeOf(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined
  const ms = Date.parse(v)
  // JetStream reports the zero time for an empty stream.
  return Number.isNaN(ms) || ms <= 0 ? undefined : ms
}

/** 90 -> "1m30s"; undefined -> "unknown". */
export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return 'unknown'
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${pad(Math.floor((seconds % 3600) / 60))}m`
  return `${Math.floor(seconds / 86_400)}d${pad(Math.floor((seconds % 86_400) / 3600))}h`
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}
