// The demo scenario's names and broker objects. Everything is prefixed `demo.` (RabbitMQ, Kafka) or `DEMO_`
// (JetStream stream names cannot contain dots), so `demo down` removes exactly what `demo up` made.
import type {KafkaTopology, NatsTopology, RabbitMqTopology} from '../../adapters/topology.js'

export const DEMO = {
  rabbitmq: {
    exchange: 'demo.orders',
    dlx: 'demo.orders.dlx',
    orders: 'demo.orders',
    payments: 'demo.payments',
    dlq: 'demo.orders.dlq',
    /** The payments queue dead-letters a message after this many failed deliveries. */
    deliveryLimit: 2,
  },
  kafka: {
    topic: 'demo.orders.events',
    dlt: 'demo.orders.events.DLT',
    group: 'demo.billing',
    partitions: 3,
  },
  nats: {
    stream: 'DEMO_ORDERS',
    subjects: 'demo.orders.>',
    consumer: 'DEMO_FULFILMENT',
    dlq: 'DEMO_ORDERS_DLQ',
    maxDeliver: 3,
  },
} as const

export const rabbitMqTopology: RabbitMqTopology = {
  exchanges: [
    {name: DEMO.rabbitmq.exchange, type: 'topic'},
    {name: DEMO.rabbitmq.dlx, type: 'fanout'},
  ],
  queues: [
    {name: DEMO.rabbitmq.orders, arguments: {'x-dead-letter-exchange': DEMO.rabbitmq.dlx}},
    {
      name: DEMO.rabbitmq.payments,
      arguments: {
        'x-queue-type': 'quorum',
        'x-delivery-limit': DEMO.rabbitmq.deliveryLimit,
        'x-dead-letter-exchange': DEMO.rabbitmq.dlx,
      },
    },
    {name: DEMO.rabbitmq.dlq},
  ],
  bindings: [
    {exchange: DEMO.rabbitmq.exchange, queue: DEMO.rabbitmq.orders, routingKey: 'orders.#'},
    {exchange: DEMO.rabbitmq.exchange, queue: DEMO.rabbitmq.payments, routingKey: 'payments.#'},
    {exchange: DEMO.rabbitmq.dlx, queue: DEMO.rabbitmq.dlq, routingKey: ''},
  ],
}

export const kafkaTopology: KafkaTopology = {
  topics: [
    {name: DEMO.kafka.topic, partitions: DEMO.kafka.partitions},
    // Spring's DeadLetterPublishingRecoverer sends a record to the same partition of <topic>.DLT.
    {name: DEMO.kafka.dlt, partitions: DEMO.kafka.partitions},
  ],
  // The second group is the one `dlq replay` commits for when the DLT is replayed (from the dashboard, say).
  groups: [DEMO.kafka.group, `mailroom-replay.${DEMO.kafka.dlt}`],
}

export const natsTopology: NatsTopology = {
  streams: [{name: DEMO.nats.stream, subjects: [DEMO.nats.subjects]}],
  consumers: [
    {stream: DEMO.nats.stream, durable: DEMO.nats.consumer, maxDeliver: DEMO.nats.maxDeliver, ackWaitMs: 30_000},
  ],
}

/**
 * The advisory-capture stream, used only when the adapter cannot capture dead letters itself; same shape as
 * `mailroom dlq capture`: the MAX_DELIVERIES and MSG_TERMINATED advisories of the source stream's consumers.
 */
export const natsCaptureTopology: NatsTopology = {
  streams: [
    {
      name: DEMO.nats.dlq,
      subjects: [
        `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${DEMO.nats.stream}.*`,
        `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${DEMO.nats.stream}.*`,
      ],
    },
  ],
  consumers: [],
}
