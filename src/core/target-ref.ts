// Targets are written <broker>:<name>, e.g. rabbitmq:orders.dlq, kafka:payments.DLT, nats:ORDERS.
import {BROKER_KINDS, type BrokerKind, MailroomError} from '../adapters/types.js'

export interface TargetRef {
  broker: BrokerKind
  name: string
}

export function parseTargetRef(text: string): TargetRef {
  const colon = text.indexOf(':')
  const broker = text.slice(0, colon) as BrokerKind
  const name = text.slice(colon + 1)
  if (colon < 1 || !BROKER_KINDS.includes(broker) || !name) {
    throw new MailroomError('USAGE', `"${text}" is not a target: write <broker>:<name>`, {
      suggestions: [`Brokers are ${BROKER_KINDS.join(', ')}, e.g. rabbitmq:orders.dlq, kafka:payments.DLT, nats:ORDERS`],
    })
  }
  return {broker, name}
}

export function formatTargetRef(ref: TargetRef): string {
  return `${ref.broker}:${ref.name}`
}
