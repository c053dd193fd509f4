// demo up / demo down over the brokers of a context. Each broker is seeded on its own: one that is down is
// reported and the others are still seeded. `up` starts from a clean slate (it removes a previous demo first).
import type {BrokerAdapter} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import {type MailroomErrorInfo, asMailroomError} from '../../model/errors.js'
import type {ConnectionSettings} from '../../model/settings.js'
import {seedKafka} from './kafka.js'
import {seedNats} from './nats.js'
import {seedRabbitMq} from './rabbitmq.js'
import {kafkaTopology, natsCaptureTopology, natsTopology, rabbitMqTopology} from './scenario.js'
import {topologyDriver} from '../../adapters/registry.js'

export interface DemoBrokerResult {
  broker: BrokerKind
  ok: boolean
  /** What was seeded (up) or removed (down). */
  summary?: Record<string, unknown>
  removed?: string[]
  error?: MailroomErrorInfo
}

export interface DemoDeps {
  settings: ConnectionSettings
  brokers: BrokerKind[]
  /** A connected adapter, closed by the caller. */
  connect: (kind: BrokerKind) => Promise<BrokerAdapter>
  progress?: (line: string) => void
}

export async function demoUp(deps: DemoDeps): Promise<DemoBrokerResult[]> {
  return Promise.all(deps.brokers.map((broker) => attempt(broker, () => seedBroker(broker, deps))))
}

export async function demoDown(deps: DemoDeps): Promise<DemoBrokerResult[]> {
  return Promise.all(
    deps.brokers.map((broker) => attempt(broker, async () => ({removed: await removeBroker(broker, deps.settings)}))),
  )
}

async function attempt(broker: BrokerKind, work: () => Promise<Partial<DemoBrokerResult>>): Promise<DemoBrokerResult> {
  try {
    return {broker, ok: true, ...(await work())}
  } catch (error) {
    return {broker, ok: false, error: asMailroomError(error).toInfo()}
  }
}

async function seedBroker(broker: BrokerKind, deps: DemoDeps): Promise<Partial<DemoBrokerResult>> {
  await removeBroker(broker, deps.settings)
  deps.progress?.(`${broker}: creating the demo topology`)
  const summary = await seeders[broker](deps)
  deps.progress?.(`${broker}: seeded`)
  return {summary: {...summary}}
}

const seeders: Record<BrokerKind, (deps: DemoDeps) => Promise<object>> = {
  async rabbitmq(deps) {
    await (await topologyDriver('rabbitmq', deps.settings)).apply(rabbitMqTopology)
    return seedRabbitMq(await deps.connect('rabbitmq'))
  },
  async kafka(deps) {
    await (await topologyDriver('kafka', deps.settings)).apply(kafkaTopology)
    return seedKafka(await deps.connect('kafka'))
  },
  async nats(deps) {
    const driver = await topologyDriver('nats', deps.settings)
    await driver.apply(natsTopology)
    return seedNats(await deps.connect('nats'), () => driver.apply(natsCaptureTopology))
  },
}

async function removeBroker(broker: BrokerKind, settings: ConnectionSettings): Promise<string[]> {
  switch (broker) {
    case 'rabbitmq':
      return (await topologyDriver('rabbitmq', settings)).remove(rabbitMqTopology)
    case 'kafka':
      return (await topologyDriver('kafka', settings)).remove(kafkaTopology)
    case 'nats': {
      const streams = [...natsTopology.streams, ...natsCaptureTopology.streams]
      return (await topologyDriver('nats', settings)).remove({streams, consumers: []})
    }
  }
}
