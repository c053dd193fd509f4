// Management API queue objects -> TargetInfo.
import type {TargetInfo, TargetKind} from '../types.js'
import type {ManagementQueue} from './management.js'
import {defined} from '../../model/defined.js'

const KIND_BY_TYPE: Record<string, TargetKind> = {
  classic: 'classic-queue',
  quorum: 'quorum-queue',
  stream: 'stream-queue',
}

export function kindOf(q: ManagementQueue): TargetKind {
  return KIND_BY_TYPE[q.type ?? 'classic'] ?? 'classic-queue'
}

export function targetInfoFromQueue(q: ManagementQueue): TargetInfo {
  return {
    broker: 'rabbitmq',
    name: q.name,
    kind: kindOf(q),
    ...defined({depth: q.messages, consumers: q.consumers}),
    details: {
      type: q.type ?? 'classic',
      ...defined({
        state: q.state,
        durable: q.durable,
        autoDelete: q.auto_delete,
        exclusive: q.exclusive,
        ready: q.messages_ready,
        unacked: q.messages_unacknowledged,
        policy: q.policy ?? undefined,
      }),
      arguments: q.arguments ?? {},
      effectivePolicy: q.effective_policy_definition ?? {},
      rates: ratesOf(q),
    },
  }
}

function ratesOf(q: ManagementQueue): {publishRate?: number; deliverRate?: number; ackRate?: number} {
  const stats = q.message_stats ?? {}
  return defined({
    publishRate: rate(stats, 'publish_details'),
    deliverRate: rate(stats, 'deliver_get_details'),
    ackRate: rate(stats, 'ack_details'),
  })
}

export function rate(stats: Record<string, unknown>, field: string): number | undefined {
  const details = stats[field] as {rate?: unknown} | undefined
  return typeof details?.rate === 'number' ? details.rate : undefined
}
