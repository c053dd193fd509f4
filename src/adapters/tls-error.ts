// TLS failures say which side refused what, from Node's / OpenSSL's structured error codes (never message text).
// Shared by the three adapters' map-error.ts: the codes are Node's, whichever driver holds the socket.
import {type ErrorCode, MailroomError} from '../model/errors.js'

export interface TlsErrorContext {
  /** host:port (or a list) of the server, safe to print. */
  where: string
  /** Whether a client certificate was configured (changes what a "bad certificate" alert means). */
  clientCertificate: boolean
  /** The connection uses TLS and is being opened: a reset then happened during the TLS handshake. */
  tlsConnecting?: boolean
  /**
   * Whether the server said it requires a client certificate (NATS: `tls_verify` in its INFO). Undefined when the
   * broker cannot be asked: a reset while opening TLS without a certificate is then reported as a likely refusal.
   */
  serverRequiresClientCertificate?: boolean
  /** Where the TLS settings live when not under the context's broker (`schemaRegistry.tls`): named in suggestions. */
  tlsSetting?: string
}

interface Diagnosis {
  code: ErrorCode
  reason: string
  suggestion: string
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
])
const CA_HINT = "Set the context's tls.caFile to the CA that signed the server's certificate"
const CLIENT_CERT_HINT = "Set the context's tls.certFile and tls.keyFile to a client certificate the server trusts"

// Alerts the server sent about the client certificate (the code names the alert OpenSSL received).
const SERVER_ALERTS: Record<string, (o: TlsErrorContext) => Diagnosis> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: () =>
    clientCertificate('the server requires a client certificate and none was sent'),
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: (o) =>
    clientCertificate(
      o.clientCertificate
        ? 'the server rejected the client certificate'
        : 'the server requires a client certificate and none was sent',
    ),
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: () =>
    clientCertificate('the server rejected the client certificate: it has expired'),
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: () =>
    clientCertificate('the server rejected the client certificate: signed by an authority it does not trust'),
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: () =>
    clientCertificate(
      'the server rejected the client certificate (expired, or signed by an authority it does not trust)',
    ),
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: () =>
    clientCertificate('the server rejected the client certificate: it is revoked'),
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: (o) => ({
    code: 'CONNECTION',
    reason: `the server refused the handshake (no common TLS version or cipher${o.clientCertificate ? '' : ', or a client certificate is required'})`,
    suggestion: o.clientCertificate ? 'Check the TLS versions and ciphers the server allows' : CLIENT_CERT_HINT,
  }),
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: () =>
    connection('no TLS version in common with the server', 'Check the TLS versions the server allows'),
  ERR_SSL_WRONG_VERSION_NUMBER: () =>
    connection(
      'the server did not answer in TLS (a plain-text port?)',
      'Use the TLS port of the server, or drop TLS for a plain-text port',
    ),
}

function connection(reason: string, suggestion: string): Diagnosis {
  return {code: 'CONNECTION', reason, suggestion}
}

function clientCertificate(reason: string): Diagnosis {
  return {code: 'AUTH', reason, suggestion: CLIENT_CERT_HINT}
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE'])

function diagnose(errorCode: string, o: TlsErrorContext): Diagnosis | undefined {
  // A reset while TLS is being set up says only that the server (or something in between) hung up: an overloaded
  // server drops handshakes that exceed its TLS timeout. It is blamed on the client certificate only when the server
  // said it requires one; with TLS 1.3 the server's certificate alert can be lost to that same reset.
  if (RESET_CODES.has(errorCode) && o.tlsConnecting) {
    const reset = 'the connection was reset during the TLS handshake'
    if (!o.clientCertificate && o.serverRequiresClientCertificate === true)
      return clientCertificate(`${reset}: the server requires a client certificate, and none is configured`)
    if (!o.clientCertificate && o.serverRequiresClientCertificate === undefined)
      return clientCertificate(`${reset}: the server may require a client certificate, and none is configured`)
    return connection(
      reset,
      'The server or a proxy closed the connection before TLS was set up (an overloaded server drops slow handshakes): try again, and check the server log',
    )
  }
  if (UNKNOWN_AUTHORITY.has(errorCode)) return connection('certificate signed by unknown authority', CA_HINT)
  if (errorCode === 'CERT_HAS_EXPIRED')
    return connection("the server's certificate has expired", 'Renew the server certificate')
  if (errorCode === 'CERT_NOT_YET_VALID')
    return connection("the server's certificate is not valid yet", "Check this machine's clock")
  if (errorCode === 'CERT_REVOKED')
    return connection("the server's certificate is revoked", 'Renew the server certificate')
  if (errorCode === 'ERR_TLS_CERT_ALTNAME_INVALID' || errorCode === 'HOSTNAME_MISMATCH') {
    return connection(
      "the server's certificate does not match the host name",
      'Connect by a name the certificate lists, or set tls.servername',
    )
  }
  const alert = SERVER_ALERTS[errorCode]
  if (alert) return alert(o)
  if (errorCode.startsWith('ERR_OSSL_')) {
    return {
      code: 'CONFIG',
      reason: 'the client certificate, key or CA file cannot be used',
      suggestion: 'Check that tls.certFile and tls.keyFile are PEM files of one key pair',
    }
  }
  if (/^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|X509_)/.test(errorCode))
    return connection('TLS handshake failed', 'Check the CA, client certificate and server name')
  return undefined
}

/** A MailroomError for a TLS failure code, or undefined when the code is not about TLS. */
export function tlsError(errorCode: string, o: TlsErrorContext, cause?: unknown): MailroomError | undefined {
  const diagnosis = diagnose(errorCode, o)
  if (!diagnosis) return undefined
  const message =
    diagnosis.code === 'CONFIG'
      ? `${diagnosis.reason} (${errorCode})`
      : `TLS handshake with ${o.where} failed: ${diagnosis.reason} (${errorCode})`
  const suggestion = o.tlsSetting ? diagnosis.suggestion.replaceAll('tls.', `${o.tlsSetting}.`) : diagnosis.suggestion
  return new MailroomError(diagnosis.code, message, {cause, suggestions: [suggestion]})
}

/** Whether an error code is a TLS failure tlsError() explains. */
export function isTlsErrorCode(errorCode: string): boolean {
  return diagnose(errorCode, {where: '', clientCertificate: false}) !== undefined
}
