// kafkajs client configuration from resolved KafkaSettings. kafkajs is unmaintained: it is imported only inside
// src/adapters/kafka/ so it can be swapped for another client.
import type {ConnectionOptions} from 'node:tls'
import type {KafkaConfig, logCreator, RetryOptions, SASLOptions} from 'kafkajs'
import {logLevel} from './driver.js'
import type {KafkaSettings} from '../../model/settings.js'
import {redact} from '../../model/redact.js'
import {MailroomError} from '../../model/errors.js'

/** Few, quick retries: kafkajs defaults to minutes of backoff, which turns an unreachable broker into a hang. */
export const CLIENT_RETRY: RetryOptions = {retries: 1, initialRetryTime: 100, maxRetryTime: 1000}

/** A few quick retries of a send, so that a lost broker is reported instead of waited on. */
export const PRODUCER_RETRY: RetryOptions = {retries: 3, initialRetryTime: 100, maxRetryTime: 2000}

/**
 * Idempotent: kafkajs resends a whole produce request when its acknowledgement was lost or when one of its
 * partitions failed (the others were stored), and without producer ids and sequence numbers each resend stored those
 * records again, unreported (seen: a whole partition's share of a send stored twice). The broker now drops a batch
 * it already has. One request in flight keeps records in input order.
 */
export const PRODUCER_CONFIG = {
  allowAutoTopicCreation: false,
  idempotent: true,
  maxInFlightRequests: 1,
  retry: PRODUCER_RETRY,
} as const

/**
 * Once connected, consuming rides out a partition leader move: the controller notices a dead broker only after
 * broker.session.timeout.ms (9 s by default) and then elects new leaders, while kafkajs keeps refreshing its metadata
 * between attempts. About 25 s of retries (0.3, 0.6, 1.2, 2.4, 4.8, then 5 s pauses), then the error. Not for
 * producing: a publish reports a failed send instead of waiting that long.
 */
export const CONSUMER_FAILOVER_RETRY: RetryOptions = {retries: 8, initialRetryTime: 300, maxRetryTime: 5000}

export function kafkaConfig(s: KafkaSettings, connectTimeoutMs: number): KafkaConfig {
  if (s.brokers.length === 0) throw new MailroomError('CONFIG', 'No Kafka brokers configured')
  refusePlainWithoutTls(s)
  return {
    clientId: s.clientId ?? 'mailroom',
    brokers: s.brokers,
    ssl: tlsOptions(s),
    ...(s.sasl ? {sasl: saslOptions(s.sasl)} : {}),
    connectionTimeout: connectTimeoutMs,
    authenticationTimeout: connectTimeoutMs,
    retry: CLIENT_RETRY,
    ...logging(),
  }
}

function saslOptions(sasl: NonNullable<KafkaSettings['sasl']>): SASLOptions {
  // The three mechanisms take the same fields; kafkajs types them as a union keyed by the literal.
  return {mechanism: sasl.mechanism, username: sasl.username, password: sasl.password} as SASLOptions
}

function refusePlainWithoutTls(s: KafkaSettings): void {
  if (s.sasl?.mechanism === 'plain' && !s.tls && !s.allowPlainWithoutTls) {
    throw new MailroomError(
      'CONFIG',
      'Refusing SASL PLAIN without TLS: the password would cross the network in clear text',
      {
        suggestions: [
          'Configure TLS for this Kafka connection, or explicitly allow plain-text SASL PLAIN in the context',
        ],
      },
    )
  }
}

function tlsOptions(s: KafkaSettings): ConnectionOptions | undefined {
  if (!s.tls) return undefined
  const {ca, cert, key, servername, insecureSkipVerify} = s.tls
  return {ca, cert, key, servername, rejectUnauthorized: !insecureSkipVerify}
}

/** kafkajs logs to stdout by default; stdout carries results only, so its logs go to stderr under MAILROOM_DEBUG=1. */
function logging(): Pick<KafkaConfig, 'logLevel' | 'logCreator'> {
  if (process.env.MAILROOM_DEBUG !== '1') return {logLevel: logLevel.NOTHING}
  const toStderr: logCreator =
    () =>
    ({namespace, label, log}) => {
      const {message, ...extra} = log as {message?: string}
      process.stderr.write(redact(`[kafkajs ${label} ${namespace}] ${message ?? ''} ${JSON.stringify(extra)}\n`))
    }
  return {logLevel: logLevel.DEBUG, logCreator: toStderr}
}
