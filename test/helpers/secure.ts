// The secured brokers started by scripts/brokers.mjs (scripts/secure/): where their certificates and secrets are,
// contexts that reach each way in, and driver-level setup (queues, topics, streams) for the tests that use them.
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {stringify} from 'yaml'

import type {ContextConfig} from '../../src/core/config/file.js'

const repoRoot = join(import.meta.dirname, '..', '..')
const secureDir = join(process.env.MAILROOM_BROKERS_DIR ?? join(repoRoot, '.brokers'), 'secure')

export const PKI = {
  ca: join(secureDir, 'pki', 'ca.pem'),
  otherCa: join(secureDir, 'pki', 'other-ca.pem'),
  client: {certFile: join(secureDir, 'pki', 'client.pem'), keyFile: join(secureDir, 'pki', 'client-key.pem')},
  expiredClient: {
    certFile: join(secureDir, 'pki', 'expired-client.pem'),
    keyFile: join(secureDir, 'pki', 'expired-client-key.pem'),
  },
}

export const SECRET_FILES = {
  rabbitmqPassword: join(secureDir, 'secrets', 'rabbitmqPassword'),
  kafkaScramPassword: join(secureDir, 'secrets', 'kafkaScramPassword'),
  kafkaPlainPassword: join(secureDir, 'secrets', 'kafkaPlainPassword'),
  natsPassword: join(secureDir, 'secrets', 'natsPassword'),
  natsToken: join(secureDir, 'secrets', 'natsToken'),
  natsNkeySeed: join(secureDir, 'secrets', 'nats-user.nk'),
  natsCreds: join(secureDir, 'secrets', 'nats-user.creds'),
  schemaRegistryPassword: join(secureDir, 'secrets', 'schemaRegistryPassword'),
}

export const secret = (name: keyof typeof SECRET_FILES): string => readFileSync(SECRET_FILES[name], 'utf8').trim()

/** Every secret value a run may hold, for scanning outputs: passwords, the token, seeds, the JWT, key lines. */
export function allSecretValues(): string[] {
  const creds = readFileSync(SECRET_FILES.natsCreds, 'utf8')
    .split('\n')
    .filter((line) => line.length > 40 && !/^[-*]/.test(line))
  const keyLines = readFileSync(PKI.client.keyFile, 'utf8')
    .split('\n')
    .filter((line) => line.length > 40 && !line.startsWith('-'))
  const simple = (
    [
      'rabbitmqPassword',
      'kafkaScramPassword',
      'kafkaPlainPassword',
      'natsPassword',
      'natsToken',
      'natsNkeySeed',
    ] as const
  ).map(secret)
  return [...simple, ...creds, ...keyLines.slice(0, 3)]
}

// Ports and users of scripts/secure/*.mjs.
export const RABBITMQ = {amqps: 'amqps://127.0.0.1:5771', management: 'https://127.0.0.1:15771', user: 'mailroom-ops'}
export const KAFKA = {
  saslSsl: '127.0.0.1:9192',
  mtls: '127.0.0.1:9194',
  expired: '127.0.0.1:9196',
  scramUser: 'mailroom-scram',
  plainUser: 'mailroom-plain',
}
export const NATS = {
  users: 'tls://127.0.0.1:4333',
  token: 'tls://127.0.0.1:4334',
  mtls: 'tls://127.0.0.1:4335',
  creds: 'tls://127.0.0.1:4336',
  expired: 'tls://127.0.0.1:4337',
}

const ca = {caFile: PKI.ca}
const mutual = {...ca, ...PKI.client}

/** One context per way in that must succeed. */
export const GOOD_CONTEXTS: Record<string, ContextConfig> = {
  'rabbitmq-mtls-vhost-ab': {
    rabbitmq: {
      url: `${RABBITMQ.amqps}/a%2Fb`,
      managementUrl: RABBITMQ.management,
      username: RABBITMQ.user,
      passwordFile: SECRET_FILES.rabbitmqPassword,
      tls: mutual,
    },
  },
  'rabbitmq-mtls-vhost-root': {
    rabbitmq: {
      url: `${RABBITMQ.amqps}/%2F`,
      managementUrl: RABBITMQ.management,
      username: RABBITMQ.user,
      passwordEnv: 'TEST_RABBITMQ_PASSWORD',
      tls: mutual,
    },
  },
  'kafka-scram-sha-256': {
    kafka: {
      brokers: [KAFKA.saslSsl],
      sasl: {mechanism: 'scram-sha-256', username: KAFKA.scramUser, passwordFile: SECRET_FILES.kafkaScramPassword},
      tls: ca,
    },
  },
  'kafka-scram-sha-512': {
    kafka: {
      brokers: [KAFKA.saslSsl],
      sasl: {mechanism: 'scram-sha-512', username: KAFKA.scramUser, passwordEnv: 'TEST_KAFKA_SCRAM_PASSWORD'},
      tls: ca,
    },
  },
  'kafka-plain': {
    kafka: {
      brokers: [KAFKA.saslSsl],
      sasl: {mechanism: 'plain', username: KAFKA.plainUser, passwordFile: SECRET_FILES.kafkaPlainPassword},
      tls: ca,
    },
  },
  'kafka-mtls': {kafka: {brokers: [KAFKA.mtls], tls: mutual}},
  'nats-user-password': {nats: {url: NATS.users, user: 'mailroom', passwordFile: SECRET_FILES.natsPassword, tls: ca}},
  'nats-nkey': {nats: {url: NATS.users, nkeySeedFile: SECRET_FILES.natsNkeySeed, tls: ca}},
  'nats-token': {nats: {url: NATS.token, tokenEnv: 'TEST_NATS_TOKEN', tls: ca}},
  'nats-creds': {nats: {url: NATS.creds, credsFile: SECRET_FILES.natsCreds, tls: ca}},
  'nats-mtls': {nats: {url: NATS.mtls, tls: mutual}},
}

/** Env vars the contexts above name (passwordEnv / tokenEnv). */
export function secretEnv(): Record<string, string> {
  return {
    TEST_RABBITMQ_PASSWORD: secret('rabbitmqPassword'),
    TEST_KAFKA_SCRAM_PASSWORD: secret('kafkaScramPassword'),
    TEST_NATS_TOKEN: secret('natsToken'),
    TEST_WRONG_PASSWORD: 'wrong-password-for-the-test',
  }
}

/** A fresh XDG_CONFIG_HOME whose config.yaml (mode 0600) holds these contexts. */
export function configHomeWith(contexts: Record<string, ContextConfig>): string {
  const home = mkdtempSync(join(tmpdir(), 'mailroom-secure-'))
  mkdirSync(join(home, 'mailroom'), {recursive: true, mode: 0o700})
  const file = join(home, 'mailroom', 'config.yaml')
  writeFileSync(file, stringify({contexts}), {mode: 0o600})
  chmodSync(file, 0o600)
  return home
}

/** The target of each good context's round trip: one per broker server / vhost. */
export function brokerOf(contextName: string): 'rabbitmq' | 'kafka' | 'nats' {
  return contextName.split('-')[0] as 'rabbitmq' | 'kafka' | 'nats'
}
