// The dashboard's refresh with a broker that does not answer: the others are drawn within the wait, the silent one
// is a failure of that refresh ("has not answered"), its requests are not sent again, and its late answer is shown.
import {describe, expect, it} from 'vitest'

import type {LagSample, TargetInfo} from '../../src/adapters/types.js'
import {DashboardServices} from '../../src/ui/services.js'
import {localSettings} from '../helpers/brokers.js'
import {fakeAdapter} from '../helpers/fake-adapter.js'

const target = (broker: 'kafka' | 'nats', name: string): TargetInfo => ({broker, name, kind: 'topic', depth: 1})

describe('dashboard refresh with a broker that does not answer', () => {
  it('draws the others within the wait, asks the silent one once, and shows its late answer', async () => {
    const asked = {listing: 0, lag: 0}
    let answerListing: (targets: TargetInfo[]) => void = () => {}
    let answerLag: (samples: LagSample[]) => void = () => {}
    const silent = fakeAdapter('nats', {
      listTargets: () => {
        asked.listing++
        return new Promise((resolve) => (answerListing = resolve))
      },
      consumerLag: () => {
        asked.lag++
        return new Promise((resolve) => (answerLag = resolve))
      },
    })
    const quick = fakeAdapter('kafka', {
      listTargets: async () => [target('kafka', 'orders')],
      consumerLag: async () => [],
    })
    const context = {
      readOnly: false,
      brokers: ['kafka' as const, 'nats' as const],
      settings: localSettings(),
      config: {},
      warnings: [],
    }
    const services = new DashboardServices(
      context,
      new Map([
        ['kafka', quick],
        ['nats', silent],
      ]),
    )

    for (let refresh = 0; refresh < 2; refresh++) {
      const started = performance.now()
      const data = await services.overview({answerWithinMs: 300})
      expect(performance.now() - started).toBeLessThan(2000)
      expect(data.targets.map((t) => t.name)).toEqual(['orders'])
      expect(data.failures).toEqual([
        expect.objectContaining({broker: 'nats', error: expect.objectContaining({code: 'TIMEOUT'})}),
      ])
      expect(data.failures[0]!.error.message).toMatch(/^nats has not answered for \d+(\.\d)? s; still asking$/)
    }
    expect(asked).toEqual({listing: 1, lag: 1})

    answerListing([target('nats', 'ORDERS')])
    answerLag([])
    const late = await services.overview({answerWithinMs: 300})
    expect(late.failures).toEqual([])
    expect(late.targets.map((t) => `${t.broker}:${t.name}`)).toEqual(['kafka:orders', 'nats:ORDERS'])
    expect(asked).toEqual({listing: 1, lag: 1})
  })
})
