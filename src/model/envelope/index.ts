// The envelope codec: broker-agnostic, lossless conversions used by the adapters' map.ts and by NDJSON commands.
export type * from './types.js'
export {bodyFromBytes, bodyToBytes} from './body.js'
export {headerValueFromBytes, headerValueToBytes, headerValueToText, keyFromBytes, keyToBytes} from './header-values.js'
export {decodeEnvelopeLine, encodeEnvelopeLine, readEnvelopes} from './ndjson.js'
export type {NumberedEnvelope, ReadEnvelopesOptions} from './ndjson.js'
export {envelopeProblem, isEnvelopeShape} from './validate.js'
