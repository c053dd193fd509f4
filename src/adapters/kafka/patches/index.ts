// Replacements for the kafkajs internals that dominate a Kafka publish (kafkajs is unmaintained, and pinned: see
// ../kafkajs-internals.ts).
// Each produces exactly what the module it replaces did, faster; the unit tests compare them. They are swapped into
// the CommonJS module cache before kafkajs's producer first loads them (it loads its request encoders lazily, and
// the grouping module at import, which is why this runs before kafkajs is imported).
import {createRequire} from 'node:module'
import {join} from 'node:path'

import {kafkajsSrc} from '../kafkajs-internals.js'
import {groupMessagesPerPartition} from './partition-grouping.js'
import {loadProduceInternals, produceRequestV3} from './produce-request.js'
import {type RecordEncoder, withFallback} from './record-encoder.js'

const require = createRequire(import.meta.url)
const RECORD_MODULE = join(kafkajsSrc, 'protocol', 'recordBatch', 'record', 'v0', 'index.js')
const GROUPING_MODULE = join(kafkajsSrc, 'producer', 'groupMessagesPerPartition.js')
const PRODUCE_REQUEST_MODULE = join(kafkajsSrc, 'protocol', 'requests', 'produce', 'v3', 'request.js')

const MODULES = {record: RECORD_MODULE, grouping: GROUPING_MODULE, produceRequest: PRODUCE_REQUEST_MODULE}
type Patched = keyof typeof MODULES
const originals = new Map<Patched, unknown>()

/** What kafkajs itself exports from a patched module, even once replaced (the tests compare against it). */
export function kafkajsOriginal<T>(name: Patched): T {
  return (originals.get(name) ?? require(MODULES[name])) as T
}

export function installKafkajsPatches(): void {
  if (originals.size > 0) return
  replaceModule('record', (own: RecordEncoder) => withFallback(own))
  replaceModule('grouping', () => groupMessagesPerPartition)
  // After the record encoder: the request encodes its records with whatever the record module now holds.
  replaceModule('produceRequest', () => produceRequestV3(loadProduceInternals()))
}

/** Loads a kafkajs module and puts the replacement in its place in the module cache, keeping the original. */
function replaceModule<T>(name: Patched, replacement: (original: T) => unknown): void {
  const original = require(MODULES[name]) as T
  originals.set(name, original)
  require.cache[MODULES[name]]!.exports = replacement(original)
}
