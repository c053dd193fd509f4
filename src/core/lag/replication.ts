// Replication shortfalls of every broker (adapter.replicaHealth: Kafka partitions, RabbitMQ quorum/stream queues
// and nodes, JetStream streams), for `lag`, `check` and the dashboard. A broker that cannot say, or has no such
// capability, is left out (its lag row says why when it cannot be read at all).
import type {BrokerAdapter, ReplicaHealth, ReplicaProblem} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'

export interface Replication {
  /** What each broker that answered looked at. */
  checked: Partial<Record<BrokerKind, ReplicaHealth['checked']>>
  problems: ReplicaProblem[]
}

export interface BrokerHealth {
  kind: BrokerKind
  health: ReplicaHealth
}

/** A connected adapter's replica health; undefined when it has none to tell or cannot say now. */
export async function healthOf(adapter: BrokerAdapter): Promise<BrokerHealth | undefined> {
  const health = await adapter.replicaHealth?.().catch(() => undefined)
  return health && {kind: adapter.kind, health}
}

export function replicationOf(answers: BrokerHealth[]): Replication {
  const checked: Replication['checked'] = {}
  const problems: ReplicaProblem[] = []
  for (const {kind, health} of answers) {
    checked[kind] = health.checked
    problems.push(...health.problems)
  }
  return {checked, problems}
}

/** One line per problem, as `lag` and `check` print them: `kafka  under-replicated  orders/2 is ...`. */
export function replicationLines(r: Replication): string[] {
  return r.problems.map((p) => `REPLICATION ${p.broker} ${p.kind}: ${p.message}`)
}
