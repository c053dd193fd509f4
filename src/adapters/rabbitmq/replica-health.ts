// Quorum and stream queues short of replicas, and nodes down or in alarm, from two management requests (the same
// answers `rabbitmq-queues check_if_node_is_quorum_critical` and `rabbitmq-diagnostics alarms` read): a queue with
// fewer members than its target, members offline, or no leader online.
import type {ReplicaHealth, ReplicaProblem} from '../types.js'
import type {ManagementClient, ManagementNode, ManagementQueue} from './management.js'

/** RabbitMQ places a quorum queue on 3 nodes by default (4.x) or on every node (3.x): never fewer than min(nodes, 3). */
const DEFAULT_TARGET = 3

export async function queueHealth(management: ManagementClient): Promise<ReplicaHealth> {
  const [queues, nodes] = await Promise.all([management.listQueues(), management.listNodes()])
  const replicated = queues.filter((q) => q.type === 'quorum' || q.type === 'stream')
  const problems = [...nodes.flatMap(nodeProblems), ...replicated.flatMap((q) => queueProblems(q, nodes.length))]
  return {checked: {queues: replicated.length, nodes: nodes.length}, problems}
}

function nodeProblems(node: ManagementNode): ReplicaProblem[] {
  if (!node.running)
    return [{broker: 'rabbitmq', kind: 'node-down', node: node.name, message: `node ${node.name} is not running`}]
  const alarms = [node.mem_alarm ? 'memory' : undefined, node.disk_free_alarm ? 'disk' : undefined].filter(
    (a) => a !== undefined,
  )
  return alarms.length
    ? [
        {
          broker: 'rabbitmq',
          kind: 'node-alarm',
          node: node.name,
          message: `node ${node.name} is in ${alarms.join(' and ')} alarm: publishers are blocked`,
        },
      ]
    : []
}

function queueProblems(q: ManagementQueue, nodeCount: number): ReplicaProblem[] {
  const members = q.members ?? []
  const online = (q.online ?? []).filter((n) => members.includes(n))
  const replicas = Math.max(members.length, targetOf(q, nodeCount))
  const base = {broker: 'rabbitmq' as const, target: q.name, replicas, inSync: online.length}
  const problems: ReplicaProblem[] = []
  if (!q.leader || !online.includes(q.leader))
    problems.push({...base, kind: 'no-leader', message: `${q.type} queue ${q.name} has no leader online`})
  if (online.length < replicas) {
    const offline = members.filter((n) => !online.includes(n))
    const why = [
      offline.length ? `offline: ${offline.join(', ')}` : '',
      members.length < replicas ? `${replicas - members.length} member(s) never placed or removed` : '',
    ]
      .filter(Boolean)
      .join('; ')
    problems.push({
      ...base,
      kind: 'below-target',
      message: `${q.type} queue ${q.name} has ${online.length} of ${replicas} members online (${why})`,
    })
  }
  return problems
}

/** The queue's target member count: its x-quorum-initial-group-size, a policy's target-group-size, or the default. */
function targetOf(q: ManagementQueue, nodeCount: number): number {
  const args = q.arguments ?? {}
  const explicit = Number(
    args['x-quorum-initial-group-size'] ??
      args['x-initial-cluster-size'] ??
      q.effective_policy_definition?.['target-group-size'],
  )
  const wanted = Number.isInteger(explicit) && explicit > 0 ? explicit : DEFAULT_TARGET
  return Math.min(wanted, Math.max(nodeCount, 1))
}
