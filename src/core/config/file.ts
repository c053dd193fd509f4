// The config file: named contexts in $XDG_CONFIG_HOME/mailroom/config.yaml (default ~/.config/mailroom/config.yaml).
import {readFile, rename, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

import {MailroomError} from '../../model/errors.js'
import {makeDirectory} from '../files.js'
import {checkConfigShape} from './schema.js'

/** TLS as written in a context: file paths, read by the resolver. */
export interface TlsConfig {
  caFile?: string
  certFile?: string
  keyFile?: string
  servername?: string
  insecureSkipVerify?: boolean
}

/** A secret is never written inline: it is named by an env var or a file. */
export interface SecretRef {
  passwordEnv?: string
  passwordFile?: string
}

export interface ContextConfig {
  description?: string
  readOnly?: boolean
  rabbitmq?: {
    url?: string
    /** A cluster's nodes, in failover order (instead of url). */
    urls?: string[]
    managementUrl?: string
    /** The management API of each node, in failover order (instead of managementUrl). */
    managementUrls?: string[]
    username?: string
    vhost?: string
    tls?: TlsConfig
  } & SecretRef
  kafka?: {
    brokers?: string[]
    clientId?: string
    sasl?: {mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string} & SecretRef
    tls?: TlsConfig | boolean
    allowPlainWithoutTls?: boolean
  }
  nats?: {
    url?: string
    /** A cluster's servers (instead of url). */
    servers?: string[]
    user?: string
    tokenEnv?: string
    tokenFile?: string
    credsFile?: string
    nkeySeedFile?: string
    tls?: TlsConfig
  } & SecretRef
  /** A Confluent-compatible schema registry: decodes Avro/Protobuf/JSON Schema records, encodes published values. */
  schemaRegistry?: {
    /** http(s)://host:port, possibly with a path (https://host/apis/ccompat/v7). */
    url?: string
    username?: string
    tls?: TlsConfig
  } & SecretRef
  /** DLQ discovery and header conventions (used by the dlq commands). */
  dlq?: Record<string, unknown>
}

export interface ConfigFile {
  currentContext?: string
  contexts: Record<string, ContextConfig>
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config')
  return join(base, 'mailroom', 'config.yaml')
}

export async function loadConfigFile(path = configPath()): Promise<ConfigFile | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new MailroomError('CONFIG', `cannot read ${path}: ${(error as Error).message}`, {cause: error})
  }
  return parseConfig(text, path)
}

/**
 * The YAML library loads only when there is a file to read or write (most runs have none: it costs start-up). Through
 * `default`, the CommonJS module's exports: the named exports of a dynamic import are missing once bundled.
 */
const yaml = async () => (await import('yaml')).default

async function parseConfig(text: string, path: string): Promise<ConfigFile> {
  const {LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq} = await yaml()
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter})
  const [first] = doc.errors
  if (first) {
    const line = lineCounter.linePos(first.pos[0]).line
    throw new MailroomError('CONFIG', `${path}${line ? `:${line}` : ''}: invalid YAML (${first.code.toLowerCase()})`, {
      suggestions: [`Fix the file or remove it to fall back to the local brokers`],
    })
  }
  checkConfigShape({file: path, lines: lineCounter, yaml: {isAlias, isMap, isScalar, isSeq}, doc})
  const data = (doc.toJS() ?? {}) as Partial<ConfigFile>
  const contexts = Object.fromEntries(Object.entries(data.contexts ?? {}).map(([name, c]) => [name, c ?? {}]))
  return {currentContext: data.currentContext, contexts}
}

/** Writes atomically with owner-only permissions (the file names secrets' sources, and may be edited to hold paths). */
export async function saveConfigFile(config: ConfigFile, path = configPath()): Promise<void> {
  const text = (await yaml()).stringify(config)
  const tmp = `${path}.${process.pid}.tmp`
  try {
    await makeDirectory(dirname(path))
    await writeFile(tmp, text, {mode: 0o600})
    await rename(tmp, path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new MailroomError('CONFIG', `cannot write ${path} (${code})`, {
      cause: error,
      suggestions: [`Make ${dirname(path)} writable, or point XDG_CONFIG_HOME at a directory you can write`],
    })
  }
}
