// The one place where amqplib, socket, TLS and management-API errors become MailroomErrors.
import {redact} from '../../model/redact.js'
import {isNetworkCode} from '../network-codes.js'
import {tlsError} from '../tls-error.js'
import {type ErrorCode, MailroomError, asMailroomError} from '../../model/errors.js'

export interface ErrorContext {
  /** host:port of the AMQP listener. */
  address?: string
  user?: string
  vhost?: string
  /** Queue / exchange the operation was about. */
  target?: string
  /** The connect timeout, for TIMEOUT messages. */
  timeoutMs?: number
  /** True while opening the connection (the AMQP handshake has no structured error codes in amqplib). */
  connecting?: boolean
  /** Whether a TLS client certificate is configured (to tell "none sent" from "rejected"). */
  clientCertificate?: boolean
  /** Whether the connection uses TLS (amqps). */
  tls?: boolean
}

/** Raised by the management client for a non-2xx answer. */
export class ManagementHttpError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
  ) {
    super(`management API answered ${status} for ${path}`)
    this.name = 'ManagementHttpError'
  }
}

/** Raised by the management client when the API cannot be reached at all. */
export class ManagementUnreachableError extends Error {
  constructor(
    readonly baseUrl: string,
    cause: unknown,
  ) {
    super(`RabbitMQ management API not reachable at ${baseUrl}`, {cause})
    this.name = 'ManagementUnreachableError'
  }
}

export const ENABLE_MANAGEMENT =
  'Enable the management plugin: rabbitmq-plugins enable rabbitmq_management (then http://<host>:15672)'

// AMQP 0-9-1 reply codes (channel and connection close) -> mailroom codes.
const REPLY_CODES: Record<number, ErrorCode> = {
  312: 'NOT_FOUND', // NO_ROUTE
  320: 'CONNECTION', // CONNECTION_FORCED
  403: 'AUTH', // ACCESS_REFUSED
  404: 'NOT_FOUND',
  405: 'REFUSED', // RESOURCE_LOCKED (exclusive queue of another connection)
  406: 'PROTOCOL', // PRECONDITION_FAILED
  506: 'PROTOCOL', // RESOURCE_ERROR
  530: 'AUTH', // NOT_ALLOWED (vhost access)
  540: 'UNSUPPORTED', // NOT_IMPLEMENTED
  541: 'PROTOCOL', // INTERNAL_ERROR
}

export function toMailroomError(err: unknown, ctx: ErrorContext = {}): MailroomError {
  if (err instanceof MailroomError) return err
  if (err instanceof ManagementUnreachableError) return managementUnreachable(err, ctx)
  if (err instanceof ManagementHttpError) return managementHttp(err, ctx)
  const e = (err ?? {}) as {code?: unknown; name?: unknown; message?: unknown}
  if (typeof e.code === 'string')
    // Only Node's network codes are connection errors; any other (MODULE_NOT_FOUND, ERR_INVALID_ARG_TYPE) is a bug.
    return isNetworkCode(e.code) ? systemError(e.code, err, ctx) : asMailroomError(err)
  if (typeof e.code === 'number') return replyError(e.code, err, ctx)
  if (e.name === 'IllegalOperationError') {
    return new MailroomError('CONNECTION', 'The RabbitMQ channel or connection is already closed', {cause: err})
  }
  if (ctx.connecting) return handshakeError(err, ctx)
  return new MailroomError('INTERNAL', `RabbitMQ client error: ${messageOf(err)}`, {cause: err})
}

function systemError(code: string, err: unknown, ctx: ErrorContext): MailroomError {
  const at = ctx.address ?? 'the broker'
  const tls = tlsError(
    code,
    {where: at, clientCertificate: ctx.clientCertificate === true, tlsConnecting: ctx.tls && ctx.connecting},
    err,
  )
  if (tls) return tls
  if (code === 'ECONNREFUSED')
    return connection(`connection refused at ${at}`, err, ['Is RabbitMQ running and listening on that port?'])
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return connection(`host not found: ${hostOf(at)}`, err, ['Check the host name in the RabbitMQ URL'])
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return connection(`host unreachable: ${at}`, err)
  if (code === 'ECONNRESET' || code === 'EPIPE') return connection(`connection to ${at} was reset`, err)
  if (code === 'ETIMEDOUT') return timeout(ctx, err)
  if (code === 'EPROTO')
    return connection(`TLS handshake with ${at} failed (${code})`, err, [
      'Check the CA certificate, client certificate and server name',
    ])
  return connection(`network error talking to ${at} (${code})`, err)
}

