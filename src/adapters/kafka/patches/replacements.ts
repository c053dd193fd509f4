// What replaces each patched kafkajs module, named by its path under kafkajs's src/. Applied in one of two places,
// with the same functions: in Node's module cache as kafkajs loads (./index.ts, when mailroom runs from its compiled
// sources) or to kafkajs's sources as they are bundled (scripts/kafkajs-bundled.mjs).
import {groupMessagesPerPartition} from './partition-grouping.js'
import {metadataTolerantWhenListing, type MetadataModule} from './metadata-listing.js'
import {loadProduceInternals, PRODUCE_REQUEST_LOADS, produceRequestV3} from './produce-request.js'
import {type RecordEncoder, withFallback} from './record-encoder.js'

/** Loads a kafkajs module by its path under src/, as replaced if it is one of the patched ones. */
export type KafkajsLoad = (module: string) => unknown

interface Patch {
  module: string
  /** The kafkajs modules the replacement loads (the bundle must hold them). */
  loads: string[]
  replace(original: unknown, load: KafkajsLoad): unknown
}

/** In the order they are applied: the produce request encodes its records with whatever the record module holds. */
export const KAFKAJS_PATCHES = {
  record: {
    module: 'protocol/recordBatch/record/v0/index.js',
    loads: [],
    replace: (original) => withFallback(original as RecordEncoder),
  },
  grouping: {module: 'producer/groupMessagesPerPartition.js', loads: [], replace: () => groupMessagesPerPartition},
  produceRequest: {
    module: 'protocol/requests/produce/v3/request.js',
    loads: PRODUCE_REQUEST_LOADS,
    replace: (_original, load) => produceRequestV3(loadProduceInternals(load)),
  },
  metadataListing: {
    module: 'protocol/requests/metadata/index.js',
    loads: [],
    replace: (original) => metadataTolerantWhenListing(original as MetadataModule),
  },
} satisfies Record<string, Patch>

export type PatchedModule = keyof typeof KAFKAJS_PATCHES

/** The module to put in place of kafkajs's own `original`. */
export function replaceKafkajsModule(name: PatchedModule, original: unknown, load: KafkajsLoad): unknown {
  return KAFKAJS_PATCHES[name].replace(original, load)
}
