// Targets are written <broker>:<name>, e.g. rabbitmq:orders.dlq, kafka:payments.DLT, nats:ORDERS.
import {TARGET_NAME_RULES} from '../adapters/target-names.js'
import {BROKER_KINDS, type BrokerKind} from '../model/broker.js'
import {MailroomError} from '../model/errors.js'

export interface TargetRef {
  broker: BrokerKind
  name: string
}

/**
 * Parses `<broker>:<name>`; the name must be one the broker accepts, unless `anyName` (a consumer group's name, as
 * `lag` and `check` take, follows other rules).
 */
export function parseTargetRef(text: string, o: {anyName?: boolean} = {}): TargetRef {
  const colon = text.indexOf(':')
  const broker = text.slice(0, colon) as BrokerKind
  const name = text.slice(colon + 1)
  if (colon < 1 || !BROKER_KINDS.includes(broker) || !name) {
    throw new MailroomError('USAGE', `"${text}" is not a target: write <broker>:<name>`, {
      suggestions: [
        `Brokers are ${BROKER_KINDS.join(', ')}, e.g. rabbitmq:orders.dlq, kafka:payments.DLT, nats:ORDERS`,
      ],
    })
  }
  const refused = o.anyName ? undefined : TARGET_NAME_RULES[broker](name)
  if (refused) {
    throw new MailroomError('USAGE', `"${shorten(text)}" is not a valid target: ${refused}`, {
      suggestions: ['Check the name: list the existing ones with mailroom targets list'],
    })
  }
  return {broker, name}
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 60)}...` : text
}

export function formatTargetRef(ref: TargetRef): string {
  return `${ref.broker}:${ref.name}`
}
