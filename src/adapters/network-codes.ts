// Node's socket, DNS and TLS error codes: the codes that say the network failed. An Error may carry any other string
// code (MODULE_NOT_FOUND, ERR_INVALID_ARG_TYPE, ...): that is a bug, never a connection error.

export const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME'])
/** The connection was lost or never got through, after the host was found. */
export const UNREACHABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'EPIPE',
  'EADDRNOTAVAIL',
])
export const TLS_CODE =
  /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_|X509_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$|EPROTO$)/

/** Whether a Node error code says the connection failed (refused, host not found, unreachable, reset, TLS). */
export function isNetworkCode(code: string): boolean {
  return (
    code === 'ECONNREFUSED' ||
    DNS_CODES.has(code) ||
    UNREACHABLE_CODES.has(code) ||
    TLS_CODE.test(code) ||
    code.startsWith('ERR_SOCKET_')
  )
}
