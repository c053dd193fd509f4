// The nodes of a RabbitMQ cluster for `ping`, from the management API: name, disc/ram, running, alarms, version,
// and which of them owns the AMQP port this connection uses.
import type {ClusterNode} from '../types.js'
import type {RabbitMqEndpoint} from './endpoint.js'
import type {ManagementClient, ManagementListener, ManagementNode} from './management.js'

export async function clusterNodes(
  management: ManagementClient,
  connectedTo: RabbitMqEndpoint,
): Promise<ClusterNode[]> {
  const [nodes, listeners] = await Promise.all([management.listNodes(), management.listeners()])
  const connected = connectedNode(listeners, connectedTo)
  return nodes.map((node) => ({
    name: node.name,
    address: listenerOf(listeners, node.name, connectedTo.protocol),
    role: node.type ?? 'disc',
    version: node.applications?.find((app) => app.name === 'rabbit')?.version,
    status: node.running ? 'up' : 'down',
    alarms: alarms(node),
    ...(node.name === connected ? {connected: true} : {}),
  }))
}

function alarms(node: ManagementNode): string[] {
  return [node.mem_alarm ? 'memory' : undefined, node.disk_free_alarm ? 'disk' : undefined].filter(
    (alarm) => alarm !== undefined,
  )
}

function listenerOf(listeners: ManagementListener[], node: string, protocol: string): string | undefined {
  const found = listeners.find((l) => l.node === node && l.protocol === protocol)
  return found && `${found.ip_address.includes(':') ? `[${found.ip_address}]` : found.ip_address}:${found.port}`
}

/** The node whose AMQP listener is the endpoint's port (and address, when it listens on one): unique, or none. */
function connectedNode(listeners: ManagementListener[], endpoint: RabbitMqEndpoint): string | undefined {
  const anyAddress = new Set(['0.0.0.0', '::'])
  const matches = listeners.filter(
    (l) =>
      l.protocol === endpoint.protocol &&
      l.port === endpoint.port &&
      (anyAddress.has(l.ip_address) || l.ip_address === endpoint.hostname),
  )
  const nodes = new Set(matches.map((l) => l.node))
  return nodes.size === 1 ? [...nodes][0] : undefined
}
