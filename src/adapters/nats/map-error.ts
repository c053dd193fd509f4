// The one place NATS / JetStream / Node socket errors become MailroomErrors, by structured code only.
import {ErrorCode, NatsError} from 'nats'
import {DNS_CODES, TLS_CODE, isNetworkCode} from '../network-codes.js'
import {tlsError} from '../tls-error.js'
import {type ErrorCode as MailroomCode, MailroomError, asMailroomError, isMailroomError} from '../../model/errors.js'

/** What the adapter was doing, so the message can say which server, user, stream or subject was involved. */
export interface NatsErrorContext {
  op: 'connect' | 'admin' | 'publish' | 'read'
  /** Server addresses without userinfo. */
  servers?: string
  /** Who we authenticated as ("user x", "token", "credentials file", "nkey"). */
  identity?: string
  stream?: string
  subject?: string
  consumer?: string
  seq?: number
  timeoutMs?: number
  /** The server's max_payload in bytes, to name the limit a message broke. */
  maxPayload?: number
  /** Whether a TLS client certificate is configured (to tell "none sent" from "rejected"). */
  clientCertificate?: boolean
  /** Whether the connection uses TLS. */
  tls?: boolean
  /**
   * Whether the server requires a client certificate, as its INFO says (`tls_verify`); undefined when not asked.
   * Only a server that says so gets a reset during the TLS handshake blamed on a missing certificate.
   */
  tlsVerify?: boolean
}

// JetStream API error codes (nats-server errors.json); stable across 2.9 and later.
const JS_STREAM_NOT_FOUND = 10059
const JS_CONSUMER_NOT_FOUND = 10014
const JS_NO_MESSAGE_FOUND = 10037
const JS_STREAM_STORE_EOF = 10057
const JS_EXPECTED_STREAM_MISMATCH = 10060
const JS_MESSAGE_TOO_LARGE = 10054
const JS_NOT_ENABLED = 10076
const JS_NOT_ENABLED_FOR_ACCOUNT = 10039
const JS_WORKQUEUE_NEEDS_ACKS = 10084
const JS_WORKQUEUE_ONE_UNFILTERED_CONSUMER = 10099

const AUTH_CODES = new Set<string>([
  ErrorCode.AuthorizationViolation,
  ErrorCode.BadAuthentication,
  ErrorCode.BadCreds,
  ErrorCode.AuthenticationExpired,
  ErrorCode.AuthenticationTimeout,
  ErrorCode.AccountExpired,
])
const CLOSED_CODES = new Set<string>([ErrorCode.ConnectionClosed, ErrorCode.ConnectionDraining, ErrorCode.Disconnect])

export function mapNatsError(err: unknown, ctx: NatsErrorContext): MailroomError {
  if (isMailroomError(err)) return err
  if (err instanceof NatsError) return fromNatsError(err, ctx)
  const network = networkErrorCode(err)
  if (network) return fromNetworkError(network, err, ctx)
  // Anything else (a module that failed to load, a wrong argument) is a bug, whatever code it carries.
  return asMailroomError(err)
}

function fromNatsError(err: NatsError, ctx: NatsErrorContext): MailroomError {
  if (err.api_error) return fromJetStreamApiError(err, ctx)
  const chained = networkErrorCode(err.chainedError)
  if (chained && err.code !== ErrorCode.ConnectionRefused) return fromNetworkError(chained, err, ctx)
  const e = (code: MailroomCode, message: string, suggestions?: string[]) =>
    new MailroomError(code, message, {cause: err, suggestions})
  const where = ctx.servers ?? 'the NATS server'
  switch (err.code) {
    case ErrorCode.ConnectionRefused:
      return e('CONNECTION', `connection refused at ${where}`, ['Is nats-server running and listening there?'])
    case ErrorCode.Timeout:
    case ErrorCode.ConnectionTimeout:
      return ctx.op === 'connect'
        ? e('CONNECTION', `no answer from ${where} within ${ctx.timeoutMs ?? '?'} ms (host unreachable or filtered?)`)
        : e('TIMEOUT', `NATS request timed out${suffix(ctx)}`)
    case ErrorCode.NoResponders:
      return noResponders(err, ctx)
    case ErrorCode.Tls:
      return e('CONNECTION', `TLS handshake with ${where} failed`)
    case ErrorCode.ServerOptionNotAvailable:
      return e(
        'CONNECTION',
        `${where} does not offer ${err.message || 'a required option'} (TLS requested but not available?)`,
      )
    case ErrorCode.PermissionsViolation:
      return e(
        'AUTH',
        `permission denied${err.permissionContext ? ` to ${err.permissionContext.operation} ${err.permissionContext.subject}` : ''}`,
      )
    case ErrorCode.MaxPayloadExceeded:
      return e(
        'USAGE',
        `message larger than the server's max_payload${ctx.maxPayload ? ` of ${ctx.maxPayload} bytes` : ''}${suffix(ctx)}`,
      )
    case ErrorCode.BadHeader:
      return e('UNSUPPORTED', `header cannot travel in NATS headers: ${err.message}`)
    case ErrorCode.BadSubject:
      return e('USAGE', `invalid NATS subject${ctx.subject ? ` "${ctx.subject}"` : ''}`)
    case ErrorCode.ProtocolError:
    case ErrorCode.BadJson:
    case ErrorCode.BadPayload:
      return e('PROTOCOL', `NATS protocol error: ${err.message}`)
    case ErrorCode.Cancelled:
      return e('INTERRUPTED', 'NATS operation cancelled')
  }
  if (AUTH_CODES.has(err.code)) {
    return e('AUTH', `authentication failed${ctx.identity ? ` for ${ctx.identity}` : ''} at ${where}`)
  }
  if (CLOSED_CODES.has(err.code)) return e('CONNECTION', `connection to ${where} closed`)
  return e('INTERNAL', `NATS error ${err.code}: ${err.message}`)
}

