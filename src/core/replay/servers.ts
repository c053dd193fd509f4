// Which servers a replay job talks to, recorded in its journal so that --resume cannot quietly continue against
// another one (a staging context, a different cluster with the same queue names). Never a secret: the context's
// name and, per broker, a hash of its normalized address (host:port, vhost) without user or password.
import {createHash} from 'node:crypto'

import type {BrokerKind} from '../../model/broker.js'
import {MailroomError} from '../../model/errors.js'
import type {ConnectionSettings} from '../../model/settings.js'
import type {ReplayRequest} from './types.js'

export interface ContextServers {
  /** The context's name; null for the built-in local defaults. */
  context: string | null
  /** Per broker the job uses, `sha256:<16 hex>` of its normalized address. */
  fingerprints: Partial<Record<BrokerKind, string>>
}

export interface ServerIdentity extends ContextServers {
  /** The destination's servers when they are in another context (`--to-context`). */
  destination?: ContextServers
}

/** The identity of the servers a job's brokers resolve to in these settings (and the destination context's). */
export function serverIdentity(
  context: string | undefined,
  settings: ConnectionSettings,
  request: ReplayRequest,
  destinationSettings?: ConnectionSettings,
): ServerIdentity {
  const sourceBroker = request.source.broker
  const destinationBroker = request.to?.broker ?? sourceBroker
  if (request.toContext === undefined || !destinationSettings) {
    return {context: context ?? null, fingerprints: fingerprintsOf([sourceBroker, destinationBroker], settings)}
  }
  return {
    context: context ?? null,
    fingerprints: fingerprintsOf([sourceBroker], settings),
    destination: {context: request.toContext, fingerprints: fingerprintsOf([destinationBroker], destinationSettings)},
  }
}

function fingerprintsOf(kinds: BrokerKind[], settings: ConnectionSettings): Partial<Record<BrokerKind, string>> {
  const fingerprints: Partial<Record<BrokerKind, string>> = {}
  for (const kind of new Set(kinds)) {
    const address = normalizedAddress(kind, settings)
    if (address !== undefined)
      fingerprints[kind] = `sha256:${createHash('sha256').update(address).digest('hex').slice(0, 16)}`
  }
  return fingerprints
}

/** What names a server, without credentials: scheme, lower-case host, port (defaulted) and vhost. */
export function normalizedAddress(kind: BrokerKind, settings: ConnectionSettings): string | undefined {
  try {
    return parsedAddress(kind, settings)
  } catch {
    // Not a URL the parser takes (the connection would have failed first): the setting as written, still hashed.
    const s = settings[kind]
    return s && JSON.stringify('url' in s ? s.url : s.brokers).toLowerCase()
  }
}

function parsedAddress(kind: BrokerKind, settings: ConnectionSettings): string | undefined {
  switch (kind) {
    case 'rabbitmq': {
      const s = settings.rabbitmq
      if (!s) return undefined
      const urls = s.url.split(',').map((one) => new URL(one.trim()))
      const tls = urls[0].protocol === 'amqps:'
      const vhost = s.vhost ?? (urls[0].pathname.length > 1 ? decodeURIComponent(urls[0].pathname.slice(1)) : '/')
      return `${tls ? 'amqps' : 'amqp'}://${sortedHosts(urls, tls ? 5671 : 5672)}/${vhost}`
    }
    case 'kafka':
      return settings.kafka
        ? sortedHosts(
            settings.kafka.brokers.map((b) => new URL(`kafka://${b.trim()}`)),
            9092,
          )
        : undefined
    case 'nats':
      return settings.nats
        ? sortedHosts(
            settings.nats.url.split(',').map((u) => new URL(withScheme(u.trim()))),
            4222,
          )
        : undefined
  }
}

function hostPort(url: URL, defaultPort: number): string {
  return `${url.hostname.toLowerCase()}:${url.port || defaultPort}`
}

function sortedHosts(urls: URL[], defaultPort: number): string {
  return urls
    .map((u) => hostPort(u, defaultPort))
    .sort()
    .join(',')
}

function withScheme(server: string): string {
  return server.includes('://') ? server : `nats://${server}`
}

/**
 * Compares the servers a resume would use with those the job started with. A difference is refused (USAGE)
 * unless `force`; then, like a journal that recorded none (older versions), it is a warning for the user.
 */
export function checkResumeServers(
  replayId: string,
  recorded: ServerIdentity | undefined,
  now: ServerIdentity,
  force: boolean,
): string | undefined {
  if (!recorded)
    return `replay ${replayId} was journaled without its servers (an older mailroom): cannot check that this resume uses the same ones`
  const differences = describeDifferences(recorded, now)
  if (differences.length === 0) return undefined
  const what = `replay ${replayId} started against ${differences.join(' and ')}`
  if (force) return `${what}; resuming anyway (--force)`
  throw new MailroomError('USAGE', `${what}: resuming would replay to a different server`, {
    suggestions: [
      recorded.context === null
        ? 'Resume without --context / MAILROOM_CONTEXT, as the replay was started'
        : `Resume with the context it started with: --context ${recorded.context}`,
      'Or pass --force to resume against these servers anyway',
    ],
  })
}

function describeDifferences(recorded: ServerIdentity, now: ServerIdentity): string[] {
  const out = contextDifferences(recorded, now, '')
  if (recorded.destination) {
    out.push(
      ...contextDifferences(recorded.destination, now.destination ?? {context: null, fingerprints: {}}, 'destination '),
    )
  }
  return out
}

function contextDifferences(recorded: ContextServers, now: ContextServers, role: string): string[] {
  const out: string[] = []
  if (recorded.context !== now.context)
    out.push(`${role}${contextLabel(recorded.context)}, not ${contextLabel(now.context)}`)
  for (const [kind, fingerprint] of Object.entries(recorded.fingerprints)) {
    const current = now.fingerprints[kind as BrokerKind]
    if (current !== fingerprint) out.push(`the ${role}${kind} server ${fingerprint}, not ${current ?? 'none'}`)
  }
  return out
}

function contextLabel(context: string | null): string {
  return context === null ? 'the local defaults' : `context "${context}"`
}
