// Flags shared by many commands, defined once.
import {Flags} from '@oclif/core'

import {BROKER_KINDS} from '../model/broker.js'
import type {ConnectionOverrides} from '../core/config/resolve.js'
import {LIST_FORMATS, type ListFormat} from '../core/output/list-format.js'

export const connectionFlags = {
  context: Flags.string({description: 'Use this named context instead of the current one', helpGroup: 'CONNECTION'}),
  'rabbitmq-url': Flags.string({
    description: 'RabbitMQ AMQP URL; a cluster: several, comma separated (env MAILROOM_RABBITMQ_URL)',
    helpGroup: 'CONNECTION',
  }),
  'rabbitmq-management-url': Flags.string({
    description:
      'RabbitMQ management API URL; a cluster: several, comma separated (env MAILROOM_RABBITMQ_MANAGEMENT_URL)',
    helpGroup: 'CONNECTION',
  }),
  'kafka-brokers': Flags.string({
    description: 'Kafka bootstrap brokers, host:port,... (env MAILROOM_KAFKA_BROKERS)',
    helpGroup: 'CONNECTION',
  }),
  'nats-url': Flags.string({
    description: 'NATS server URL; a cluster: several, comma separated (env MAILROOM_NATS_URL)',
    helpGroup: 'CONNECTION',
  }),
  'connect-timeout': Flags.integer({
    description: 'Connect timeout in milliseconds',
    min: 1,
    default: 5000,
    helpGroup: 'CONNECTION',
  }),
  'password-stdin': Flags.boolean({
    description:
      "Read the password from stdin's first line (for each broker of the context that names a user but no password source)",
    helpGroup: 'CONNECTION',
  }),
}

export function connectionOverrides(flags: {
  context?: string
  'rabbitmq-url'?: string
  'rabbitmq-management-url'?: string
  'kafka-brokers'?: string
  'nats-url'?: string
  /** Only commands that spread schemaRegistryFlags (src/cli/schema-flags.ts) have it. */
  'schema-registry'?: string
  'connect-timeout'?: number
  'password-stdin'?: boolean
}): ConnectionOverrides {
  return {
    context: flags.context,
    rabbitmqUrl: flags['rabbitmq-url'],
    rabbitmqManagementUrl: flags['rabbitmq-management-url'],
    kafkaBrokers: flags['kafka-brokers'],
    natsUrl: flags['nats-url'],
    schemaRegistryUrl: flags['schema-registry'],
    connectTimeoutMs: flags['connect-timeout'],
    passwordStdin: flags['password-stdin'],
  }
}

/** `lag` and `check`: mailroom's own consumers are hidden unless asked for. */
export const includeMailroomFlag = Flags.boolean({
  description: "Also mailroom's own consumers: Kafka replay cursors (mailroom-replay.<dlq>) and tail readers",
})

export const brokerFlag = Flags.option({
  char: 'b',
  description: 'Only this broker (default: every broker of the context)',
  options: BROKER_KINDS,
  multiple: true,
})()

export const listOutputFlag = Flags.option({
  char: 'o',
  description: 'Output format',
  options: LIST_FORMATS,
  default: 'table' as ListFormat,
})()

/** The marked messages of the dashboard, on the command line: dlq replay, purge and export act on exactly these. */
export const selectFlag = Flags.string({
  description:
    "Only the message with this id (repeat for more), as the dashboard's plan and dlq inspect -o json show them",
  multiple: true,
  helpValue: '<message-id>',
})