function replyError(code: number, err: unknown, ctx: ErrorContext): MailroomError {
  const mapped = REPLY_CODES[code] ?? 'PROTOCOL'
  if (mapped === 'NOT_FOUND' && ctx.target !== undefined) {
    return new MailroomError('NOT_FOUND', `${ctx.target} not found in vhost ${ctx.vhost ?? '/'}`, {cause: err})
  }
  if (mapped === 'AUTH') {
    return new MailroomError(
      'AUTH',
      `access refused for user ${ctx.user ?? '?'} in vhost ${ctx.vhost ?? '/'}: ${messageOf(err)}`,
      {
        cause: err,
        suggestions: ["Check the user's permissions: rabbitmqctl list_user_permissions <user>"],
      },
    )
  }
  return new MailroomError(mapped, `RabbitMQ refused the operation: ${messageOf(err)}`, {cause: err})
}

/**
 * amqplib reports a refused handshake as a plain Error whose message is all that is left of the server's
 * connection.close (no code property), so here - and only here - the reply code is read from that text.
 */
function handshakeError(err: unknown, ctx: ErrorContext): MailroomError {
  const replyCode = /\b(\d{3}) \([A-Z_-]+\)/.exec(messageOf(err))?.[1]
  if (replyCode === '403') {
    return new MailroomError('AUTH', `authentication failed for user ${ctx.user ?? '?'}`, {
      cause: err,
      suggestions: ['Check the user name and password (guest can only connect from localhost)'],
    })
  }
  if (/ConnectionOpenOk/.test(messageOf(err))) {
    return new MailroomError('AUTH', `user ${ctx.user ?? '?'} may not open vhost ${ctx.vhost ?? '/'}`, {
      cause: err,
      suggestions: ['Check that the vhost exists (rabbitmqctl list_vhosts) and the user has permissions on it'],
    })
  }
  return connection(`the server at ${ctx.address ?? 'the broker'} closed the AMQP handshake: ${messageOf(err)}`, err, [
    'Is this an AMQP 0-9-1 port (5672, or 5671 for amqps)?',
  ])
}

export function timeout(ctx: ErrorContext, cause?: unknown): MailroomError {
  const within = ctx.timeoutMs === undefined ? '' : ` within ${ctx.timeoutMs} ms`
  return new MailroomError('TIMEOUT', `no answer from RabbitMQ at ${ctx.address ?? 'the broker'}${within}`, {
    cause,
    suggestions: ['Check the host, port and firewall, or raise the connect timeout'],
  })
}

function managementUnreachable(err: ManagementUnreachableError, ctx: ErrorContext): MailroomError {
  const code = causeCode(err)
  const tls =
    code &&
    tlsError(
      code,
      {where: `the management API at ${err.baseUrl}`, clientCertificate: ctx.clientCertificate === true},
      err,
    )
  if (tls) return tls
  return new MailroomError('CONNECTION', `${err.message} (${causeCode(err) ?? 'no answer'})`, {
    cause: err,
    suggestions: [ENABLE_MANAGEMENT, 'Or set the management URL of the context (--rabbitmq-management-url)'],
  })
}

function managementHttp(err: ManagementHttpError, ctx: ErrorContext): MailroomError {
  if (err.status === 401 || err.status === 403) {
    return new MailroomError('AUTH', `management API refused user ${ctx.user ?? '?'} (HTTP ${err.status})`, {
      cause: err,
      suggestions: ['The user needs the "monitoring" or "management" tag: rabbitmqctl set_user_tags <user> monitoring'],
    })
  }
  if (err.status === 404) {
    return new MailroomError('NOT_FOUND', `${ctx.target ?? err.path} not found in vhost ${ctx.vhost ?? '/'}`, {
      cause: err,
    })
  }
  return new MailroomError('PROTOCOL', err.message, {cause: err})
}

function connection(message: string, cause: unknown, suggestions: string[] = []): MailroomError {
  return new MailroomError('CONNECTION', message, {cause, suggestions})
}

function causeCode(err: Error): string | undefined {
  let cause: unknown = err.cause
  while (cause && typeof cause === 'object') {
    const code = (cause as {code?: unknown}).code
    if (typeof code === 'string') return code
    cause = (cause as {cause?: unknown}).cause
  }
  return undefined
}

function hostOf(address: string): string {
  return address.replace(/:\d+$/, '')
}

function messageOf(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err))
}
