// The adapters' error mapping (NATS, and the same rule in RabbitMQ's and Kafka's): only real network failures are connection errors (exit 3); any other error that happens to carry a
// string code (Node's MODULE_NOT_FOUND, ERR_INVALID_ARG_TYPE, ...) is an unexpected error (exit 1) with its own
// message. The errors are built as Node and nats.js build them.
import {createRequire} from 'node:module'

import {ErrorCode, NatsError} from 'nats'
import {describe, expect, it} from 'vitest'

import {leaderlessPartitionsError, toMailroomError as mapKafkaError} from '../../src/adapters/kafka/map-error.js'
import {mapNatsError} from '../../src/adapters/nats/map-error.js'
import {toMailroomError as mapRabbitMqError} from '../../src/adapters/rabbitmq/map-error.js'
import {exitCodeFor} from '../../src/model/exit-codes.js'

const ctx = {op: 'connect', servers: '127.0.0.1:4222'} as const

function systemError(code: string, message = `${code} happened`): Error {
  return Object.assign(new Error(message), {code})
}

describe('mapNatsError', () => {
  it.each([
    ['ECONNREFUSED', 'connection refused at 127.0.0.1:4222'],
    ['ENOTFOUND', 'host not found: 127.0.0.1:4222'],
    ['EAI_AGAIN', 'host not found: 127.0.0.1:4222'],
    ['ECONNRESET', 'network error talking to 127.0.0.1:4222 (ECONNRESET)'],
    ['EHOSTUNREACH', 'network error talking to 127.0.0.1:4222 (EHOSTUNREACH)'],
    ['CERT_HAS_EXPIRED', '127.0.0.1:4222'],
  ])('a socket error %s is a connection error (exit 3)', (code, message) => {
    const e = mapNatsError(systemError(code), ctx)
    expect(e.code).toBe('CONNECTION')
    expect(exitCodeFor(e.code)).toBe(3)
    expect(e.message).toContain(message)
  })

  const tlsConnect = {...ctx, tls: true}
  it.each(['ECONNRESET', 'EPIPE'])(
    'a %s while TLS is set up is a reset, blamed on a client certificate only when the server requires one',
    (code) => {
      const unknown = mapNatsError(systemError(code), tlsConnect)
      expect(unknown.code).toBe('CONNECTION')
      expect(unknown.message).toBe(
        `TLS handshake with 127.0.0.1:4222 failed: the connection was reset during the TLS handshake (${code})`,
      )
      expect(mapNatsError(systemError(code), {...tlsConnect, tlsVerify: false}).message).not.toMatch(/certificate/)
      const withCert = mapNatsError(systemError(code), {...tlsConnect, tlsVerify: true, clientCertificate: true})
      expect(withCert.code).toBe('CONNECTION')
      expect(withCert.message).not.toMatch(/certificate/)
      const required = mapNatsError(systemError(code), {...tlsConnect, tlsVerify: true})
      expect(required.code).toBe('AUTH')
      expect(required.message).toContain(
        'reset during the TLS handshake: the server requires a client certificate, and none is configured',
      )
    },
  )

  it('the server alert for a missing client certificate says so', () => {
    const e = mapNatsError(systemError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), tlsConnect)
    expect(e.code).toBe('AUTH')
    expect(e.message).toContain('the server requires a client certificate and none was sent')
  })

  it('nats.js CONNECTION_REFUSED is a connection error, also with its socket error chained', () => {
    const refused = NatsError.errorForCode(ErrorCode.ConnectionRefused, systemError('ECONNREFUSED'))
    const e = mapNatsError(refused, ctx)
    expect(e.code).toBe('CONNECTION')
    expect(e.message).toBe('connection refused at 127.0.0.1:4222')
  })

  it.each([
    ['MODULE_NOT_FOUND', "Cannot find module '/work/x/node_modules/nats/lib/src/mod.js'"],
    ['ERR_INVALID_ARG_TYPE', 'The "data" argument must be of type string. Received undefined'],
    ['ERR_MODULE_NOT_FOUND', "Cannot find package 'nats' imported from /work/x/dist/adapters/nats/adapter.js"],
  ])('any other coded error (%s) is an unexpected error (exit 1) with its own message', (code, message) => {
    const e = mapNatsError(systemError(code, `${message}\nRequire stack:\n- /work/x/dist/a.js`), ctx)
    expect(e.code).toBe('INTERNAL')
    expect(exitCodeFor(e.code)).toBe(1)
    expect(e.message).toBe(`unexpected error: ${message}`)
    expect(e.message).not.toContain('127.0.0.1')
    expect(e.suggestions.join(' ')).toContain('--debug')
  })

  it('a NatsError chaining a non-network coded error is not a connection error', () => {
    const wrapped = NatsError.errorForCode(ErrorCode.Unknown, systemError('ERR_INVALID_ARG_TYPE'))
    expect(mapNatsError(wrapped, ctx).code).toBe('INTERNAL')
  })
})

