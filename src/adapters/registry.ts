// Broker kind -> lazy adapter factory. A command that needs only NATS never loads kafkajs or amqplib.
import type {ConnectionSettings} from '../core/config/types.js'
import {type BrokerAdapter, type BrokerKind, MailroomError} from './types.js'

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
      suggestions: [`Add one with: mailroom context set <name> --${kind === 'kafka' ? 'kafka-brokers' : `${kind}-url`} ...`],
    })
  }
  return settings as NonNullable<ConnectionSettings[K]>
}

/** Creates an adapter for the broker (not yet connected). */
export function createAdapter(kind: BrokerKind, settings: ConnectionSettings): Promise<BrokerAdapter> {
  return factories[kind](settings)
}
