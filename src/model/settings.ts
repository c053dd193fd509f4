// Connection settings as adapters receive them: fully resolved (context + env + flags), secrets already read
// from env vars or files. Adapters never read config files or env vars themselves.

export interface TlsSettings {
  /** PEM contents, not paths (the resolver reads the files). */
  ca?: string
  cert?: string
  key?: string
  servername?: string
  /** Verification is on unless explicitly disabled (loudly warned). */
  insecureSkipVerify?: boolean
}

export interface RabbitMqSettings {
  /**
   * amqp:// or amqps:// URL, may contain user:password and a URL-encoded vhost. A cluster's nodes: several URLs, comma
   * separated, in failover order (credentials and vhost from the first).
   */
  url: string
  /** http(s):// base URL of the management API; several, comma separated, for a cluster's nodes. */
  managementUrl: string
  username?: string
  password?: string
  vhost?: string
  tls?: TlsSettings
}

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512'

export interface KafkaSettings {
  brokers: string[]
  clientId?: string
  sasl?: {mechanism: SaslMechanism; username: string; password: string}
  tls?: TlsSettings
  /** Allow SASL PLAIN without TLS (refused otherwise). */
  allowPlainWithoutTls?: boolean
}

export interface NatsSettings {
  /** One or more nats:// / tls:// URLs, comma separated. */
  url: string
  user?: string
  password?: string
  token?: string
  /** Contents of a .creds file (JWT + seed). */
  creds?: string
  /** NKEY seed text. */
  nkeySeed?: string
  tls?: TlsSettings
}

/** A Confluent-compatible schema registry (Confluent, Apicurio's /apis/ccompat/v7, Karapace, Redpanda). */
export interface SchemaRegistrySettings {
  /** http(s):// base URL, possibly with a path (https://host/apis/ccompat/v7); never holds credentials. */
  url: string
  username?: string
  password?: string
  tls?: TlsSettings
}

export interface ConnectionSettings {
  rabbitmq?: RabbitMqSettings
  kafka?: KafkaSettings
  nats?: NatsSettings
  /** Not a broker: read records' schemas from it (decoding) and encode published values through it. */
  schemaRegistry?: SchemaRegistrySettings
  /** Connect timeout in ms for every broker (default 5000). */
  connectTimeoutMs: number
}
