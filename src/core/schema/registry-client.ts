// The Confluent schema-registry REST API (also served by Apicurio under /apis/ccompat/v7, Karapace and Redpanda):
// schemas by id (cached for the run), subjects' versions, registration. Errors are one line without secrets:
// registry unreachable = CONNECTION (exit 3), unknown id or subject = NOT_FOUND (4), refused credentials = AUTH.
import {MailroomError} from '../../model/errors.js'
import type {SchemaRegistrySettings} from '../../model/settings.js'
import {isTlsErrorCode, tlsError} from '../../adapters/tls-error.js'
import {type HttpAnswer, httpRequest} from '../../adapters/http.js'
import type {SchemaType} from './types.js'

export interface SchemaReference {
  /** The name the schema uses for it: a Protobuf import path, an Avro full name, a JSON Schema $ref. */
  name: string
  subject: string
  version: number
}

export interface RegisteredSchema {
  id: number
  schemaType: SchemaType
  schema: string
  references: SchemaReference[]
  subject?: string
  version?: number
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'
const DEFAULT_TIMEOUT_MS = 10_000

export class RegistryClient {
  private readonly byId = new Map<number, Promise<RegisteredSchema>>()
  private readonly byVersion = new Map<string, Promise<RegisteredSchema>>()
  private readonly base: URL
  private readonly where: string

  constructor(
    private readonly settings: SchemaRegistrySettings,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.base = registryBaseUrl(settings.url)
    this.where = `schema registry ${this.base.host}`
  }

  /** The schema with this id, with the subject and version that hold it when the registry says so. */
  schemaById(id: number): Promise<RegisteredSchema> {
    return cached(this.byId, id, async () => {
      const answer = await this.call<{schema: string; schemaType?: string; references?: SchemaReference[]}>(
        'GET',
        `schemas/ids/${id}`,
        {notFound: `schema id ${id} is not in the ${this.where}`},
      )
      const place = await this.subjectVersionOf(id)
      return {id, ...shaped(answer), ...place}
    })
  }

  /** A subject's version (a number or 'latest'). Latest is asked for once per run, like every schema. */
  schemaBySubject(subject: string, version: number | 'latest' = 'latest'): Promise<RegisteredSchema> {
    return cached(this.byVersion, `${subject}\u0000${version}`, async () => {
      const answer = await this.call<{
        id: number
        version: number
        schema: string
        schemaType?: string
        references?: SchemaReference[]
      }>('GET', `subjects/${encodeURIComponent(subject)}/versions/${version}`, {
        notFound: `subject "${subject}"${version === 'latest' ? '' : ` version ${version}`} is not in the ${this.where}`,
      })
      const found: RegisteredSchema = {...shaped(answer), id: answer.id, subject, version: answer.version}
      if (!this.byId.has(found.id)) this.byId.set(found.id, Promise.resolve(found))
      return found
    })
  }

  /** Registers a schema under a subject (or finds it registered already): its id. */
  async register(
    subject: string,
    schema: {schema: string; schemaType: SchemaType; references?: SchemaReference[]},
  ): Promise<number> {
    const body = {
      schema: schema.schema,
      ...(schema.schemaType === 'AVRO' ? {} : {schemaType: schema.schemaType}),
      ...(schema.references?.length ? {references: schema.references} : {}),
    }
    const answer = await this.call<{id: number}>('POST', `subjects/${encodeURIComponent(subject)}/versions`, {
      body: JSON.stringify(body),
      notFound: `subject "${subject}" cannot be registered in the ${this.where}`,
    })
    return answer.id
  }

  /**
   * Whether the registry takes our credentials (none, or the context's): one GET /schemas/types. Throws AUTH when it
   * refuses them (HTTP 401/403); any other outcome (down, slow, a TLS failure, an older registry without the endpoint)
   * passes, and each record then says why it is not decoded.
   */
  async checkCredentials(): Promise<void> {
    let answer: HttpAnswer
    try {
      answer = await this.send('GET', new URL('schemas/types', this.base), undefined)
    } catch {
      return
    }
    if (answer.status !== 401 && answer.status !== 403) return
    const url = this.base.href.replace(/\/$/, '')
    const {username} = this.settings
    const whose =
      username === undefined
        ? 'requires credentials, and none are configured'
        : `refused the credentials of user ${username}`
    throw new MailroomError('AUTH', `schema registry ${url} ${whose} (HTTP ${answer.status})`, {
      suggestions: [
        username === undefined
          ? "Set the context's schemaRegistry.username and passwordEnv/passwordFile"
          : "Check the context's schemaRegistry.username and passwordEnv/passwordFile",
        'Or read the values undecoded with --decode none',
      ],
    })
  }

  /** Where a schema id is registered (Confluent 5.5+); undefined when the registry does not say. */
  private async subjectVersionOf(id: number): Promise<{subject?: string; version?: number}> {
    try {
      const places = await this.call<{subject: string; version: number}[]>('GET', `schemas/ids/${id}/versions`, {
        notFound: '',
      })
      const first = places[0]
      return first ? {subject: first.subject, version: first.version} : {}
    } catch {
      return {}
    }
  }

