// Sends a flexible-version request over a kafkajs broker connection. kafkajs writes request header v1 (api key,
// version, correlation id, client id); flexible versions use header v2, which adds tagged fields after the client
// id, so the body starts with an empty tagged-field section. The response header v1 likewise ends with tagged
// fields after the correlation id kafkajs has already read, so they are skipped before the body is decoded.
import type {Broker} from 'kafkajs'
import {type ProtocolRequest, sendOverBroker} from '../kafkajs-internals.js'
import {FlexibleReader, FlexibleWriter} from './flexible.js'

export interface FlexibleApi {
  apiKey: number
  apiVersion: number
  apiName: string
}

export async function sendFlexible<T>(
  broker: Broker,
  api: FlexibleApi,
  body: Buffer,
  decode: (body: Buffer) => T,
): Promise<T> {
  const framed = Buffer.concat([new FlexibleWriter().emptyTaggedFields().toBuffer(), body])
  const request: ProtocolRequest<T> = {
    request: {...api, encode: async () => ({buf: framed, buffer: framed})},
    response: {decode: async (payload) => decode(withoutHeaderTags(payload)), parse: async (decoded) => decoded},
  }
  return sendOverBroker(broker, request)
}

function withoutHeaderTags(payload: Buffer): Buffer {
  const reader = new FlexibleReader(payload)
  reader.skipTaggedFields()
  return payload.subarray(reader.position)
}
