// Resolved RabbitMQ settings -> what amqplib and the management API need. The password lives only here and in the
// driver options; everything meant for messages uses `address` (host:port, no userinfo).
import type {Options, SocketOptions} from 'amqplib'
import type {RabbitMqSettings, TlsSettings} from '../../model/settings.js'
import {MailroomError} from '../../model/errors.js'

export interface RabbitMqEndpoint {
  protocol: 'amqp' | 'amqps'
  hostname: string
  port: number
  username: string
  password: string
  /** Decoded vhost name ('/' when the URL has no path). */
  vhost: string
  /** host:port, safe to print. */
  address: string
  /** Every management API base URL of the cluster, in failover order. */
  managementUrls: string[]
  /** TLS for AMQPS and for the management API over HTTPS alike. */
  tls?: TlsSettings
}

/** Splits a setting that holds one or more URLs, comma separated (a cluster's nodes), keeping their order. */
export function urlList(text: string): string[] {
  return text
    .split(',')
    .map((one) => one.trim())
    .filter(Boolean)
}

/** One endpoint per node of the cluster, in failover order; credentials come from the settings or the first URL. */
export function endpointsFromSettings(s: RabbitMqSettings): RabbitMqEndpoint[] {
  const [first, ...others] = urlList(s.url).map((text) => endpointFromUrl(s, text))
  if (!first)
    throw new MailroomError('CONFIG', 'The RabbitMQ context has no URL', {
      suggestions: ['Set rabbitmq.url or rabbitmq.urls'],
    })
  const sameCredentials = {username: first.username, password: first.password, vhost: first.vhost}
  return [first, ...others.map((endpoint) => ({...endpoint, ...sameCredentials}))]
}

/** The first (or only) node's endpoint. */
export function endpointFromSettings(s: RabbitMqSettings): RabbitMqEndpoint {
  return endpointsFromSettings(s)[0]
}

function endpointFromUrl(s: RabbitMqSettings, text: string): RabbitMqEndpoint {
  const url = parseUrl(text)
  const protocol = url.protocol === 'amqps:' ? 'amqps' : 'amqp'
  const hostname = url.hostname.replace(/^\[|\]$/g, '')
  const port = url.port ? Number(url.port) : protocol === 'amqps' ? 5671 : 5672
  return {
    protocol,
    hostname,
    port,
    username: s.username ?? (decodeURIComponent(url.username) || 'guest'),
    password: s.password ?? (url.username || url.password ? decodeURIComponent(url.password) : 'guest'),
    vhost: s.vhost ?? vhostFromPath(url.pathname),
    address: `${hostname}:${port}`,
    managementUrls: urlList(s.managementUrl).map((base) => base.replace(/\/+$/, '')),
    tls: s.tls,
  }
}

/** The vhost is the URL path without its leading slash, URL-decoded; an empty path means the default vhost '/'. */
function vhostFromPath(pathname: string): string {
  const raw = pathname.replace(/^\//, '')
  return raw === '' ? '/' : decodeURIComponent(raw)
}

function parseUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new MailroomError('CONFIG', 'The RabbitMQ URL is not a valid URL', {
      suggestions: ['Use amqp://user@host:5672/vhost or amqps://user@host:5671/vhost'],
    })
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    throw new MailroomError('CONFIG', `The RabbitMQ URL must start with amqp:// or amqps://, not ${url.protocol}//`)
  }
  return url
}

export function amqpConnectOptions(e: RabbitMqEndpoint): Options.Connect {
  // amqplib URL-decodes the vhost option again, so a vhost holding '%' must be passed encoded.
  const vhost = encodeURIComponent(e.vhost)
  return {protocol: e.protocol, hostname: e.hostname, port: e.port, username: e.username, password: e.password, vhost}
}

export function amqpSocketOptions(s: RabbitMqSettings, timeoutMs: number): SocketOptions {
  const tls = s.tls ?? {}
  return {
    timeout: timeoutMs,
    noDelay: true,
    clientProperties: {connection_name: 'mailroom'},
    ...(tls.ca ? {ca: tls.ca} : {}),
    ...(tls.cert ? {cert: tls.cert} : {}),
    ...(tls.key ? {key: tls.key} : {}),
    ...(tls.servername ? {servername: tls.servername} : {}),
    rejectUnauthorized: !tls.insecureSkipVerify,
  }
}
