// kafkajs's CommonJS sources where Node loads them from node_modules: what the patches replace in Node's module cache
// when mailroom runs from its compiled sources (tests, development). The bundle has kafkajs inside with the patches
// applied at build time (scripts/kafkajs-bundled.mjs) and never imports this module.
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'

import {checkKafkajsVersion} from './kafkajs-internals.js'

const require = createRequire(import.meta.url)

const kafkajsRoot = dirname(require.resolve('kafkajs/package.json'))
checkKafkajsVersion((require('kafkajs/package.json') as {version?: string}).version, kafkajsRoot)

function kafkajsFile(module: string): string {
  return join(kafkajsRoot, 'src', module)
}

/** Loads one kafkajs source module by its path under src/, through Node's module cache (patched or not). */
export function kafkajsModule<T>(module: string): T {
  return require(kafkajsFile(module)) as T
}

/** Puts `exports` in place of a loaded kafkajs module's, for every later require of it. */
export function replaceInModuleCache(module: string, exports: unknown): void {
  require.cache[kafkajsFile(module)]!.exports = exports
}
