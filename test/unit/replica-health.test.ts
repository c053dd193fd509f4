// What counts as a replication shortfall, per broker, from the answers each broker gives (Kafka metadata, the
// RabbitMQ management API's queues and nodes, JetStream stream info); the cluster test checks them against real
// clusters with a node killed.
import type {Admin} from 'kafkajs'
import type {StreamInfo} from 'nats'
import {describe, expect, it} from 'vitest'

import {partitionHealth} from '../../src/adapters/kafka/replica-health.js'
import {streamHealth} from '../../src/adapters/nats/replica-health.js'
import type {ManagementClient, ManagementNode, ManagementQueue} from '../../src/adapters/rabbitmq/management.js'
import {queueHealth} from '../../src/adapters/rabbitmq/replica-health.js'
import {findBreaches} from '../../src/core/lag/check.js'

describe('Kafka partitions', () => {
  it('under-replicated when the ISR is smaller than the replicas, offline without a leader; healthy ones are only counted', async () => {
    const partitions = [
      {partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3]},
      {partitionErrorCode: 0, partitionId: 1, leader: 2, replicas: [2, 3, 1], isr: [2, 1]},
      {partitionErrorCode: 0, partitionId: 2, leader: -1, replicas: [3], isr: []},
    ]
    const admin = {fetchTopicMetadata: async () => ({topics: [{name: 'orders', partitions}]})} as unknown as Admin
    const health = await partitionHealth(admin)
    expect(health.checked).toEqual({partitions: 3})
    expect(health.problems).toEqual([
      expect.objectContaining({
        kind: 'under-replicated',
        target: 'orders',
        partition: 1,
        replicas: 3,
        inSync: 2,
        message: expect.stringContaining('missing 3'),
      }),
      expect.objectContaining({
        kind: 'offline',
        target: 'orders',
        partition: 2,
        message: expect.stringContaining('no leader'),
      }),
    ])
  })
})

describe('RabbitMQ quorum and stream queues, nodes', () => {
  const nodes: ManagementNode[] = [
    {name: 'r1', running: true},
    {name: 'r2', running: true, disk_free_alarm: true},
    {name: 'r3', running: false},
  ]
  const management = (queues: ManagementQueue[]) =>
    ({listQueues: async () => queues, listNodes: async () => nodes}) as unknown as ManagementClient

  it('a member offline, too few members for the target, no leader online; nodes down or in alarm; classic queues ignored', async () => {
    const health = await queueHealth(
      management([
        {name: 'ok', type: 'quorum', members: ['r1', 'r2', 'r3'], online: ['r1', 'r2', 'r3'], leader: 'r1'},
        {name: 'one-down', type: 'quorum', members: ['r1', 'r2', 'r3'], online: ['r1', 'r2'], leader: 'r1'},
        {
          name: 'small',
          type: 'quorum',
          members: ['r1', 'r2'],
          online: ['r1', 'r2'],
          leader: 'r2',
          arguments: {'x-quorum-initial-group-size': 3},
        },
        {
          name: 'leaderless',
          type: 'stream',
          members: ['r3'],
          online: [],
          leader: 'r3',
          arguments: {'x-initial-cluster-size': 1},
        },
        {name: 'classic', type: 'classic'},
      ]),
    )
    expect(health.checked).toEqual({queues: 4, nodes: 3})
    const brief = health.problems.map((p) => [p.kind, p.target ?? p.node, p.inSync, p.replicas])
    expect(brief).toEqual([
      ['node-alarm', 'r2', undefined, undefined],
      ['node-down', 'r3', undefined, undefined],
      ['below-target', 'one-down', 2, 3],
      ['below-target', 'small', 2, 3],
      ['no-leader', 'leaderless', 0, 1],
      ['below-target', 'leaderless', 0, 1],
    ])
  })
})

describe('JetStream streams', () => {
  const info = (name: string, replicas: number, cluster: unknown) =>
    ({config: {name, num_replicas: replicas}, cluster}) as unknown as StreamInfo

  it('replicas offline or not current, missing, or no leader; R1 streams are not looked at', () => {
    const health = streamHealth([
      info('R1', 1, {name: 'c', leader: 'n1'}),
      info('OK', 3, {
        name: 'c',
        leader: 'n1',
        replicas: [
          {name: 'n2', current: true, active: 1},
          {name: 'n3', current: true, active: 1},
        ],
      }),
      info('DOWN', 3, {
        name: 'c',
        leader: 'n1',
        replicas: [
          {name: 'n2', current: true, active: 1},
          {name: 'n3', current: false, offline: true, active: 1},
        ],
      }),
      info('HEADLESS', 3, {name: 'c', replicas: [{name: 'n2', current: true, active: 1}]}),
    ])
    expect(health.checked).toEqual({streams: 3})
    expect(health.problems.map((p) => [p.kind, p.target, p.inSync])).toEqual([
      ['under-replicated', 'DOWN', 2],
      ['no-leader', 'HEADLESS', 1],
      ['under-replicated', 'HEADLESS', 1],
    ])
    expect(health.problems[0]!.message).toContain('n3 (offline)')
    expect(health.problems[2]!.message).toContain('2 missing')
  })
})

describe('check --require-replicas', () => {
  it('is not one of the row thresholds: findBreaches leaves replication to runCheck', () => {
    expect(findBreaches([], [], {requireReplicas: true})).toEqual([])
  })
})
