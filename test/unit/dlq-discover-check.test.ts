// What `check` asks of DLQ discovery: depths only (no message ages: a Kafka Fetch per DLQ, read one after the other),
// and with a consumer named, only the DLQs that concern it. `dlq list` still gets everything.
import {describe, expect, it} from 'vitest'

import type {TargetInfo} from '../../src/adapters/types.js'
import {discoverDlqs} from '../../src/core/dlq/discover.js'
import {runCheck} from '../../src/core/lag/check.js'
import {DEFAULT_DLQ_PATTERNS} from '../../src/core/dlq/settings.js'
import {fakeAdapter} from '../helpers/fake-adapter.js'

const settings = {patterns: [...DEFAULT_DLQ_PATTERNS], named: [], customHeaders: {}}
const topic = (name: string, depth: number): TargetInfo => ({broker: 'kafka', name, kind: 'topic', depth})
const TARGETS = [
  topic('orders', 5),
  topic('orders.DLT', 2),
  ...Array.from({length: 50}, (_, i) => topic(`t${i}.DLT`, 1)),
]

function broker() {
  const asked = {times: 0, depths: 0}
  const adapter = fakeAdapter('kafka', {
    listTargets: async () => TARGETS,
    exactDepth: async (name: string) => {
      asked.depths++
      return TARGETS.find((t) => t.name === name)!.depth!
    },
    messageTimes: async () => {
      asked.times++
      return {first: new Date(0).toISOString(), last: new Date().toISOString()}
    },
    consumerLag: async () => [
      {broker: 'kafka', target: 'orders', consumer: 'billing', lag: 5, consumers: 0, produced: 5, consumed: 0},
    ],
  })
  return {adapter, asked}
}

describe('DLQ discovery for check', () => {
  it('dlq list reads the depth and message times of every DLQ', async () => {
    const {adapter, asked} = broker()
    const {dlqs} = await discoverDlqs([adapter], settings)
    expect(dlqs).toHaveLength(51)
    expect(asked).toEqual({times: 51, depths: 51})
  })

  it('check kafka:orders --max-dlq-depth reads only the DLQ of orders, and no message times', async () => {
    const {adapter, asked} = broker()
    const result = await runCheck(
      [adapter],
      {maxDlqDepth: 1, requireConsumers: true},
      {
        filter: {broker: 'kafka', name: 'orders'},
        dlqSettings: settings,
      },
    )
    expect(result.dlqs).toEqual([{broker: 'kafka', name: 'orders.DLT', depth: 2}])
    expect(result.breaches.map((b) => b.threshold).sort()).toEqual(['max-dlq-depth', 'require-consumers'])
    expect(asked).toEqual({times: 0, depths: 1})
  })
})
