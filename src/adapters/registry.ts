// Broker kind -> lazy adapter factory. A command that needs only NATS never loads kafkajs or amqplib.
import type {ConnectionSettings} from '../model/settings.js'
import type {BrokerAdapter, PublishConventions} from './types.js'
import type {BrokerKind} from '../model/broker.js'
import {MailroomError} from '../model/errors.js'
import {publishConventions as kafka} from './kafka/conventions.js'
import {publishConventions as nats} from './nats/conventions.js'
import {publishConventions as rabbitmq} from './rabbitmq/conventions.js'
import type {KafkaTopology, NatsTopology, RabbitMqTopology, TopologyDriver} from './topology.js'

type Factory = (settings: ConnectionSettings) => Promise<BrokerAdapter>

const factories: Record<BrokerKind, Factory> = {
  async rabbitmq(s) {
    const {RabbitMqAdapter} = await import('./rabbitmq/adapter.js')
    return new RabbitMqAdapter(required(s, 'rabbitmq'), s.connectTimeoutMs)
  },
  async kafka(s) {
    const {KafkaAdapter} = await import('./kafka/adapter.js')
    return new KafkaAdapter(required(s, 'kafka'), s.connectTimeoutMs)
  },
  async nats(s) {
    const {NatsAdapter} = await import('./nats/adapter.js')
    return new NatsAdapter(required(s, 'nats'), s.connectTimeoutMs)
  },
}

function required<K extends BrokerKind>(s: ConnectionSettings, kind: K): NonNullable<ConnectionSettings[K]> {
  const settings = s[kind]
  if (!settings) {
    throw new MailroomError('CONFIG', `The current context has no ${kind} connection`, {
      suggestions: [
        `Add one with: mailroom context set <name> --${kind === 'kafka' ? 'kafka-brokers' : `${kind}-url`} ...`,
      ],
    })
  }
  return settings as NonNullable<ConnectionSettings[K]>
}

/** Creates an adapter for the broker (not yet connected). */
export function createAdapter(kind: BrokerKind, settings: ConnectionSettings): Promise<BrokerAdapter> {
  return factories[kind](settings)
}

const conventions: Record<BrokerKind, PublishConventions> = {rabbitmq, kafka, nats}

export function publishConventionsOf(kind: BrokerKind): PublishConventions {
  return conventions[kind]
}

export interface TopologyDrivers {
  rabbitmq: TopologyDriver<RabbitMqTopology>
  kafka: TopologyDriver<KafkaTopology>
  nats: TopologyDriver<NatsTopology>
}

const loaders: {[K in BrokerKind]: (s: ConnectionSettings) => Promise<TopologyDrivers[K]>} = {
  rabbitmq: async (s) => (await import('./rabbitmq/demo-topology.js')).rabbitMqTopology(s),
  kafka: async (s) => (await import('./kafka/demo-topology.js')).kafkaTopology(s),
  nats: async (s) => (await import('./nats/demo-topology.js')).natsTopology(s),
}

export function topologyDriver<K extends BrokerKind>(
  kind: K,
  settings: ConnectionSettings,
): Promise<TopologyDrivers[K]> {
  return loaders[kind](settings)
}
