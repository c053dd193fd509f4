import {describe, expect, it} from 'vitest'
import {detectDeath, withDeath} from '../../src/core/dlq/death.js'
import type {Envelope, Header} from '../../src/model/envelope/types.js'

function envelope(headers: Header[], body: Envelope['body'] = {utf8: 'x'}, extra: Partial<Envelope> = {}): Envelope {
  return {v: 1, headers, body, ...extra}
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigInt64BE(n)
  return b
}

/** A header value as the Kafka adapter would produce it: a string when the bytes are valid UTF-8, else {bytes}. */
function kafkaValue(buf: Buffer): Header[1] {
  const text = buf.toString('utf8')
  return Buffer.from(text, 'utf8').equals(buf) ? text : {bytes: buf.toString('base64')}
}

describe('detectDeath: RabbitMQ x-death', () => {
  it('takes the most recent entry as origin and reason, spans the entry times', () => {
    const e = envelope([
      ['x-first-death-exchange', ''],
      ['x-first-death-queue', 'work'],
      ['x-first-death-reason', 'expired'],
      [
        'x-death',
        {
          array: [
            {
              table: [
                ['count', {int: '3'}],
                ['reason', 'rejected'],
                ['queue', 'retry'],
                ['time', {timestamp: 1_700_000_100}],
                ['exchange', 'orders'],
                ['routing-keys', {array: ['order.created']}],
              ],
            },
            {
              table: [
                ['count', {int: '1'}],
                ['reason', 'expired'],
                ['queue', 'work'],
                ['time', {timestamp: 1_700_000_000}],
                ['exchange', ''],
                ['routing-keys', {array: ['work']}],
                ['original-expiration', '100'],
              ],
            },
          ],
        },
      ],
    ])
    expect(detectDeath(e)).toEqual({
      source: 'x-death',
      reason: 'rejected',
      count: 3,
      firstTime: '2023-11-14T22:13:20.000Z',
      lastTime: '2023-11-14T22:15:00.000Z',
      origin: {broker: 'rabbitmq', target: 'retry', exchange: 'orders', routingKeys: ['order.created']},
    })
  })

  it('falls back to x-first-death-* alone', () => {
    const e = envelope([
      ['x-first-death-queue', 'q'],
      ['x-first-death-reason', 'maxlen'],
      ['x-first-death-exchange', 'ex'],
    ])
    expect(detectDeath(e)).toEqual({
      source: 'x-death',
      reason: 'maxlen',
      origin: {broker: 'rabbitmq', target: 'q', exchange: 'ex'},
    })
  })

  it('returns undefined for an ordinary message', () => {
    expect(detectDeath(envelope([['a', 'b']]))).toBeUndefined()
  })
})

describe('detectDeath: Spring kafka_dlt-*', () => {
  it('decodes binary big-endian partition/offset/timestamp, also when the bytes happen to be valid UTF-8', () => {
    // partition 0x41 = "\0\0\0A" is valid UTF-8 and arrives as a string; offset 2^40+255 is not.
    const ts = 1_700_000_000_123n
    const e = envelope(
      [
        ['kafka_dlt-original-topic', 'orders'],
        ['kafka_dlt-original-partition', kafkaValue(int32(0x41))],
        ['kafka_dlt-original-offset', kafkaValue(int64(2n ** 40n + 255n))],
        ['kafka_dlt-original-timestamp', kafkaValue(int64(ts))],
        ['kafka_dlt-original-timestamp-type', 'CreateTime'],
        ['kafka_dlt-original-consumer-group', 'billing'],
        ['kafka_dlt-exception-fqcn', 'org.springframework.kafka.listener.ListenerExecutionFailedException'],
        ['kafka_dlt-exception-message', 'boom'],
      ],
      {utf8: 'x'},
      {timestamp: '2024-01-01T00:00:00.000Z'},
    )
    expect(typeof e.headers[1][1]).toBe('string')
    expect(detectDeath(e)).toEqual({
      source: 'spring',
      reason: 'exception',
      firstTime: new Date(Number(ts)).toISOString(),
      lastTime: '2024-01-01T00:00:00.000Z',
      origin: {
        broker: 'kafka',
        target: 'orders',
        partition: 0x41,
        offset: String(2n ** 40n + 255n),
        consumer: 'billing',
      },
      error: {class: 'org.springframework.kafka.listener.ListenerExecutionFailedException', message: 'boom'},
    })
  })
})

