// NatsSettings -> nats.js ConnectionOptions. Userinfo is lifted out of the URLs so no password reaches a message.
import {type ConnectionOptions, credsAuthenticator, type NatsConnection, nkeyAuthenticator, type TlsOptions} from 'nats'
import type {NatsSettings} from '../../model/settings.js'
import {MailroomError} from '../../model/errors.js'

export interface NatsConnectPlan {
  options: ConnectionOptions
  /** Server addresses safe to print (no userinfo). */
  display: string
  /** How we authenticate, for error messages ("user x", "token", ...); never the secret. */
  identity?: string
  /** Whether a TLS client certificate is configured. */
  clientCertificate: boolean
  tls: boolean
}

// A few reconnects keep long tails alive across a broker blip; the first connect never retries.
const MAX_RECONNECT_ATTEMPTS = 5
const RECONNECT_WAIT_MS = 1000

export function connectPlan(s: NatsSettings, timeoutMs: number): NatsConnectPlan {
  const urls = s.url
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
  if (urls.length === 0) throw new MailroomError('CONFIG', 'The NATS context has no server URL')
  const parsed = urls.map(parseServerUrl)
  const user = s.user ?? parsed.find((p) => p.user)?.user
  const pass = s.password ?? parsed.find((p) => p.pass)?.pass
  const wantsTls = Boolean(s.tls) || parsed.some((p) => p.tls)
  const options: ConnectionOptions = {
    servers: parsed.map((p) => p.hostPort),
    name: 'mailroom',
    timeout: timeoutMs,
    // Off for the first connect: with reconnects on, nats.js retries a refused TLS handshake (e.g. a missing client
    // certificate) until the timeout and reports only TIMEOUT. enableReconnects() turns them on once connected.
    reconnect: false,
    maxReconnectAttempts: MAX_RECONNECT_ATTEMPTS,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    // nats.js otherwise captures a stack trace for every request and JetStream publish, which cost more than the
    // publish itself on a replay; mailroom reports errors as one line and never shows those traces.
    noAsyncTraces: true,
    ...(user !== undefined ? {user, pass} : {}),
    ...(s.token !== undefined ? {token: s.token} : {}),
    ...authenticator(s),
    ...(wantsTls ? {tls: tlsOptions(s)} : {}),
  }
  return {
    options,
    display: parsed.map((p) => p.hostPort).join(','),
    identity: identity(s, user),
    clientCertificate: Boolean(s.tls?.cert),
    tls: wantsTls,
  }
}

/**
 * Lets a live connection reconnect after a broker blip. nats.js reads `reconnect` from the connection's options
 * object on every disconnect, and that object is the one `nc.options` exposes.
 */
export function enableReconnects(nc: NatsConnection): void {
  const options = (nc as NatsConnection & {options?: ConnectionOptions}).options
  if (options) options.reconnect = true
}

interface ParsedServer {
  hostPort: string
  user?: string
  pass?: string
  tls: boolean
}

function parseServerUrl(raw: string): ParsedServer {
  if (!raw.includes('://')) return {hostPort: raw, tls: false}
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new MailroomError('CONFIG', `Invalid NATS server URL: ${redactUserinfo(raw)}`)
  }
  const hostPort = url.port ? `${url.hostname}:${url.port}` : url.hostname
  return {
    hostPort,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    pass: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'tls:',
  }
}

function authenticator(s: NatsSettings): Pick<ConnectionOptions, 'authenticator'> {
  if (s.creds) return {authenticator: credsAuthenticator(new TextEncoder().encode(s.creds))}
  if (s.nkeySeed) return {authenticator: nkeyAuthenticator(new TextEncoder().encode(s.nkeySeed.trim()))}
  return {}
}

function tlsOptions(s: NatsSettings): TlsOptions {
  const t = s.tls ?? {}
  // Extra keys are handed to Node's tls.connect by nats.js (rejectUnauthorized, servername).
  return {
    ...(t.ca ? {ca: t.ca} : {}),
    ...(t.cert ? {cert: t.cert} : {}),
    ...(t.key ? {key: t.key} : {}),
    ...(t.servername ? {servername: t.servername} : {}),
    ...(t.insecureSkipVerify ? {rejectUnauthorized: false} : {}),
  } as TlsOptions
}

function identity(s: NatsSettings, user: string | undefined): string | undefined {
  if (s.creds) return 'the credentials file'
  if (s.nkeySeed) return 'the nkey'
  if (s.token) return 'the token'
  return user !== undefined ? `user ${user}` : undefined
}

export function redactUserinfo(url: string): string {
  return url.replace(/\/\/[^/@]*@/g, '//***@')
}