function fromJetStreamApiError(err: NatsError, ctx: NatsErrorContext): MailroomError {
  const api = err.api_error!
  const e = (code: MailroomCode, message: string) => new MailroomError(code, message, {cause: err})
  switch (api.err_code) {
    case JS_STREAM_NOT_FOUND:
      return e('NOT_FOUND', `stream "${ctx.stream ?? '?'}" not found`)
    case JS_CONSUMER_NOT_FOUND:
      return e('NOT_FOUND', `consumer "${ctx.consumer ?? '?'}" not found on stream "${ctx.stream ?? '?'}"`)
    case JS_NO_MESSAGE_FOUND:
    case JS_STREAM_STORE_EOF:
      return e('NOT_FOUND', `no message with sequence ${ctx.seq ?? '?'} in stream "${ctx.stream ?? '?'}"`)
    case JS_EXPECTED_STREAM_MISMATCH:
      return e('USAGE', `subject "${ctx.subject ?? '?'}" is not captured by stream "${ctx.stream ?? '?'}"`)
    case JS_MESSAGE_TOO_LARGE:
      return e('USAGE', `message larger than the stream's max_msg_size${suffix(ctx)}`)
    case JS_NOT_ENABLED:
    case JS_NOT_ENABLED_FOR_ACCOUNT:
      return e('UNSUPPORTED', 'JetStream is not enabled on this server / account')
    case JS_WORKQUEUE_NEEDS_ACKS:
      return e('UNSUPPORTED', `stream "${ctx.stream ?? '?'}" only accepts consumers with acknowledgements (work queue)`)
    case JS_WORKQUEUE_ONE_UNFILTERED_CONSUMER:
      return new MailroomError(
        'UNSUPPORTED',
        `work-queue stream "${ctx.stream ?? '?'}" already has a consumer, and allows only one`,
        {
          cause: err,
          suggestions: ['Consume through the existing consumer by naming it as the group'],
        },
      )
  }
  const byStatus: Record<number, MailroomCode> = {
    400: 'USAGE',
    403: 'AUTH',
    404: 'NOT_FOUND',
    408: 'TIMEOUT',
    503: 'UNSUPPORTED',
  }
  return e(
    byStatus[api.code] ?? 'PROTOCOL',
    `JetStream error ${api.err_code ?? api.code}: ${api.description}${suffix(ctx)}`,
  )
}

/** 503 means "nobody listens": for a JetStream publish no stream captures the subject, otherwise no JetStream. */
function noResponders(err: NatsError, ctx: NatsErrorContext): MailroomError {
  if (ctx.op === 'publish') {
    return new MailroomError('NOT_FOUND', `no stream captures subject "${ctx.subject ?? '?'}"`, {
      cause: err,
      suggestions: ['Publish to a stream name, or add the subject to a stream'],
    })
  }
  return new MailroomError('UNSUPPORTED', 'JetStream is not enabled on this server / account (no responders)', {
    cause: err,
  })
}

function fromNetworkError(code: string, err: unknown, ctx: NatsErrorContext): MailroomError {
  const where = ctx.servers ?? 'the NATS server'
  if (code === 'ECONNREFUSED') return new MailroomError('CONNECTION', `connection refused at ${where}`, {cause: err})
  if (DNS_CODES.has(code)) return new MailroomError('CONNECTION', `host not found: ${where}`, {cause: err})
  const tlsConnecting = ctx.tls === true && ctx.op === 'connect'
  const tls = tlsError(
    code,
    {
      where,
      clientCertificate: ctx.clientCertificate === true,
      tlsConnecting,
      serverRequiresClientCertificate: ctx.tlsVerify === true,
    },
    err,
  )
  if (tls) return tls
  if (TLS_CODE.test(code))
    return new MailroomError('CONNECTION', `TLS handshake with ${where} failed (${code})`, {cause: err})
  return new MailroomError('CONNECTION', `network error talking to ${where} (${code})`, {cause: err})
}

/** ECONNRESET / EPIPE when the error (or the socket error nats.js chained) is a reset connection. */
export function resetCode(err: unknown): string | undefined {
  const code = networkErrorCode(err) ?? (err instanceof NatsError ? networkErrorCode(err.chainedError) : undefined)
  return code === 'ECONNRESET' || code === 'EPIPE' ? code : undefined
}

/** The code of a Node socket, DNS or TLS error; undefined for any other error, coded or not. */
function networkErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || err instanceof NatsError) return undefined
  const code = (err as NodeJS.ErrnoException).code
  return typeof code === 'string' && isNetworkCode(code) ? code : undefined
}

function suffix(ctx: NatsErrorContext): string {
  if (ctx.subject) return ` (subject "${ctx.subject}")`
  if (ctx.stream) return ` (stream "${ctx.stream}")`
  return ''
}