describe('detectDeath: Spring Kafka 4 records (headers as spring-kafka 4.0.1 wrote them)', () => {
  // A listener exception: the container wraps it in ListenerExecutionFailedException; Spring names the root cause in
  // exception-cause-fqcn and joins both messages in exception-message.
  const listenerFailure: Header[] = [
    ['kafka_dlt-exception-fqcn', 'org.springframework.kafka.listener.ListenerExecutionFailedException'],
    ['kafka_dlt-exception-cause-fqcn', 'java.lang.IllegalStateException'],
    ['kafka_dlt-exception-message', 'Listener failed; cannot process k1; retry later'],
    [
      'kafka_dlt-exception-stacktrace',
      'org.springframework.kafka.listener.ListenerExecutionFailedException: Listener failed\n\tat ...',
    ],
    ['kafka_dlt-original-topic', 'orders'],
    ['kafka_dlt-original-partition', kafkaValue(int32(2))],
    ['kafka_dlt-original-offset', kafkaValue(int64(0n))],
    ['kafka_dlt-original-timestamp', kafkaValue(int64(1_796_000_000_000n))],
    ['kafka_dlt-original-timestamp-type', 'CreateTime'],
    ['kafka_dlt-original-consumer-group', 'billing'],
  ]

  it('classifies a listener failure by its cause and keeps the wrapper', () => {
    expect(detectDeath(envelope(listenerFailure))?.error).toEqual({
      class: 'java.lang.IllegalStateException',
      message: 'cannot process k1; retry later',
      wrapper: {
        class: 'org.springframework.kafka.listener.ListenerExecutionFailedException',
        message: 'Listener failed',
      },
    })
    expect(detectDeath(envelope(listenerFailure))?.origin).toEqual({
      broker: 'kafka',
      target: 'orders',
      partition: 2,
      offset: '0',
      consumer: 'billing',
    })
  })

  it('takes the cause message from kafka_dlt-exception-cause-message where a producer writes it', () => {
    const e = envelope([
      ...listenerFailure,
      ['kafka_dlt-exception-cause-message', 'cannot process k1; retry later (exact)'],
    ])
    expect(detectDeath(e)?.error?.message).toBe('cannot process k1; retry later (exact)')
  })

  it('keeps a deserialization failure, whose cause is itself, as one class', () => {
    const e = envelope([
      ['kafka_dlt-exception-fqcn', 'org.springframework.kafka.support.serializer.DeserializationException'],
      ['kafka_dlt-exception-cause-fqcn', 'org.springframework.kafka.support.serializer.DeserializationException'],
      ['kafka_dlt-exception-message', 'failed to deserialize'],
      ['kafka_dlt-original-topic', 'orders'],
    ])
    expect(detectDeath(e)?.error).toEqual({
      class: 'org.springframework.kafka.support.serializer.DeserializationException',
      message: 'failed to deserialize',
    })
  })

  it("names a deserialization failure by what the deserializer threw: the stack trace's first Caused by", () => {
    const trace = [
      'org.springframework.kafka.support.serializer.DeserializationException: failed to deserialize',
      '\tat org.springframework.kafka.support.serializer.SerializationUtils.deserializationException(SerializationUtils.java:164)',
      'Caused by: org.apache.kafka.common.errors.SerializationException: value is not UTF-8 text; offset 3',
      '\tat Strict.deserialize(Strict.java:57)',
      'Caused by: java.nio.charset.MalformedInputException: Input length = 1',
    ].join('\n')
    const e = envelope([
      ['kafka_dlt-key-exception-fqcn', 'org.springframework.kafka.support.serializer.DeserializationException'],
      ['kafka_dlt-exception-cause-fqcn', 'org.springframework.kafka.support.serializer.DeserializationException'],
      ['kafka_dlt-key-exception-message', 'failed to deserialize'],
      ['kafka_dlt-key-exception-stacktrace', trace],
      ['kafka_dlt-original-topic', 'orders'],
    ])
    expect(detectDeath(e)?.error).toEqual({
      class: 'org.apache.kafka.common.errors.SerializationException',
      message: 'value is not UTF-8 text; offset 3',
      wrapper: {
        class: 'org.springframework.kafka.support.serializer.DeserializationException',
        message: 'failed to deserialize',
      },
    })
  })

  it('reads a wrapper without a message, and a key deserialization failure', () => {
    const noWrapperMessage = envelope([
      ['kafka_dlt-exception-fqcn', 'org.springframework.kafka.listener.ListenerExecutionFailedException'],
      ['kafka_dlt-exception-cause-fqcn', 'java.lang.ArithmeticException'],
      ['kafka_dlt-exception-message', '/ by zero'],
    ])
    expect(detectDeath(noWrapperMessage)?.error).toEqual({
      class: 'java.lang.ArithmeticException',
      message: '/ by zero',
      wrapper: {class: 'org.springframework.kafka.listener.ListenerExecutionFailedException'},
    })
    const key = envelope([
      ['kafka_dlt-key-exception-fqcn', 'org.springframework.kafka.support.serializer.DeserializationException'],
      ['kafka_dlt-exception-cause-fqcn', 'org.springframework.kafka.support.serializer.DeserializationException'],
      ['kafka_dlt-key-exception-message', 'failed to deserialize'],
      ['kafka_dlt-original-topic', 'orders'],
    ])
    expect(detectDeath(key)).toMatchObject({
      reason: 'key-exception',
      error: {
        class: 'org.springframework.kafka.support.serializer.DeserializationException',
        message: 'failed to deserialize',
      },
    })
  })
})

