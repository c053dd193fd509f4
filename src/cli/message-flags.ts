// Flags that build one outgoing message (publish, request): body source, headers, key, partition, AMQP properties.
import {Flags} from '@oclif/core'

import type {Properties} from '../model/envelope/types.js'
import {type MessageOverrides, parseHeaderFlags} from '../core/services/message-source.js'

export const messageFlags = {
  file: Flags.string({char: 'f', description: 'Read the body (or the lines or NDJSON of --input) from this file'}),
  header: Flags.string({
    char: 'H',
    description: 'Header name=value (repeatable: -H a=1 -H b=2)',
    multiple: true,
    multipleNonGreedy: true,
  }),
  key: Flags.string({char: 'k', description: 'Kafka key / NATS subject / RabbitMQ routing key (with --exchange)'}),
  partition: Flags.integer({char: 'p', description: 'Kafka partition', min: 0}),
  exchange: Flags.string({description: 'RabbitMQ: publish to this exchange (routing key = --key)'}),
  'content-type': Flags.string({description: 'RabbitMQ content_type property'}),
  'message-id': Flags.string({description: 'RabbitMQ message_id property'}),
  'correlation-id': Flags.string({description: 'RabbitMQ correlation_id property'}),
  persistent: Flags.boolean({description: 'RabbitMQ delivery_mode 2 (persistent)', allowNo: true}),
  priority: Flags.integer({description: 'RabbitMQ priority property', min: 0, max: 255}),
  expiration: Flags.string({description: 'RabbitMQ per-message TTL in ms'}),
}

type MessageFlagValues = {
  header?: string[]
  key?: string
  partition?: number
  'content-type'?: string
  'message-id'?: string
  'correlation-id'?: string
  persistent?: boolean
  priority?: number
  expiration?: string
}

export function overridesFromFlags(flags: MessageFlagValues): MessageOverrides {
  return {
    headers: parseHeaderFlags(flags.header),
    key: flags.key,
    partition: flags.partition,
    properties: propertiesFromFlags(flags),
  }
}

function propertiesFromFlags(flags: MessageFlagValues): Properties {
  const p: Properties = {}
  if (flags['content-type']) p.contentType = flags['content-type']
  if (flags['message-id']) p.messageId = flags['message-id']
  if (flags['correlation-id']) p.correlationId = flags['correlation-id']
  if (flags.persistent !== undefined) p.deliveryMode = flags.persistent ? 2 : 1
  if (flags.priority !== undefined) p.priority = flags.priority
  if (flags.expiration) p.expiration = flags.expiration
  return p
}
