// Part of cluster.test.ts (every node up: it runs between the other parts, never beside a node-failure trial).
// `dlq replay --to-context`: a DLQ of the single RabbitMQ drained into a quorum queue of the three-node cluster, a
// context of its own listing every node; the cluster's management API says what arrived.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf} from '../helpers/cli.js'
import {
  CLUSTER_START_TIMEOUT_MS,
  ensureCluster,
  rabbitManagement,
  rabbitmqManagementUrls,
  rabbitmqUrls,
} from '../helpers/cluster.js'
import {
  rabbitConsumersGone,
  rabbitDeadLetters,
  rabbitDelete,
  rabbitIds,
  runCliWithState,
  stateHome,
} from '../integration/replay-fixtures.js'

const GUEST = {
  authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
  'content-type': 'application/json',
}
const env = {CLUSTER_RABBIT_PASSWORD: 'guest', SINGLE_RABBIT_PASSWORD: 'guest'}

beforeAll(() => ensureCluster('rabbitmq-cluster'), CLUSTER_START_TIMEOUT_MS)

/** A state home whose config holds the single RabbitMQ (current) and the cluster, every node listed. */
function stateWithContexts(): string {
  const state = stateHome()
  mkdirSync(join(state, 'config', 'mailroom'), {recursive: true, mode: 0o700})
  const contexts = {
    single: {rabbitmq: {url: 'amqp://127.0.0.1:5672/%2F', username: 'guest', passwordEnv: 'SINGLE_RABBIT_PASSWORD'}},
    cluster: {
      rabbitmq: {
        urls: rabbitmqUrls.map((u) => u.replace('guest:guest@', '')),
        managementUrls: rabbitmqManagementUrls,
        username: 'guest',
        passwordEnv: 'CLUSTER_RABBIT_PASSWORD',
      },
    },
  }
  writeFileSync(join(state, 'config', 'mailroom', 'config.yaml'), stringify({currentContext: 'single', contexts}), {
    mode: 0o600,
  })
  return state
}

describe('dlq replay --to-context into a cluster', () => {
  it(
    'drains a DLQ of the single RabbitMQ into a quorum queue of the three-node cluster (another context): all of it, once',
    async () => {
      const [work, dlq, dest] = [
        uniqueName('cluster-cc-work'),
        uniqueName('cluster-cc-dlq'),
        uniqueName('cluster-cc-quorum'),
      ]
      await fetch(`${rabbitmqManagementUrls[0]}/api/queues/%2F/${dest}`, {
        method: 'PUT',
        headers: GUEST,
        body: JSON.stringify({durable: true, arguments: {'x-queue-type': 'quorum'}}),
      })
      try {
        const ids = await rabbitDeadLetters(work, dlq, 50)
        const state = stateWithContexts()
        const r = await runCliWithState(
          [
            'dlq',
            'replay',
            `rabbitmq:${dlq}`,
            '--to',
            `rabbitmq:${dest}`,
            '--to-context',
            'cluster',
            '--yes',
            '--json',
          ],
          state,
          env,
        )
        expect(r.code, r.stderr).toBe(0)
        expect(jsonOf(r).result).toMatchObject({toContext: 'cluster', counts: {replayed: 50}})
        const held = await waitFor(
          async () => {
            const q = await rabbitManagement<{messages?: number; type: string; members?: string[]}>(
              1,
              `/api/queues/%2F/${dest}`,
            )
            return q.messages === 50 ? q : undefined
          },
          {timeoutMs: 30_000},
        )
        expect(held).toMatchObject({
          type: 'quorum',
          members: expect.arrayContaining([expect.any(String), expect.any(String), expect.any(String)]),
        })
        await rabbitConsumersGone(dlq)
        expect(await rabbitIds(dlq)).toEqual([])
        expect(ids).toHaveLength(50)
      } finally {
        await fetch(`${rabbitmqManagementUrls[0]}/api/queues/%2F/${dest}`, {method: 'DELETE', headers: GUEST}).catch(
          () => undefined,
        )
        await rabbitDelete(work, dlq)
      }
    },
    CLUSTER_START_TIMEOUT_MS,
  )
})
