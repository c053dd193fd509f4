// HTTP requests (RabbitMQ's management API, the schema registry) through node:http / node:https, so HTTPS verifies
// against the context's CA and presents its client certificate exactly like the broker connections do; fetch cannot
// take a CA.
import {request as plainRequest, type OutgoingHttpHeaders} from 'node:http'
import {request as httpsRequest} from 'node:https'

import type {TlsSettings} from '../model/settings.js'

export interface HttpAnswer {
  status: number
  body: string
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  url: URL
  headers: OutgoingHttpHeaders
  body?: string
  timeoutMs: number
  tls?: TlsSettings
}

export function httpRequest(r: HttpRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const secure = r.url.protocol === 'https:'
    const tls = r.tls ?? {}
    const options = {
      method: r.method,
      headers: r.body === undefined ? r.headers : {...r.headers, 'content-length': Buffer.byteLength(r.body)},
      timeout: r.timeoutMs,
      ...(secure
        ? {
            ca: tls.ca,
            cert: tls.cert,
            key: tls.key,
            servername: tls.servername,
            rejectUnauthorized: !tls.insecureSkipVerify,
          }
        : {}),
    }
    const req = (secure ? httpsRequest : plainRequest)(r.url, options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.once('end', () => resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')}))
      res.once('error', reject)
    })
    req.once('timeout', () =>
      req.destroy(Object.assign(new Error(`no answer within ${r.timeoutMs} ms`), {code: 'ETIMEDOUT'})),
    )
    req.once('error', reject)
    req.end(r.body)
  })
}
