// esbuild plugin: kafkajs bundled with mailroom's patches applied to its sources, so that the Kafka commands load one
// chunk instead of ~80 files from node_modules (~120 ms of start-up). Running from the compiled sources, the same
// replacements go into Node's module cache as kafkajs loads (src/adapters/kafka/patches/index.ts); here each patched
// module keeps its own code and ends by handing its exports to the same replacement function, and the module that
// installs the runtime patches is left empty. The build fails unless kafkajs is the pinned version and every patch
// was applied.
import {readFileSync} from 'node:fs'
import {dirname, join, sep} from 'node:path'

/**
 * @param {string} dist the compiled sources (dist/), whose patch table is used both at build time and in the bundle
 * @param {string} root the package root, whose node_modules holds kafkajs
 */
export async function kafkajsBundled(dist, root) {
  const patchesDir = join(dist, 'adapters', 'kafka', 'patches')
  const replacements = join(patchesDir, 'replacements.js')
  const {KAFKAJS_PATCHES} = await import(replacements)
  const {checkKafkajsVersion} = await import(join(dist, 'adapters', 'kafka', 'kafkajs-internals.js'))
  const kafkajsRoot = join(root, 'node_modules', 'kafkajs')
  checkKafkajsVersion(JSON.parse(readFileSync(join(kafkajsRoot, 'package.json'), 'utf8')).version, kafkajsRoot)
  const byFile = new Map(
    Object.entries(KAFKAJS_PATCHES).map(([name, patch]) => [
      `kafkajs${sep}src${sep}${patch.module.split('/').join(sep)}`,
      {name, ...patch},
    ]),
  )
  const applied = new Set()
  return {
    name: 'kafkajs-bundled',
    setup(build) {
      build.onLoad({filter: /[\\/]kafkajs[\\/]src[\\/].*\.js$/}, (args) => {
        const patch = [...byFile].find(([file]) => args.path.endsWith(file))?.[1]
        if (!patch) return undefined
        applied.add(patch.name)
        return {contents: patchedSource(readFileSync(args.path, 'utf8'), patch, replacements), loader: 'js'}
      })
      build.onLoad({filter: /[\\/]adapters[\\/]kafka[\\/]patches[\\/]install\.js$/}, (args) =>
        dirname(args.path) === patchesDir
          ? {contents: '// kafkajs is bundled with its patches applied.\n', loader: 'js'}
          : undefined,
      )
      build.onEnd((result) => {
        const missing = Object.keys(KAFKAJS_PATCHES).filter((name) => !applied.has(name))
        if (result.errors.length === 0 && missing.length > 0)
          throw new Error(`kafkajs patches not applied to the bundle: ${missing.join(', ')}`)
      })
    },
  }
}

/** The module's own code, then its exports replaced; the modules the replacement loads are required statically. */
function patchedSource(source, patch, replacements) {
  const loads = patch.loads.map(
    (module) => `${JSON.stringify(module)}: () => require(${JSON.stringify(`kafkajs/src/${module}`)})`,
  )
  return `${source}
;module.exports = require(${JSON.stringify(replacements)}).replaceKafkajsModule(${JSON.stringify(patch.name)}, module.exports, (path) => ({${loads.join(', ')}})[path]())
`
}
