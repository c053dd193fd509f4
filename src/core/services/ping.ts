// Connects to each broker of a context and reports version, latency and capabilities, or why it is down.
import type {BrokerAdapter, Capabilities, ClusterNode} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import {type MailroomErrorInfo, asMailroomError} from '../../model/errors.js'

export interface PingRow {
  broker: BrokerKind
  up: boolean
  product?: string
  version?: string
  latencyMs?: number
  capabilities?: string[]
  /** host:port of the node the connection went to (a cluster's nodes are tried in turn). */
  address?: string
  /** Every node of the broker's cluster as it reports them (one for a single broker). */
  nodes?: ClusterNode[]
  error?: MailroomErrorInfo
}

export function capabilityNames(c: Capabilities): string[] {
  return Object.entries(c)
    .filter(([, on]) => on)
    .map(([name]) => name)
}

export async function pingBroker(adapter: BrokerAdapter): Promise<PingRow> {
  try {
    await adapter.connect()
    const info = await adapter.serverInfo()
    return {
      broker: adapter.kind,
      up: true,
      product: info.product,
      version: info.version,
      latencyMs: Math.round(info.latencyMs * 10) / 10,
      capabilities: capabilityNames(adapter.capabilities),
      ...(info.address === undefined ? {} : {address: info.address}),
      ...(info.nodes === undefined ? {} : {nodes: info.nodes}),
    }
  } catch (error) {
    return {broker: adapter.kind, up: false, error: asMailroomError(error).toInfo()}
  } finally {
    await adapter.close()
  }
}
