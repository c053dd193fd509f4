// The next N messages of a target, left where they are.
import type {BrokerAdapter, PeekOptions, PeekResult} from '../../adapters/types.js'
import {MailroomError} from '../../model/errors.js'
import type {MessageFilter} from '../filter.js'
import type {EnvelopeDecoder} from '../schema/envelope-decoder.js'

/**
 * Brokers that read by offset or sequence peek with a bounded read from the start; the others (RabbitMQ queues)
 * supply their own peek, which reports its side effects as warnings.
 */
export async function peekMessages(
  adapter: BrokerAdapter,
  target: string,
  o: PeekOptions & {filter?: MessageFilter; decoder?: EnvelopeDecoder},
): Promise<PeekResult> {
  if (adapter.peek) {
    const result = await adapter.peek(target, o)
    await o.decoder?.decorateAll(result.messages)
    return o.filter ? {...result, messages: result.messages.filter(o.filter)} : result
  }
  if (!adapter.read) throw new MailroomError('UNSUPPORTED', `${adapter.kind} cannot read messages`)
  const messages: PeekResult['messages'] = []
  if (o.count <= 0) return {messages, warnings: []}
  for await (const delivery of adapter.read(target, {
    from: {kind: 'earliest'},
    untilEnd: true,
    prefetch: Math.min(o.count, 1000),
  })) {
    await o.decoder?.decorate(delivery.envelope)
    if (o.filter && !o.filter(delivery.envelope)) continue
    messages.push(delivery.envelope)
    if (messages.length >= o.count) break
  }
  return {messages, warnings: []}
}
