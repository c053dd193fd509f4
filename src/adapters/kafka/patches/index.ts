// Replacements for the kafkajs internals that dominate a Kafka publish (kafkajs is unmaintained, and pinned: see
// ../kafkajs-internals.ts).
// Each produces exactly what the module it replaces did, faster; the unit tests compare them. Running from the
// compiled sources, they are swapped into the CommonJS module cache before kafkajs's producer first loads them (it
// loads its request encoders lazily, and the grouping module at import, which is why this runs before kafkajs is
// imported). The bundle applies the same replacements to kafkajs's sources at build time instead.
import {kafkajsModule, replaceInModuleCache} from '../kafkajs-files.js'
import {KAFKAJS_PATCHES, type PatchedModule, replaceKafkajsModule} from './replacements.js'

const originals = new Map<PatchedModule, unknown>()

/** What kafkajs itself exports from a patched module, even once replaced (the tests compare against it). */
export function kafkajsOriginal<T>(name: PatchedModule): T {
  return (originals.get(name) ?? kafkajsModule(KAFKAJS_PATCHES[name].module)) as T
}

export function installKafkajsPatches(): void {
  if (originals.size > 0) return
  for (const name of Object.keys(KAFKAJS_PATCHES) as PatchedModule[]) replaceModule(name)
}

/** Loads a kafkajs module and puts the replacement in its place in the module cache, keeping the original. */
function replaceModule(name: PatchedModule): void {
  const {module} = KAFKAJS_PATCHES[name]
  const original = kafkajsModule(module)
  originals.set(name, original)
  replaceInModuleCache(module, replaceKafkajsModule(name, original, kafkajsModule))
}
