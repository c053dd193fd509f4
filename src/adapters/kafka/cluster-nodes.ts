// The nodes of a Kafka cluster for `ping`: the live brokers (Metadata, via describeCluster) and the KRaft controller
// quorum (DescribeQuorum: voters and the leader, which is the active controller). The controller id in Metadata is
// no help under KRaft: brokers answer with a random live broker there.
import type {Admin, Kafka} from 'kafkajs'
import type {ClusterNode} from '../types.js'
import {brokerApiVersions, clusterInternals, sharedCluster} from './kafkajs-internals.js'
import {
  decodeDescribeQuorumResponse,
  DESCRIBE_QUORUM,
  encodeDescribeQuorumRequest,
  type MetadataQuorum,
} from './protocol/describe-quorum.js'
import {sendFlexible} from './protocol/send.js'

export async function clusterNodes(kafka: Kafka, admin: Admin): Promise<ClusterNode[]> {
  const {brokers} = await admin.describeCluster()
  const quorum = await metadataQuorum(kafka, brokers[0]?.nodeId).catch(() => undefined)
  const nodes: ClusterNode[] = brokers
    .sort((a, b) => a.nodeId - b.nodeId)
    .map((b) => ({
      name: String(b.nodeId),
      address: `${b.host}:${b.port}`,
      role: roleOf(b.nodeId, quorum, 'broker'),
      status: 'up',
    }))
  // Voters that are not live brokers: dedicated controllers, or combined nodes that are down; Kafka does not say which.
  for (const id of quorum?.voters ?? []) {
    if (!brokers.some((b) => b.nodeId === id))
      nodes.push({name: String(id), role: roleOf(id, quorum), status: 'unknown'})
  }
  return nodes
}

function roleOf(id: number, quorum: MetadataQuorum | undefined, broker?: string): string {
  const controller = quorum?.voters.includes(id)
    ? quorum.leaderId === id
      ? 'controller (leader)'
      : 'controller'
    : undefined
  return [broker, controller].filter(Boolean).join(', ')
}

/** The controller quorum, asked of a broker (which forwards it); undefined when the broker does not offer the API. */
async function metadataQuorum(kafka: Kafka, nodeId: number | undefined): Promise<MetadataQuorum | undefined> {
  if (nodeId === undefined) return undefined
  const cluster = clusterInternals(await sharedCluster(kafka))
  await cluster.refreshMetadata()
  const broker = await cluster.findBroker({nodeId: String(nodeId)})
  if ((brokerApiVersions(broker, DESCRIBE_QUORUM.apiKey)?.maxVersion ?? -1) < DESCRIBE_QUORUM.apiVersion)
    return undefined
  const quorum = await sendFlexible(
    broker,
    DESCRIBE_QUORUM,
    encodeDescribeQuorumRequest(),
    decodeDescribeQuorumResponse,
  )
  return quorum.errorCode === 0 ? quorum : undefined
}
