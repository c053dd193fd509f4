// Which JetStream answers are asked again (src/adapters/nats/jetstream-retry.ts), against the real nats-server on
// 127.0.0.1:4222: a definite answer comes back at once, no answer is asked again until the budget is spent.
// The leader elections themselves are exercised by the cluster trials (test/cluster/node-failure.suite.ts).
import {connect, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {retryJetStreamRequests} from '../../src/adapters/nats/jetstream-retry.js'
import {uniqueName} from '../helpers/brokers.js'

const BUDGET_MS = 1500
let nc: NatsConnection

beforeAll(async () => {
  nc = await connect({servers: '127.0.0.1:4222'})
  retryJetStreamRequests(nc, BUDGET_MS)
})
afterAll(() => nc.close())

async function timed(work: Promise<unknown>): Promise<{ms: number; outcome: unknown}> {
  const started = performance.now()
  const outcome = await work.then(
    (answer) => answer,
    (error: unknown) => error,
  )
  return {ms: performance.now() - started, outcome}
}

describe('JetStream API requests during a leader election', () => {
  it('a definite answer (stream not found) comes back at once, not retried', async () => {
    const jsm = await nc.jetstreamManager()
    const {ms, outcome} = await timed(jsm.streams.info(uniqueName('fix_retry_missing').replace(/-/g, '_')))
    expect((outcome as {api_error?: {err_code?: number}}).api_error?.err_code).toBe(10059)
    expect(ms).toBeLessThan(BUDGET_MS / 2)
  })

  it('a request left without an answer is asked again until the budget is spent, then reported', async () => {
    // An API subject the server takes but never answers: what a request meets while no server leads its stream.
    const {ms, outcome} = await timed(nc.request('$JS.API.FIX.RETRY.NOBODY', undefined, {timeout: 200}))
    expect((outcome as {code?: string}).code).toBe('TIMEOUT')
    expect(ms).toBeGreaterThanOrEqual(BUDGET_MS / 2)
    expect(ms).toBeLessThan(BUDGET_MS + 2000)
  })

  it('requests outside the JetStream API are left alone', async () => {
    const {ms, outcome} = await timed(nc.request('fix.retry.nobody', undefined, {timeout: 200}))
    expect((outcome as {code?: string}).code).toBe('503')
    expect(ms).toBeLessThan(BUDGET_MS / 2)
  })
})
