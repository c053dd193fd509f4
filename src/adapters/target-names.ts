// What each broker accepts as a queue / topic / stream name, checked before connecting: a name the broker would
// refuse is a usage error (exit 2), not a driver error at the first request.
import type {BrokerKind} from '../model/broker.js'

/** Why the broker would refuse this name, or undefined when it is acceptable. */
type NameRule = (name: string) => string | undefined

/** Kafka's own rule (org.apache.kafka.common.internals.Topic): ASCII letters, digits, . _ - and at most 249 of them. */
const KAFKA_TOPIC_MAX = 249
const KAFKA_TOPIC_CHARS = /^[a-zA-Z0-9._-]+$/

/** AMQP 0-9-1 queue and exchange names are short strings: at most 255 bytes of UTF-8. */
const AMQP_NAME_MAX_BYTES = 255

export const TARGET_NAME_RULES: Record<BrokerKind, NameRule> = {
  kafka(name) {
    if (name.length > KAFKA_TOPIC_MAX)
      return `a Kafka topic name has at most ${KAFKA_TOPIC_MAX} characters (this one has ${name.length})`
    if (name === '.' || name === '..') return `"${name}" is not a legal Kafka topic name`
    const bad = [...name].find((c) => !KAFKA_TOPIC_CHARS.test(c))
    if (bad !== undefined)
      return `a Kafka topic name has only ASCII letters, digits, ".", "_" and "-" (not ${JSON.stringify(bad)})`
    return undefined
  },
  rabbitmq(name) {
    const bytes = Buffer.byteLength(name, 'utf8')
    if (bytes > AMQP_NAME_MAX_BYTES)
      return `a RabbitMQ queue or exchange name has at most ${AMQP_NAME_MAX_BYTES} bytes (this one has ${bytes})`
    return undefined
  },
  nats: () => undefined,
}
