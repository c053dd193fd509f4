// The one door to kafkajs internals: the cluster client it builds for its own consumers, and a broker's
// authenticated connection pool. kafkajs is unmaintained and these are not its public API, so mailroom depends on
// exactly one version: the bundle's build checks the kafkajs it bundles (scripts/kafkajs-bundled.mjs), and running
// from the compiled sources, kafkajs-files.ts checks the installed one before any patch is applied; both fail loudly,
// naming the version found.
import type {Broker, Cluster, Kafka} from 'kafkajs'

export const PINNED_KAFKAJS_VERSION = '2.2.4'

/** Throws unless `found` is the pinned version; the message names both and where kafkajs was found. */
export function checkKafkajsVersion(found: string | undefined, where: string): void {
  if (found === PINNED_KAFKAJS_VERSION) return
  throw new Error(
    `mailroom needs kafkajs ${PINNED_KAFKAJS_VERSION} exactly (it reaches into kafkajs internals), but kafkajs ${found ?? '(unknown version)'} is installed at ${where}. ` +
      `Install kafkajs@${PINNED_KAFKAJS_VERSION} (npm ci with mailroom's package-lock.json).`,
  )
}

const CREATE_CLUSTER = 'private:Kafka:createCluster'

type ClusterFactory = (o: {allowAutoTopicCreation: boolean; metadataMaxAge?: number}) => Cluster

/** The factory kafkajs's own consumers and admin use to build their cluster client. */
export function clusterFactory(kafka: Kafka): ClusterFactory {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === CREATE_CLUSTER)
  const factory = symbol && (kafka as unknown as Record<symbol, unknown>)[symbol]
  if (typeof factory !== 'function')
    throw new Error(`kafkajs ${PINNED_KAFKAJS_VERSION} should expose ${CREATE_CLUSTER}, and does not`)
  return factory as ClusterFactory
}

/** What a cluster client holds beyond kafkajs's published typings. */
export interface ClusterInternals {
  brokerPool: {brokers: Record<string, unknown>}
  refreshMetadata(): Promise<void>
  findBroker(o: {nodeId: string}): Promise<Broker>
  findGroupCoordinator(o: {groupId: string}): Promise<Broker>
}

export function clusterInternals(cluster: Cluster): ClusterInternals {
  return cluster as unknown as ClusterInternals
}

/** A request in kafkajs's shape: its connection writes the v1 header (api key, version, correlation id, client id). */
export interface ProtocolRequest<T> {
  request: {apiKey: number; apiVersion: number; apiName: string; encode(): Promise<{buf: Buffer; buffer: Buffer}>}
  response: {decode(payload: Buffer): Promise<T>; parse(decoded: T): Promise<T>}
  requestTimeout?: number
}

interface BrokerInternals {
  versions: Record<number, {minVersion: number; maxVersion: number}> | null
  connectionPool: {send<T>(r: ProtocolRequest<T>): Promise<T>}
}

/** The versions of an API the broker announced (ApiVersions, read by kafkajs on connect); undefined when none. */
export function brokerApiVersions(
  broker: Broker,
  apiKey: number,
): {minVersion: number; maxVersion: number} | undefined {
  return (broker as unknown as BrokerInternals).versions?.[apiKey]
}

/** Sends a request over the broker's authenticated connection (the one kafkajs uses for everything but Fetch). */
export function sendOverBroker<T>(broker: Broker, request: ProtocolRequest<T>): Promise<T> {
  return (broker as unknown as BrokerInternals).connectionPool.send(request)
}

const sharedClusters = new WeakMap<Kafka, Promise<Cluster>>()

/**
 * One cluster client per Kafka client for the requests mailroom sends itself (offset commits without joining a
 * group, group listings and descriptions); connected on first use, closed by closeSharedCluster.
 */
export function sharedCluster(kafka: Kafka): Promise<Cluster> {
  let cluster = sharedClusters.get(kafka)
  if (!cluster) {
    const created = clusterFactory(kafka)({allowAutoTopicCreation: false})
    cluster = created.connect().then(() => created)
    cluster.catch(() => sharedClusters.delete(kafka))
    sharedClusters.set(kafka, cluster)
  }
  return cluster
}

export async function closeSharedCluster(kafka: Kafka): Promise<void> {
  const cluster = sharedClusters.get(kafka)
  if (!cluster) return
  sharedClusters.delete(kafka)
  await (await cluster.catch(() => undefined))?.disconnect().catch(() => undefined)
}
