// GET requests to the management API, through the adapters' shared HTTP request (CA and client certificate as the
// AMQPS connection has them).
import type {IncomingHttpHeaders} from 'node:http'

import type {TlsSettings} from '../../model/settings.js'
import {httpRequest, type HttpAnswer} from '../http.js'

export type {HttpAnswer}

export function httpGet(
  url: URL,
  o: {headers: IncomingHttpHeaders; timeoutMs: number; tls?: TlsSettings},
): Promise<HttpAnswer> {
  return httpRequest({method: 'GET', url, headers: o.headers, timeoutMs: o.timeoutMs, tls: o.tls})
}