  private async call<T>(method: 'GET' | 'POST', path: string, o: {body?: string; notFound: string}): Promise<T> {
    const answer = await this.send(method, new URL(path, this.base), o.body)
    if (answer.status >= 200 && answer.status < 300) return parseJson<T>(answer.body, this.where)
    throw this.refusal(answer, o.notFound)
  }

  private async send(method: 'GET' | 'POST', url: URL, body: string | undefined): Promise<HttpAnswer> {
    const {username, password, tls} = this.settings
    const headers: Record<string, string> = {accept: `${CONTENT_TYPE}, application/json`}
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE
    if (username !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`
    }
    try {
      return await httpRequest({method, url, headers, body, timeoutMs: this.timeoutMs, tls})
    } catch (error) {
      throw this.unreachable(error)
    }
  }

  private unreachable(error: unknown): MailroomError {
    const code = (error as NodeJS.ErrnoException)?.code ?? 'error'
    if (isTlsErrorCode(code)) {
      const mapped = tlsError(
        code,
        {where: this.where, clientCertificate: Boolean(this.settings.tls?.cert), tlsSetting: 'schemaRegistry.tls'},
        error,
      )
      if (mapped) return mapped
    }
    const reason = code === 'ETIMEDOUT' ? `no answer within ${this.timeoutMs} ms` : code
    return new MailroomError(
      code === 'ETIMEDOUT' ? 'TIMEOUT' : 'CONNECTION',
      `${this.where} is unreachable: ${reason}`,
      {
        cause: error,
        suggestions: ['Check the registry URL (--schema-registry, MAILROOM_SCHEMA_REGISTRY_URL or the context)'],
      },
    )
  }

  private refusal(answer: HttpAnswer, notFound: string): MailroomError {
    const detail = registryMessage(answer.body)
    if (answer.status === 401 || answer.status === 403) {
      return new MailroomError('AUTH', `${this.where} refused the credentials (HTTP ${answer.status})`, {
        suggestions: ["Check the context's schemaRegistry.username and passwordEnv/passwordFile"],
      })
    }
    if (answer.status === 404 && notFound) {
      return new MailroomError('NOT_FOUND', notFound, {
        suggestions: ['List what the registry holds: GET <registry>/subjects'],
      })
    }
    if (answer.status === 409 || answer.status === 422) {
      return new MailroomError('USAGE', `${this.where} refused the schema: ${detail}`, {
        suggestions: ["Check the schema's syntax and the subject's compatibility setting"],
      })
    }
    return new MailroomError('CONNECTION', `${this.where} answered HTTP ${answer.status}: ${detail}`, {
      suggestions: ['Check the registry URL, including its path (e.g. /apis/ccompat/v7 for Apicurio)'],
    })
  }
}

/** The base URL with a trailing slash, so relative paths keep its path (/apis/ccompat/v7). */
export function registryBaseUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new MailroomError('USAGE', `malformed schema registry URL "${text}"`, {
      suggestions: ['Expected something like http://registry:8081 or https://host/apis/ccompat/v7'],
    })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MailroomError(
      'USAGE',
      `schema registry URL must start with http:// or https://, got "${url.protocol}//"`,
      {
        suggestions: ['Expected something like http://registry:8081'],
      },
    )
  }
  if (url.username || url.password) {
    throw new MailroomError('USAGE', 'the schema registry URL holds a user or password', {
      suggestions: ["Remove user:password@ and set the context's schemaRegistry.username and passwordEnv/passwordFile"],
    })
  }
  url.search = ''
  url.hash = ''
  if (!url.pathname.endsWith('/')) url.pathname += '/'
  return url
}

function shaped(answer: {schema: string; schemaType?: string; references?: SchemaReference[]}): {
  schemaType: SchemaType
  schema: string
  references: SchemaReference[]
} {
  const type = (answer.schemaType ?? 'AVRO').toUpperCase()
  const schemaType: SchemaType = type === 'PROTOBUF' ? 'PROTOBUF' : type === 'JSON' ? 'JSON' : 'AVRO'
  return {schemaType, schema: answer.schema, references: answer.references ?? []}
}

function registryMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as {message?: unknown; error_code?: unknown}
    if (typeof parsed.message === 'string') return firstLineOf(parsed.message)
  } catch {
    // not JSON: the text itself
  }
  return firstLineOf(body).slice(0, 200) || 'no detail'
}

function firstLineOf(text: string): string {
  return text.split('\n')[0].trim()
}

function parseJson<T>(body: string, where: string): T {
  try {
    return JSON.parse(body) as T
  } catch {
    throw new MailroomError('PROTOCOL', `${where} answered something that is not JSON`, {
      suggestions: ['Check the registry URL, including its path (e.g. /apis/ccompat/v7 for Apicurio)'],
    })
  }
}

/** A failure is remembered this long: a topic of records of an unknown id, or a registry that is down, is not asked
 * again for each record, and a long tail still recovers once the registry is back. */
const FAILURE_MEMORY_MS = 5_000

/** One request per key and run (a failure: per FAILURE_MEMORY_MS). */
function cached<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
  const hit = cache.get(key)
  if (hit) return hit
  const pending = load()
  cache.set(key, pending)
  pending.catch(() => setTimeout(() => cache.delete(key), FAILURE_MEMORY_MS).unref())
  return pending
}
