// Lists targets across the brokers of a context; a broker that fails is reported, the others still listed.
import type {BrokerAdapter, TargetInfo} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import {type MailroomErrorInfo, asMailroomError} from '../../model/errors.js'

export interface BrokerFailure {
  broker: BrokerKind
  error: MailroomErrorInfo
}

export interface TargetListing {
  targets: TargetInfo[]
  failures: BrokerFailure[]
}

export async function listAllTargets(adapters: BrokerAdapter[]): Promise<TargetListing> {
  return combineListings(adapters, adapters.map(listTargetsOf))
}

/** One broker's targets (connecting first); rejects when the broker cannot be read. */
export async function listTargetsOf(adapter: BrokerAdapter): Promise<TargetInfo[]> {
  await adapter.connect()
  return adapter.listTargets()
}

/** The listing of each broker's targets (`each`, one per adapter, as listTargetsOf answers), sorted, with failures. */
export async function combineListings(
  adapters: BrokerAdapter[],
  each: Promise<TargetInfo[]>[],
): Promise<TargetListing> {
  const results = await Promise.all(
    adapters.map(async (adapter, i) => {
      try {
        return {targets: await each[i]}
      } catch (error) {
        return {failure: {broker: adapter.kind, error: asMailroomError(error).toInfo()}}
      }
    }),
  )
  return {
    targets: results
      .flatMap((r) => r.targets ?? [])
      .sort((a, b) => a.broker.localeCompare(b.broker) || a.name.localeCompare(b.name)),
    failures: results.flatMap((r) => (r.failure ? [r.failure] : [])),
  }
}

/** What a listing or a description says of a target with partitions that have no leader: its depth is unknown. */
export function offlinePartitionsWarning(t: TargetInfo): string | undefined {
  if (!t.offlinePartitions) return undefined
  return `${t.broker}:${t.name}: partition(s) ${t.offlinePartitions.join(',')} offline (no leader): depth unknown; \`mailroom check\` shows the cluster's replication`
}

/** How many messages a target holds, for a progress line's total: undefined when the broker cannot say cheaply. */
export async function targetDepth(adapter: BrokerAdapter, name: string): Promise<number | undefined> {
  try {
    return (await adapter.describeTarget(name)).depth
  } catch {
    return undefined
  }
}
