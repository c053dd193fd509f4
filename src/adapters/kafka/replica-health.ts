// Partitions whose replication falls short, from one Metadata request: under-replicated (fewer in-sync replicas
// than replicas, what `kafka-topics --describe --under-replicated-partitions` lists) and offline (no leader,
// `--unavailable-partitions`).
import type {Admin} from 'kafkajs'

import type {ReplicaHealth, ReplicaProblem} from '../types.js'
import {idempotentRead} from './topics.js'

/** @param admin what lists every topic's partitions: the admin client, or topicMetadataInOneRequest (one request, not two). */
export async function partitionHealth(admin: Pick<Admin, 'fetchTopicMetadata'>): Promise<ReplicaHealth> {
  const {topics} = await idempotentRead(() => admin.fetchTopicMetadata())
  const problems: ReplicaProblem[] = []
  let partitions = 0
  for (const t of topics) {
    for (const p of t.partitions) {
      partitions++
      const base = {
        broker: 'kafka' as const,
        target: t.name,
        partition: p.partitionId,
        replicas: p.replicas.length,
        inSync: p.isr.length,
      }
      if (p.leader < 0)
        problems.push({
          ...base,
          kind: 'offline',
          message: `${t.name}/${p.partitionId} is offline: no leader (replicas ${p.replicas.join(',')}, in sync ${p.isr.join(',') || 'none'})`,
        })
      else if (p.isr.length < p.replicas.length) {
        problems.push({
          ...base,
          kind: 'under-replicated',
          message: `${t.name}/${p.partitionId} is under-replicated: ${p.isr.length} of ${p.replicas.length} replicas in sync (missing ${p.replicas.filter((r) => !p.isr.includes(r)).join(',')})`,
        })
      }
    }
  }
  return {
    checked: {partitions},
    problems: problems.sort((a, b) => a.target!.localeCompare(b.target!) || a.partition! - b.partition!),
  }
}
