// A stand-in for the dashboard's data layer (not for broker behaviour: the tmux e2e test runs the real thing).
import type {Delivery} from '../../src/adapters/types.js'
import type {BrokerKind} from '../../src/model/broker.js'
import type {ResolvedContext} from '../../src/core/config/resolve.js'
import type {Envelope} from '../../src/model/envelope/types.js'
import type {ReplayPlan} from '../../src/core/replay/plan.js'
import type {ReplayReport, ReplayRequest, SourceFacts} from '../../src/core/replay/types.js'
import type {DashboardServices, OverviewData, PurgeHooks, ReplayHooks} from '../../src/ui/services.js'

export const deadLetter = (i: number, reason: string): Envelope => ({
  v: 1,
  broker: 'rabbitmq',
  target: 'orders.dlq',
  key: `orders.created.${i}`,
  headers: [['order-id', `ord-${i}`]],
  body: {utf8: JSON.stringify({id: `ord-${i}`, amount: i})},
  death: {reason, count: 1, origin: {broker: 'rabbitmq', target: 'orders'}, source: 'x-death'},
})

export function fakeServices(o: {readOnly?: boolean; targets?: number} = {}) {
  const calls: string[] = []
  let dlq = [deadLetter(1, 'rejected'), deadLetter(2, 'rejected'), deadLetter(3, 'expired')]
  const extra = Array.from({length: o.targets ?? 0}, (_, i) => ({
    broker: 'kafka' as const,
    name: `topic-${String(i).padStart(3, '0')}`,
    kind: 'topic' as const,
    depth: i,
  }))
  const overview = async (): Promise<OverviewData> => ({
    at: new Date('2026-01-01T10:00:00Z'),
    targets: [
      {broker: 'rabbitmq', name: 'orders', kind: 'classic-queue', depth: 18},
      {broker: 'rabbitmq', name: 'orders.dlq', kind: 'classic-queue', depth: dlq.length},
      ...extra,
    ],
    lag: {
      at: '',
      failures: [],
      rows: [
        {
          broker: 'rabbitmq',
          target: 'orders',
          consumer: 'orders',
          status: 'STOP',
          reason: 'no consumer',
          lag: 18,
          consumers: 0,
          windowSeconds: 2,
        },
      ],
    },
    failures: [],
  })
  const facts: SourceFacts = {
    broker: 'rabbitmq',
    target: 'orders.dlq',
    kind: 'classic-queue',
    strategy: 'consume-queue',
    bound: {kind: 'depth', depth: 3},
    count: 3,
  }
  const services = {
    context: {name: o.readOnly ? 'prod' : 'dev', readOnly: o.readOnly === true} as ResolvedContext,
    readOnly: o.readOnly === true,
    brokers: ['rabbitmq'] as BrokerKind[],
    overview,
    discoverDlqs: async () => ({
      dlqs: [
        {
          broker: 'rabbitmq' as const,
          name: 'orders.dlq',
          kind: 'classic-queue' as const,
          depth: dlq.length,
          origins: ['orders'],
          detectedBy: ['dead-letter-exchange'],
        },
      ],
      failures: [],
    }),
    brokerStates: async () => [
      {broker: 'rabbitmq' as const, up: true, info: {product: 'RabbitMQ', version: '3.10.8', latencyMs: 1}},
    ],
    readDlq: async () => {
      calls.push('readDlq')
      const groups = [
        {
          origin: 'rabbitmq:orders',
          reason: 'rejected',
          error: '-',
          count: dlq.filter((m) => m.death?.reason === 'rejected').length,
        },
        {
          origin: 'rabbitmq:orders',
          reason: 'expired',
          error: '-',
          count: dlq.filter((m) => m.death?.reason === 'expired').length,
        },
      ].filter((g) => g.count > 0)
      return {messages: dlq, groups, stats: {read: dlq.length, matched: dlq.length, truncated: false}, warnings: []}
    },
    async *tail(): AsyncGenerator<Delivery> {},
    replayRequest: (broker: BrokerKind, name: string): ReplayRequest => ({
      source: {broker, name},
      mode: 'move',
      maxReplays: 3,
      force: false,
      keepPartition: false,
      window: 500,
    }),
    planReplay: async (): Promise<ReplayPlan> => {
      calls.push('plan')
      return {
        source: 'rabbitmq:orders.dlq',
        strategy: 'consume-queue',
        bound: facts.bound,
        total: 3,
        examined: 3,
        complete: true,
        wouldReplay: 3,
        filtered: 0,
        skippedBy: {},
        destinations: [{destination: 'rabbitmq:orders', count: 3}],
        samples: [],
        headerChanges: {removed: ['x-death'], added: ['mailroom-replay-id'], carried: []},
        notes: [],
      }
    },
    replay: async (request: ReplayRequest, hooks: ReplayHooks): Promise<ReplayReport> => {
      calls.push('replay:confirming')
      await hooks.confirm(facts, request)
      calls.push('replay:confirmed')
      hooks.onProgress(
        {examined: 1, replayed: 1, filtered: 0, skipped: 0, failed: 0, possibleDuplicates: 0, deduplicated: 0},
        3,
      )
      dlq = []
      return {
        replayId: 'r-1',
        source: 'rabbitmq:orders.dlq',
        destination: 'origin',
        mode: 'move',
        resumed: false,
        counts: {examined: 3, replayed: 3, filtered: 0, skipped: 0, failed: 0, possibleDuplicates: 0, deduplicated: 0},
        skippedBy: {},
        byDestination: {'rabbitmq:orders': 3},
        failures: [],
        leftBehind: 0,
        journal: '/tmp/j',
        elapsedMs: 10,
        perSecond: 300,
      }
    },
    purge: async (_b: BrokerKind, _n: string, hooks: PurgeHooks) => {
      calls.push('purge:dry')
      await hooks.confirm({target: 'orders.dlq', dryRun: true, purged: dlq.length, samples: [], method: 'purge'})
      calls.push('purge')
      const purged = dlq.length
      dlq = []
      return {target: 'orders.dlq', dryRun: false, purged, samples: [], method: 'purge' as const}
    },
    exportDlq: async () => ({read: dlq.length, matched: dlq.length, truncated: false}),
  }
  return {services: services as unknown as DashboardServices, calls}
}
