import type {PublishConventions} from '../types.js'

export const publishConventions: PublishConventions = {
  // RabbitMQ 3.10 keeps counting in a re-published x-death (3.13.0-3.13.2 and 4.x ignore it): one meaning is only
  // possible without it. x-delivery-count and x-stream-offset describe one delivery, not the message.
  interpretedHeaders: {
    exact: ['x-death', 'x-delivery-count', 'x-stream-offset'],
    prefixes: ['x-first-death-', 'x-last-death-'],
  },
  textHeadersOnly: false,
  amqpProperties: true,
  key: 'routing',
  restampsTime: false,
}
