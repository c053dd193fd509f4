// Dead-letter topology from the management API: which queues name a dead-letter exchange (queue arguments override
// policies), and which queues are bound to that exchange. Two requests for the whole vhost.
import type {DeadLetterRoute} from '../types.js'
import type {ManagementBinding, ManagementClient, ManagementQueue} from './management.js'

interface DeadLetterConfig {
  exchange: string
  routingKey?: string
  via: 'queue-argument' | 'policy'
}

export async function deadLetterRoutes(management: ManagementClient): Promise<DeadLetterRoute[]> {
  const [queues, bindings] = await Promise.all([management.listQueues(), management.listBindings()])
  const queueNames = new Set(queues.map((q) => q.name))
  const routes: DeadLetterRoute[] = []
  for (const queue of queues) {
    const config = deadLetterConfig(queue)
    if (!config) continue
    for (const dlq of dlqsBehind(config, bindings, queueNames)) {
      routes.push({origin: queue.name, dlq, via: config.via, exchange: config.exchange, routingKey: config.routingKey})
    }
  }
  return routes
}

export function deadLetterConfig(queue: ManagementQueue): DeadLetterConfig | undefined {
  const args = queue.arguments ?? {}
  const policy = queue.effective_policy_definition ?? {}
  const fromArgs = args['x-dead-letter-exchange']
  const fromPolicy = policy['dead-letter-exchange']
  const routingKey = stringOr(args['x-dead-letter-routing-key']) ?? stringOr(policy['dead-letter-routing-key'])
  if (typeof fromArgs === 'string') return {exchange: fromArgs, routingKey, via: 'queue-argument'}
  if (typeof fromPolicy === 'string') return {exchange: fromPolicy, routingKey, via: 'policy'}
  return undefined
}

/**
 * The queues a dead letter can reach. The default exchange routes to the queue named by the routing key. For other
 * exchanges the exchange type is not known here, so with a dead-letter routing key the bindings with that key (or a
 * wildcard / empty key, as fanout and topic exchanges use) are taken, and without one every bound queue.
 */
function dlqsBehind(config: DeadLetterConfig, bindings: ManagementBinding[], queueNames: Set<string>): string[] {
  if (config.exchange === '')
    return config.routingKey !== undefined && queueNames.has(config.routingKey) ? [config.routingKey] : []
  const bound = bindings.filter((b) => b.source === config.exchange && b.destination_type === 'queue')
  const key = config.routingKey
  const matching =
    key === undefined
      ? bound
      : bound.filter((b) => b.routing_key === key || b.routing_key === '' || /[*#]/.test(b.routing_key))
  return [...new Set(matching.map((b) => b.destination))]
}

function stringOr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}
