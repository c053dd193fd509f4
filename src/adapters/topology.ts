// The broker objects a demo scenario needs, declared as data. Each adapter folder has a small demo-topology.ts
// that creates and removes them (the adapters themselves do not manage topology), reached through the registry.
import type {ConnectionSettings} from '../model/settings.js'

export interface RabbitMqTopology {
  exchanges: {name: string; type: 'direct' | 'topic' | 'fanout'}[]
  queues: {name: string; arguments?: Record<string, unknown>}[]
  bindings: {exchange: string; queue: string; routingKey: string}[]
}

export interface KafkaTopology {
  topics: {name: string; partitions: number}[]
  /** Consumer groups the scenario commits for (removed by `demo down`). */
  groups: string[]
}

export interface NatsTopology {
  streams: {name: string; subjects: string[]}[]
  consumers: {stream: string; durable: string; maxDeliver: number; ackWaitMs: number; filterSubject?: string}[]
}

export interface TopologyDriver<T> {
  /** Creates what is missing; objects that already exist are left as they are. */
  apply(topology: T): Promise<void>
  /** Removes what exists; returns the names removed. Absent objects are not an error. */
  remove(topology: T): Promise<string[]>
}

export type TopologyDriverFactory<T> = (settings: ConnectionSettings) => TopologyDriver<T>