describe('detectDeath: Kafka Connect', () => {
  it('reads the UTF-8 context headers, with the converter or transform that failed', () => {
    const e = envelope([
      ['__connect.errors.topic', 'payments'],
      ['__connect.errors.partition', '2'],
      ['__connect.errors.offset', '9007199254740993'],
      ['__connect.errors.connector.name', 'pg-sink'],
      ['__connect.errors.task.id', '0'],
      ['__connect.errors.stage', 'VALUE_CONVERTER'],
      ['__connect.errors.class.name', 'org.apache.kafka.connect.json.JsonConverter'],
      ['__connect.errors.exception.class.name', 'org.apache.kafka.connect.errors.DataException'],
      ['__connect.errors.exception.message', 'bad json'],
    ])
    expect(detectDeath(e)).toEqual({
      source: 'kafka-connect',
      reason: 'VALUE_CONVERTER',
      origin: {broker: 'kafka', target: 'payments', partition: 2, offset: '9007199254740993', consumer: 'pg-sink'},
      error: {
        class: 'org.apache.kafka.connect.errors.DataException',
        message: 'bad json',
        component: 'org.apache.kafka.connect.json.JsonConverter',
      },
    })
  })
})

describe('detectDeath: custom header names', () => {
  it('uses the configured names only when asked', () => {
    const e = envelope(
      [
        ['x-origin', 'jobs'],
        ['x-why', 'timeout'],
        ['x-err', 'TimeoutError'],
        ['x-tries', '5'],
      ],
      {utf8: 'x'},
      {broker: 'nats'},
    )
    expect(detectDeath(e)).toBeUndefined()
    expect(
      detectDeath(e, {
        customHeaders: {originTarget: 'x-origin', reason: 'x-why', errorClass: 'x-err', count: 'x-tries'},
      }),
    ).toEqual({
      source: 'custom',
      reason: 'timeout',
      count: 5,
      origin: {broker: 'nats', target: 'jobs'},
      error: {class: 'TimeoutError'},
    })
  })
})

describe('detectDeath: JetStream advisories', () => {
  it('maps a MAX_DELIVERIES advisory body to the origin stream sequence', () => {
    const advisory = {
      type: 'io.nats.jetstream.advisory.v1.max_deliver',
      id: 'x',
      timestamp: '2024-02-01T10:00:00.5Z',
      stream: 'ORDERS',
      consumer: 'worker',
      stream_seq: 42,
      deliveries: 3,
    }
    expect(detectDeath(envelope([], {utf8: JSON.stringify(advisory)}))).toEqual({
      source: 'jetstream-advisory',
      reason: 'max_deliveries',
      count: 3,
      lastTime: '2024-02-01T10:00:00.5Z',
      origin: {broker: 'nats', target: 'ORDERS', sequence: 42, consumer: 'worker'},
    })
  })

  it('ignores JSON bodies that are not advisories', () => {
    expect(detectDeath(envelope([], {utf8: '{"type":"order","stream":"x","stream_seq":1}'}))).toBeUndefined()
  })

  it('withDeath keeps an existing record and does not mutate', () => {
    const e = envelope([['x-first-death-queue', 'q']])
    const out = withDeath(e)
    expect(e.death).toBeUndefined()
    expect(out.death?.origin?.target).toBe('q')
  })
})
