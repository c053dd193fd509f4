// Resolves the connection settings adapters receive. Strongest first: flags, env vars, the context, defaults
// (the local brokers). Secrets are read from env vars or files here, and registered for redaction.
import {readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'

import {BROKER_KINDS, type BrokerKind} from '../../model/broker.js'
import {MailroomError} from '../../model/errors.js'
import {once} from '../../model/once.js'
import {registerSecret} from '../../model/redact.js'
import {readPasswordFromStdin} from './stdin-secret.js'
import {
  type ConfigFile,
  type ContextConfig,
  type SecretRef,
  type TlsConfig,
  configPath,
  loadConfigFile,
} from './file.js'
import type {
  ConnectionSettings,
  KafkaSettings,
  NatsSettings,
  RabbitMqSettings,
  SchemaRegistrySettings,
  TlsSettings,
} from '../../model/settings.js'

export const LOCAL_DEFAULTS = {
  rabbitmqUrl: 'amqp://guest:guest@127.0.0.1:5672',
  rabbitmqManagementUrl: 'http://127.0.0.1:15672',
  kafkaBrokers: '127.0.0.1:9092',
  natsUrl: 'nats://127.0.0.1:4222',
}
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000

/** Connection overrides given as command-line flags. */
export interface ConnectionOverrides {
  context?: string
  rabbitmqUrl?: string
  rabbitmqManagementUrl?: string
  kafkaBrokers?: string
  natsUrl?: string
  /** --schema-registry: the registry's URL (possibly with a path). */
  schemaRegistryUrl?: string
  connectTimeoutMs?: number
  /** Read the password of every broker whose context names a user but no password source from stdin's first line. */
  passwordStdin?: boolean
}

/** Where secrets come from during one resolution. */
interface SecretSources {
  env: NodeJS.ProcessEnv
  warnings: string[]
  /** The password read from stdin, when --password-stdin was given (read once, on first use). */
  stdin?: () => string
  stdinUsed: boolean
}

export interface ResolvedContext {
  /** The context's name, or undefined when running on the built-in local defaults. */
  name?: string
  readOnly: boolean
  /** Brokers this context connects to, in a stable order. */
  brokers: BrokerKind[]
  settings: ConnectionSettings
  /** The context as written (for dlq settings and `context show`). */
  config: ContextConfig
  warnings: string[]
}

export async function resolveContext(
  overrides: ConnectionOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedContext> {
  const file = await loadConfigFile(configPath(env))
  const {name, config} = pickContext(file, overrides.context ?? env.MAILROOM_CONTEXT, configPath(env))
  return resolveContextConfig(name, config, overrides, env)
}

/** Env vars that override a context's addresses: they address the command's own context, not a second one. */
const ADDRESS_ENV = [
  'MAILROOM_CONTEXT',
  'MAILROOM_RABBITMQ_URL',
  'MAILROOM_RABBITMQ_MANAGEMENT_URL',
  'MAILROOM_KAFKA_BROKERS',
  'MAILROOM_NATS_URL',
  'MAILROOM_SCHEMA_REGISTRY_URL',
]

/**
 * A second, named context beside the command's own (`dlq replay --to-context`): exactly as the file has it, with
 * its secrets from their env vars and files, but without the address flags and MAILROOM_* address overrides,
 * which belong to the command's own context.
 */
export async function resolveNamedContext(
  name: string,
  o: {connectTimeoutMs?: number} = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedContext & {name: string}> {
  const ownEnv = Object.fromEntries(Object.entries(env).filter(([key]) => !ADDRESS_ENV.includes(key)))
  const file = await loadConfigFile(configPath(env))
  const picked = pickContext(file, name, configPath(env))
  return {...resolveContextConfig(name, picked.config, {connectTimeoutMs: o.connectTimeoutMs}, ownEnv), name}
}

/** Resolves a context as given (`context set` checks one this way before writing it). */
export function resolveContextConfig(
  name: string | undefined,
  config: ContextConfig,
  overrides: ConnectionOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedContext {
  const warnings: string[] = []
  const sources: SecretSources = {
    env,
    warnings,
    stdin: overrides.passwordStdin ? once(readPasswordFromStdin) : undefined,
    stdinUsed: false,
  }
  const rabbitmqUrl =
    overrides.rabbitmqUrl ?? env.MAILROOM_RABBITMQ_URL ?? oneOrMany(config.rabbitmq?.url, config.rabbitmq?.urls)
  const managementUrl =
    overrides.rabbitmqManagementUrl ??
    env.MAILROOM_RABBITMQ_MANAGEMENT_URL ??
    oneOrMany(config.rabbitmq?.managementUrl, config.rabbitmq?.managementUrls)
  refuseManagementCredentials(managementUrl, {
    fromFlag: overrides.rabbitmqManagementUrl !== undefined,
    fromEnv: env.MAILROOM_RABBITMQ_MANAGEMENT_URL !== undefined,
    context: name,
  })
  const kafkaBrokers = overrides.kafkaBrokers ?? env.MAILROOM_KAFKA_BROKERS ?? config.kafka?.brokers?.join(',')
  const natsUrl = overrides.natsUrl ?? env.MAILROOM_NATS_URL ?? oneOrMany(config.nats?.url, config.nats?.servers)
  const useDefaults = name === undefined
  const settings: ConnectionSettings = {
    connectTimeoutMs: overrides.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  }
  if (rabbitmqUrl || managementUrl || config.rabbitmq || useDefaults) {
    settings.rabbitmq = rabbitMqSettings(config, rabbitmqUrl, managementUrl, sources)
  }
  if (kafkaBrokers || config.kafka || useDefaults) settings.kafka = kafkaSettings(config, kafkaBrokers, sources)
  if (natsUrl || config.nats || useDefaults) settings.nats = natsSettings(config, natsUrl, sources)
  const registryUrl = overrides.schemaRegistryUrl ?? env.MAILROOM_SCHEMA_REGISTRY_URL ?? config.schemaRegistry?.url
  if (registryUrl) settings.schemaRegistry = schemaRegistrySettings(config, registryUrl, sources)
  if (sources.stdin && !sources.stdinUsed) {
    throw new MailroomError('USAGE', '--password-stdin: no broker of this context waits for a password', {
      suggestions: [
        'Name a user in the context (rabbitmq.username, kafka.sasl.username, nats.user) without passwordEnv/passwordFile',
      ],
    })
  }
  warnAboutUrlPasswords(
    {rabbitmqUrl, natsUrl},
    {rabbitmqUrl: overrides.rabbitmqUrl, natsUrl: overrides.natsUrl},
    configPath(env),
    warnings,
  )
  return {
    name,
    readOnly: config.readOnly === true,
    brokers: BROKER_KINDS.filter((kind) => settings[kind] !== undefined),
    settings,
    config,
    warnings,
  }
}

/** A setting written as one value or as a list (a cluster's nodes), as the comma-separated text adapters take. */
function oneOrMany(one: string | undefined, many: string[] | undefined): string | undefined {
  return many && many.length > 0 ? many.join(',') : one
}

function pickContext(
  file: ConfigFile | undefined,
  requested: string | undefined,
  path: string,
): {name?: string; config: ContextConfig} {
  const name = requested ?? file?.currentContext
  if (name === undefined) return {config: {}}
  const config = file?.contexts[name]
  if (!config) {
    const known = Object.keys(file?.contexts ?? {})
    throw new MailroomError('CONFIG', `no context named "${name}" in ${path}`, {
      suggestions: [
        known.length ? `Known contexts: ${known.join(', ')}` : 'Create one with: mailroom context set <name> ...',
      ],
    })
  }
  return {name, config}
}

function rabbitMqSettings(
  config: ContextConfig,
  url = LOCAL_DEFAULTS.rabbitmqUrl,
  managementUrl: string | undefined,
  sources: SecretSources,
): RabbitMqSettings {
  const {warnings} = sources
  const nodes = url
    .split(',')
    .map((one) => parseUrl(one.trim(), ['amqp:', 'amqps:'], 'RabbitMQ URL', 'amqp://user@host:5672/vhost'))
  const parsed = nodes[0]
  const c = config.rabbitmq ?? {}
  const username = c.username ?? (parsed.username ? decodeURIComponent(parsed.username) : undefined)
  const urlPassword = parsed.password ? decodeURIComponent(parsed.password) : undefined
  const password = readSecret(c, sources, username !== undefined && urlPassword === undefined) ?? urlPassword
  for (const node of nodes) registerSecret(node.password ? decodeURIComponent(node.password) : password)
  const vhost = c.vhost ?? (parsed.pathname.length > 1 ? decodeURIComponent(parsed.pathname.slice(1)) : '/')
  const mgmt = managementUrl ?? nodes.map(defaultManagementUrl).join(',')
  for (const one of mgmt.split(','))
    parseUrl(one.trim(), ['http:', 'https:'], 'RabbitMQ management URL', 'http://host:15672')
  return {url, managementUrl: mgmt, username, password, vhost, tls: readTls(c.tls, warnings)}
}

/** The management API is called as the AMQP user: credentials in its URL would never be used, only exposed. */
function refuseManagementCredentials(
  url: string | undefined,
  o: {fromFlag: boolean; fromEnv: boolean; context?: string},
): void {
  if (!urlCredentials(url)) return
  const [code, where] = o.fromFlag
    ? (['USAGE', '--rabbitmq-management-url'] as const)
    : o.fromEnv
      ? (['USAGE', 'MAILROOM_RABBITMQ_MANAGEMENT_URL'] as const)
      : (['CONFIG', `rabbitmq.managementUrl of context "${o.context}"`] as const)
  throw new MailroomError(code, `${where} holds a user or password, which mailroom never uses`, {
    suggestions: [
      'Remove user:password@ from it: the management API is called as the RabbitMQ user, with its passwordEnv/passwordFile',
    ],
  })
}

/** The management API listens on 15672 (15671 with TLS) of the AMQP host. */
function defaultManagementUrl(amqpUrl: URL): string {
  if (amqpUrl.hostname === '127.0.0.1' && !amqpUrl.port && amqpUrl.protocol === 'amqp:')
    return LOCAL_DEFAULTS.rabbitmqManagementUrl
  const tls = amqpUrl.protocol === 'amqps:'
  const host = amqpUrl.hostname.includes(':') ? `[${amqpUrl.hostname}]` : amqpUrl.hostname
  return `${tls ? 'https' : 'http'}://${host}:${tls ? 15671 : 15672}`
}

function kafkaSettings(
  config: ContextConfig,
  brokers = LOCAL_DEFAULTS.kafkaBrokers,
  sources: SecretSources,
): KafkaSettings {
  const {warnings} = sources
  const list = brokers
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)
  for (const broker of list) {
    if (!/^[^\s:/]+:\d{1,5}$|^\[[0-9a-f:]+\]:\d{1,5}$/i.test(broker)) {
      throw new MailroomError('USAGE', `malformed Kafka broker address "${broker}"`, {
        suggestions: ['Write brokers as host:port, comma separated, e.g. 127.0.0.1:9092,kafka2:9092'],
      })
    }
    const port = Number(broker.slice(broker.lastIndexOf(':') + 1))
    if (port < 1 || port > 65535) {
      throw new MailroomError('USAGE', `Kafka broker address "${broker}": port ${port} is not between 1 and 65535`, {
        suggestions: ["Kafka's default port is 9092"],
      })
    }
  }
  if (list.length === 0)
    throw new MailroomError('USAGE', 'no Kafka broker address given', {
      suggestions: ['e.g. --kafka-brokers 127.0.0.1:9092'],
    })
  const c = config.kafka ?? {}
  const sasl = c.sasl
    ? {
        mechanism: saslMechanism(c.sasl.mechanism),
        username: c.sasl.username,
        password: requiredSecret(c.sasl, sources, 'kafka.sasl'),
      }
    : undefined
  const tls = c.tls === true ? {} : readTls(c.tls || undefined, warnings)
  return {brokers: list, clientId: c.clientId ?? 'mailroom', sasl, tls, allowPlainWithoutTls: c.allowPlainWithoutTls}
}

function natsSettings(config: ContextConfig, url = LOCAL_DEFAULTS.natsUrl, sources: SecretSources): NatsSettings {
  const {warnings} = sources
  const urls = url
    .split(',')
    .map((one) => parseUrl(one.trim(), ['nats:', 'tls:', 'ws:', 'wss:'], 'NATS URL', 'nats://host:4222'))
  const c = config.nats ?? {}
  const token = c.tokenEnv
    ? envSecret(c.tokenEnv, 'tokenEnv', sources)
    : c.tokenFile
      ? readSecretFile(c.tokenFile, warnings)
      : undefined
  const creds = c.credsFile ? readSecretFile(c.credsFile, warnings, {whole: true}) : undefined
  const nkeySeed = c.nkeySeedFile ? readSecretFile(c.nkeySeedFile, warnings) : undefined
  const password = readSecret(c, sources, c.user !== undefined)
  const urlPasswords = urls.map((u) => (u.password ? decodeURIComponent(u.password) : undefined))
  for (const secret of [token, creds, nkeySeed, password, ...urlPasswords]) registerSecret(secret)
  return {url, user: c.user, password, token, creds, nkeySeed, tls: readTls(c.tls, warnings)}
}

/** Not a broker: only there when a URL is named (flag, env or context); credentials as the brokers' are. */
function schemaRegistrySettings(config: ContextConfig, url: string, sources: SecretSources): SchemaRegistrySettings {
  const parsed = parseUrl(
    url.trim(),
    ['http:', 'https:'],
    'schema registry URL',
    'https://registry:8081 or https://host/apis/ccompat/v7',
  )
  if (parsed.username || parsed.password) {
    throw new MailroomError('USAGE', 'the schema registry URL holds a user or password', {
      suggestions: [
        "Remove user:password@ and set the context's schemaRegistry.username with passwordEnv or passwordFile",
      ],
    })
  }
  const c = config.schemaRegistry ?? {}
  const password = readSecret(c, sources, c.username !== undefined)
  return {url: url.trim(), username: c.username, password, tls: readTls(c.tls, sources.warnings)}
}

function parseUrl(text: string, protocols: string[], what: string, example: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new MailroomError('USAGE', `malformed ${what} "${text}"`, {
      suggestions: [`Expected something like ${example}`],
    })
  }
  if (!protocols.includes(url.protocol)) {
    throw new MailroomError(
      'USAGE',
      `${what} must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got "${url.protocol}//"`,
      {
        suggestions: [`Expected something like ${example}`],
      },
    )
  }
  return url
}

/** The password named by passwordEnv or passwordFile; else stdin's (--password-stdin) when the broker waits for one. */
function readSecret(ref: SecretRef, sources: SecretSources, waitsForPassword: boolean): string | undefined {
  let value: string | undefined
  if (ref.passwordEnv) value = envSecret(ref.passwordEnv, 'passwordEnv', sources)
  else if (ref.passwordFile) value = readSecretFile(ref.passwordFile, sources.warnings)
  else if (sources.stdin && waitsForPassword) {
    value = sources.stdin()
    sources.stdinUsed = true
  }
  registerSecret(value)
  return value
}

function envSecret(name: string, field: string, sources: SecretSources): string | undefined {
  const value = sources.env[name]
  if (value === undefined) sources.warnings.push(`environment variable ${name} (${field}) is not set`)
  return value
}

function requiredSecret(ref: SecretRef, sources: SecretSources, where: string): string {
  const value = readSecret(ref, sources, true)
  if (value === undefined) {
    throw new MailroomError('CONFIG', `${where} needs a password`, {
      suggestions: [
        `Set ${where}.passwordEnv to an environment variable's name, or ${where}.passwordFile to a file, or pipe it with --password-stdin`,
      ],
    })
  }
  return value
}

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const

function saslMechanism(value: unknown): (typeof SASL_MECHANISMS)[number] {
  const mechanism = String(value).toLowerCase()
  const known = SASL_MECHANISMS.find((m) => m === mechanism)
  if (!known) {
    throw new MailroomError('CONFIG', `unknown kafka.sasl.mechanism "${String(value)}"`, {
      suggestions: [`Use one of ${SASL_MECHANISMS.join(', ')}`],
    })
  }
  return known
}

/** A password inside a URL is visible in the config file, shell history and process lists: say so. */
function warnAboutUrlPasswords(
  effective: {rabbitmqUrl?: string; natsUrl?: string},
  fromFlags: {rabbitmqUrl?: string; natsUrl?: string},
  configFile: string,
  warnings: string[],
): void {
  const hasPassword = (url?: string) => urlCredentials(url) === 'password'
  if (hasPassword(fromFlags.rabbitmqUrl) || hasPassword(fromFlags.natsUrl)) {
    // Overwrites the command line that `ps` shows (Linux): the password stays out of process lists from here on.
    process.title = 'mailroom'
    warnings.push(
      'a password on the command line is visible to other users and in shell history; use passwordEnv, passwordFile or --password-stdin',
    )
    return
  }
  if ((hasPassword(effective.rabbitmqUrl) || hasPassword(effective.natsUrl)) && isSharedFile(configFile)) {
    warnings.push(`${configFile} holds a password in a URL and is readable by other users (chmod 600 ${configFile})`)
  }
}

/**
 * What a URL (or a comma-separated list of them) carries before its host: `password` (user:password@), `user`
 * (user@, which NATS reads as a token) or nothing.
 */
export function urlCredentials(url: string | undefined): 'password' | 'user' | undefined {
  const parts = (url ?? '').split(',').map((one) => /^[a-z][a-z0-9+.-]*:\/\/([^/@\s]*)@/i.exec(one.trim())?.[1])
  if (parts.some((userinfo) => userinfo?.includes(':') && !userinfo.endsWith(':'))) return 'password'
  return parts.some((userinfo) => userinfo) ? 'user' : undefined
}

function isSharedFile(path: string): boolean {
  try {
    return (statSync(expandHome(path)).mode & 0o077) !== 0
  } catch {
    return false
  }
}

function expandHome(path: string): string {
  return path.startsWith('~/') ? homedir() + path.slice(1) : path
}

/** A secret file's text without its final newline, unless `whole` (a .creds file's parser needs every line end). */
function readSecretFile(path: string, warnings: string[], o: {whole?: boolean} = {}): string {
  const text = readConfigFile(path, 'secret file')
  warnIfShared(path, warnings)
  const secret = o.whole ? text : text.replace(/\r?\n$/, '')
  registerSecret(secret)
  // A .creds file or a PEM key is several secrets in one: mask each line too (the seed, the JWT, key lines).
  for (const line of secret.split(/\r?\n/)) if (line.length >= 16 && !/^[-*]/.test(line)) registerSecret(line.trim())
  return secret
}

function warnIfShared(path: string, warnings: string[]): void {
  if (isSharedFile(path)) warnings.push(`${path} holds a secret and is readable by other users (chmod 600 ${path})`)
}

function readConfigFile(path: string, what: string): string {
  try {
    return readFileSync(expandHome(path), 'utf8')
  } catch (error) {
    throw new MailroomError(
      'CONFIG',
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        suggestions: ['Check the path in the context (mailroom context show)'],
      },
    )
  }
}

function readTls(tls: TlsConfig | undefined, warnings: string[]): TlsSettings | undefined {
  if (!tls) return undefined
  if (tls.insecureSkipVerify)
    warnings.push('TLS certificate verification is DISABLED (insecureSkipVerify): connections can be intercepted')
  return {
    ca: tls.caFile ? readConfigFile(tls.caFile, 'CA file') : undefined,
    cert: tls.certFile ? readConfigFile(tls.certFile, 'certificate file') : undefined,
    key: tls.keyFile ? readSecretFile(tls.keyFile, warnings) : undefined,
    servername: tls.servername,
    insecureSkipVerify: tls.insecureSkipVerify,
  }
}
