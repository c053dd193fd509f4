// Broker kind -> the demo topology driver in that adapter's folder, loaded lazily like the adapter registry.
import type {BrokerKind} from '../../adapters/types.js'
import type {ConnectionSettings} from '../config/types.js'
import type {KafkaTopology, NatsTopology, RabbitMqTopology, TopologyDriver} from './types.js'

export interface TopologyDrivers {
  rabbitmq: TopologyDriver<RabbitMqTopology>
  kafka: TopologyDriver<KafkaTopology>
  nats: TopologyDriver<NatsTopology>
}

const loaders: {[K in BrokerKind]: (s: ConnectionSettings) => Promise<TopologyDrivers[K]>} = {
  rabbitmq: async (s) => (await import('../../adapters/rabbitmq/demo-topology.js')).rabbitMqTopology(s),
  kafka: async (s) => (await import('../../adapters/kafka/demo-topology.js')).kafkaTopology(s),
  nats: async (s) => (await import('../../adapters/nats/demo-topology.js')).natsTopology(s),
}

export function topologyDriver<K extends BrokerKind>(kind: K, settings: ConnectionSettings): Promise<TopologyDrivers[K]> {
  return loaders[kind](settings)
}
