// GET requests to the management API through node:http / node:https, so HTTPS verifies against the context's CA
// (and presents its client certificate) exactly like the AMQPS connection does; fetch cannot take a CA.
import {request as httpRequest, type IncomingHttpHeaders} from 'node:http'
import {request as httpsRequest} from 'node:https'

import type {TlsSettings} from '../../model/settings.js'

export interface HttpAnswer {
  status: number
  body: string
}

export function httpGet(
  url: URL,
  o: {headers: IncomingHttpHeaders; timeoutMs: number; tls?: TlsSettings},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:'
    const tls = o.tls ?? {}
    const options = {
      method: 'GET',
      headers: o.headers,
      timeout: o.timeoutMs,
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
    const req = (secure ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.once('end', () => resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')}))
      res.once('error', reject)
    })
    req.once('timeout', () =>
      req.destroy(Object.assign(new Error(`no answer within ${o.timeoutMs} ms`), {code: 'ETIMEDOUT'})),
    )
    req.once('error', reject)
    req.end()
  })
}
