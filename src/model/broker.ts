// The brokers mailroom speaks to: one name for them everywhere.

export const BROKER_KINDS = ['rabbitmq', 'kafka', 'nats'] as const

export type BrokerKind = (typeof BROKER_KINDS)[number]
