import type {PublishConventions} from '../types.js'

export const publishConventions: PublishConventions = {
  // Kafka gives headers no meaning: DLT headers (kafka_dlt-*, __connect.errors.*) stay as data.
  interpretedHeaders: {exact: [], prefixes: []},
  textHeadersOnly: false,
  amqpProperties: false,
  key: 'record',
  // A replayed record gets a new timestamp: an old one could fall outside time-based retention at once.
  restampsTime: true,
}
