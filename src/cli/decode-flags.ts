// Decoding through a schema registry: the flags of the commands that read values (tail, peek, dlq inspect/export,
// what dlq replay/purge --filter reads, the dashboard) and the decoder they ask for.
import {Flags} from '@oclif/core'

import type {ResolvedContext} from '../core/config/resolve.js'
import {schemaRegistryFlags} from './schema-flags.js'
import {
  DECODE_MODES,
  type DecodeMode,
  type DecodeRequest,
  type EnvelopeDecoder,
  envelopeDecoderFor,
  type SettledDecode,
  settledDecodeRequest,
} from '../core/schema/envelope-decoder.js'

export const decodeFlags = {
  decode: Flags.option({
    description:
      'Decode keys and values through the schema registry: auto (by the schema id in each record), none, or expect avro, protobuf or json (default: auto when a registry is configured, else none)',
    options: DECODE_MODES,
  })(),
  'value-subject': Flags.string({
    description:
      'The subject whose latest schema decodes values that carry no schema id (default with --decode avro|protobuf|json: <topic>-value)',
  }),
  ...schemaRegistryFlags,
}

export interface DecodeFlagValues {
  decode?: DecodeMode
  'value-subject'?: string
}

/**
 * The decoder the flags ask for with the context's registry; undefined when decoding is off. A registry that refuses
 * the credentials fails the command here (AUTH, exit 3), before anything is read.
 */
export function readDecoder(context: ResolvedContext, flags: DecodeFlagValues): Promise<EnvelopeDecoder | undefined> {
  return envelopeDecoderFor(context.settings.schemaRegistry, decodeRequest(flags), {checkCredentials: true})
}

/** The decoding the flags ask for with the context's registry, settled (the mode a replay journal records). */
export function readDecode(context: ResolvedContext, flags: DecodeFlagValues): SettledDecode | undefined {
  return settledDecodeRequest(context.settings.schemaRegistry, decodeRequest(flags))
}

export function decodeRequest(flags: DecodeFlagValues): DecodeRequest {
  return {
    ...(flags.decode ? {mode: flags.decode} : {}),
    ...(flags['value-subject'] ? {valueSubject: flags['value-subject']} : {}),
  }
}
