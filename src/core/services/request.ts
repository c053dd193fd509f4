// Request/reply: publish one message carrying a reply address and a correlation id, wait for the correlated reply.
import {randomUUID} from 'node:crypto'

import type {BrokerAdapter, RequestOptions} from '../../adapters/types.js'
import {MailroomError} from '../../model/errors.js'
import type {Envelope} from '../../model/envelope/types.js'

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000

export interface RequestResult {
  target: string
  correlationId: string
  elapsedMs: number
  reply: Envelope
}

/** The correlation id is the envelope's own (--correlation-id) or a fresh UUID. */
export async function requestReply(
  adapter: BrokerAdapter,
  target: string,
  envelope: Envelope,
  o: RequestOptions,
): Promise<RequestResult> {
  if (!adapter.request) {
    throw new MailroomError('UNSUPPORTED', `${adapter.kind} has no request/reply in mailroom`)
  }
  const correlationId = envelope.properties?.correlationId || randomUUID()
  const request: Envelope = {...envelope, properties: {...envelope.properties, correlationId}}
  const started = performance.now()
  const reply = await adapter.request(target, request, o)
  return {target: `${adapter.kind}:${target}`, correlationId, elapsedMs: Math.round(performance.now() - started), reply}
}
