// A kafkajs admin client that survives deleted topics. kafkajs remembers every topic an admin has asked offsets
// for and refreshes metadata for all of them together, so once one of them is deleted every later call that
// refreshes metadata (offsets, but also listing and describing groups) fails with UNKNOWN_TOPIC_OR_PARTITION.
// When that happens, the admin is replaced (it forgets the deleted topic) and the call made again, unless the call
// asked about that very topic and it is gone: then the NOT_FOUND is the answer.
import type {Admin, Kafka} from 'kafkajs'
import {isUnknownTopic, rootCause} from './map-error.js'

/** Admin calls that go through the remembered topic list, and how to find the topic in their arguments. */
const TOPIC_TRACKING_CALLS: Record<string, (args: unknown[]) => string | undefined> = {
  fetchTopicOffsets: (args) => args[0] as string,
  fetchTopicOffsetsByTimestamp: (args) => args[0] as string,
  describeConfigs: (args) => (args[0] as {resources?: {name?: string}[]}).resources?.[0]?.name,
}
/** Reads about groups and the cluster, which refresh the metadata of every remembered topic first. */
const REFRESHING_READS = new Set(['listGroups', 'describeGroups', 'fetchOffsets', 'listTopics', 'describeCluster'])

export class AdminHandle {
  private current: Admin
  private renewing?: Promise<void>
  /** Use this in place of a kafkajs Admin: it always calls the current client. */
  readonly admin: Admin

  constructor(private readonly kafka: Kafka) {
    this.current = kafka.admin()
    this.admin = new Proxy({} as Admin, {
      get: (_, name: string) => {
        const topicOf = TOPIC_TRACKING_CALLS[name]
        if (topicOf) return (...args: unknown[]) => this.renewingCall(name, topicOf(args), args)
        if (REFRESHING_READS.has(name)) return (...args: unknown[]) => this.renewingCall(name, undefined, args)
        const value = (this.current as unknown as Record<string, unknown>)[name]
        return typeof value === 'function' ? value.bind(this.current) : value
      },
    })
  }

  connect(): Promise<void> {
    return this.current.connect()
  }

  disconnect(): Promise<void> {
    return this.current.disconnect()
  }

  private async renewingCall(name: string, topic: string | undefined, args: unknown[]): Promise<unknown> {
    const call = () => (this.current as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name](...args)
    try {
      return await call()
    } catch (e) {
      // These calls only read, so a dropped connection (kafkajs closes it while the cluster forgets a deleted
      // topic) is retried once on a fresh client too.
      if (!isDroppedConnection(e) && !isUnknownTopic(e)) throw e
      const gone = isUnknownTopic(e) && topic !== undefined && !(await this.topicExists(topic))
      await this.renew()
      if (gone) throw e
      return call()
    }
  }

  /** Metadata for named topics does not go through the remembered topic list, so it tells the truth. */
  private async topicExists(topic: string): Promise<boolean> {
    try {
      await this.current.fetchTopicMetadata({topics: [topic]})
      return true
    } catch {
      return false
    }
  }

  private renew(): Promise<void> {
    this.renewing ??= (async () => {
      const stale = this.current
      const fresh = this.kafka.admin()
      await fresh.connect()
      this.current = fresh
      await stale.disconnect().catch(() => undefined)
    })().finally(() => (this.renewing = undefined))
    return this.renewing
  }
}

function isDroppedConnection(e: unknown): boolean {
  const err = rootCause(e) as {name?: string}
  return err.name === 'KafkaJSConnectionError'
}
