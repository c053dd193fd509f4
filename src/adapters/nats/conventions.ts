import type {PublishConventions} from '../types.js'

export const publishConventions: PublishConventions = {
  // An old Nats-Msg-Id would de-duplicate the replay away; the others are instructions to the stream.
  interpretedHeaders: {
    exact: ['nats-msg-id', 'nats-rollup', 'nats-ttl'],
    prefixes: ['nats-expected-'],
    ignoreCase: true,
  },
  textHeadersOnly: true,
  amqpProperties: false,
  key: 'address',
  restampsTime: false,
  dedupeHeader: 'Nats-Msg-Id',
}