describe.each([
  ['RabbitMQ', (e: unknown) => mapRabbitMqError(e, {address: '127.0.0.1:5672', connecting: true})],
  ['Kafka', (e: unknown) => mapKafkaError(e, {brokers: ['127.0.0.1:9092']})],
])('%s error mapping', (_broker, map) => {
  it('a refused socket is a connection error', () => {
    const e = map(systemError('ECONNREFUSED'))
    expect(e.code).toBe('CONNECTION')
    expect(e.message).toContain('connection refused at 127.0.0.1')
  })

  it('MODULE_NOT_FOUND is an unexpected error with its own message, not a connection error', () => {
    const e = map(systemError('MODULE_NOT_FOUND', "Cannot find module 'amqplib'"))
    expect(e.code).toBe('INTERNAL')
    expect(exitCodeFor(e.code)).toBe(1)
    expect(e.message).toContain("Cannot find module 'amqplib'")
  })
})

describe('Kafka: a partition without a leader', () => {
  // As kafkajs builds them: the broker's error code 5, and the same after its retries ran out.
  const require = createRequire(import.meta.url)
  const {createErrorFromCode} = require('kafkajs/src/protocol/error.js') as {createErrorFromCode(code: number): Error}
  const {KafkaJSNumberOfRetriesExceeded} = require('kafkajs/src/errors.js') as {
    KafkaJSNumberOfRetriesExceeded: new (cause: Error, o: {retryCount: number; retryTime: number}) => Error
  }

  it('is a connection failure (exit 3: the broker holding the data is down), not an unexpected error', () => {
    const leaderless = createErrorFromCode(5)
    for (const e of [leaderless, new KafkaJSNumberOfRetriesExceeded(leaderless, {retryCount: 5, retryTime: 300})]) {
      const mapped = mapKafkaError(e, {brokers: ['127.0.0.1:9092'], topic: 'orders'})
      expect(mapped.code).toBe('CONNECTION')
      expect(exitCodeFor(mapped.code)).toBe(3)
      expect(mapped.message).toBe(
        'a partition of topic orders has no leader (LEADER_NOT_AVAILABLE): a leader is being elected, or every replica of it is down',
      )
    }
  })
})

describe('Kafka: which partitions have no leader, once the metadata says', () => {
  const led = (partitionId: number, leader: number) => ({partitionId, leader, replicas: [leader], offlineReplicas: []})
  const down = (partitionId: number, node: number) => ({
    partitionId,
    leader: -1,
    replicas: [node],
    offlineReplicas: [node],
  })

  it('names the partitions, the nodes of their replicas, and that the others are not read either', () => {
    const e = leaderlessPartitionsError('orders', [down(1, 3), led(0, 1), down(2, 3)])!
    expect(e.code).toBe('CONNECTION')
    expect(exitCodeFor(e.code)).toBe(3)
    expect(e.message).toBe(
      'partition(s) 1,2 of topic orders have no leader (the other 1 have one, but mailroom reads and writes a Kafka topic only while every partition of it has a leader): every replica of them is down (node(s) 3)',
    )
    expect(e.suggestions[0]).toContain('`mailroom targets describe kafka:orders`')
  })

  it('a topic with no leader at all; replicas still up (an election) are not called down', () => {
    expect(leaderlessPartitionsError('orders', [down(0, 2), down(1, 3)])!.message).toBe(
      'no partition of topic orders has a leader: every replica of them is down (node(s) 2,3)',
    )
    const electing = {partitionId: 0, leader: -1, replicas: [1, 2], offlineReplicas: [2]}
    expect(leaderlessPartitionsError('orders', [electing, led(1, 1)])!.message).toMatch(
      /: none of their replicas \(node\(s\) 1,2\) can lead yet: an election is under way, or no in-sync replica is left$/,
    )
  })

  it('every partition has a leader again: nothing to add', () => {
    expect(leaderlessPartitionsError('orders', [led(0, 1), led(1, 2)])).toBeUndefined()
  })
})
