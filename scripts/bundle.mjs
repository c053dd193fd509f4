// Build step: bundles the compiled commands and @oclif/core into dist/bundle, as ES modules that share chunks.
// Start-up is most of a short command's time: Node's CommonJS loader spent ~140 ms resolving, reading, compiling and
// (for an ES module importer) lexing the ~200 files of @oclif/core and its dependencies, and the ES module loader
// ~40 ms on mailroom's own modules; one bundle loads in a fraction of that (bench/startup.mjs).
// Bundled too: nats.js, filtrex, cli-table3 and yaml (CommonJS, many files), and Ink with React and their ~40 small
// modules (the dashboard's chunk, loaded by it alone): from node_modules they took ~1 s of resolving, reading and
// lexing before the dashboard's first frame on a loaded machine. React is bundled in its production build (the
// development one re-renders several times slower). kafkajs is bundled with mailroom's patches applied to its sources
// (./kafkajs-bundled.mjs). Everything bundled is a development dependency; the runtime dependencies in package.json
// are exactly what stays in node_modules: amqplib, patched where it loads (src/adapters/rabbitmq/patches).
import {build} from 'esbuild'
import {readdirSync, readFileSync, rmSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {inkTextMemo} from './ink-text-memo.mjs'
import {kafkajsBundled} from './kafkajs-bundled.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')
const {dependencies} = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
/** Packages that pick their development or production build from NODE_ENV when they load. */
const REACT_PACKAGES = /[\\/]node_modules[\\/](react|react-reconciler|scheduler)[\\/].*\.js$/
const external = new Set(Object.keys(dependencies))

function packageName(specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

function commandFiles(dir) {
  return readdirSync(dir, {recursive: true})
    .filter((file) => file.endsWith('.js'))
    .map((file) => join(dir, file))
}

const outdir = join(dist, 'bundle')
rmSync(outdir, {recursive: true, force: true})
const result = await build({
  entryPoints: [
    ...commandFiles(join(dist, 'commands')),
    ...commandFiles(join(dist, 'cli', 'hooks')),
    join(dist, 'cli', 'oclif.js'),
    join(dist, 'cli', 'complete.js'),
  ],
  outbase: dist,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // Read only under --debug (bin/run.js turns source maps on): stack traces then name the TypeScript sources.
  sourcemap: true,
  sourcesContent: false,
  // @oclif/core is CommonJS: its require() calls of Node's built-ins need a real require in an ES module.
  banner: {
    js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  // TypeScript is loaded by oclif only to run uncompiled plugins, which mailroom never does.
  plugins: [
    await kafkajsBundled(dist, root),
    {
      name: 'react-production',
      setup(b) {
        b.onLoad({filter: REACT_PACKAGES}, (args) => ({
          contents: readFileSync(args.path, 'utf8').replaceAll('process.env.NODE_ENV', '"production"'),
          loader: 'js',
        }))
      },
    },
    inkTextMemo,
    {
      name: 'keep-dependencies-external',
      setup(b) {
        b.onResolve({filter: /^[^./]/}, (args) => {
          const name = packageName(args.path)
          // Ink loads react-devtools-core (not installed) only when DEV=true.
          return external.has(name) || name === 'typescript' || name === 'react-devtools-core'
            ? {path: args.path, external: true}
            : undefined
        })
      },
    },
  ],
  logLevel: 'warning',
  metafile: true,
})
const files = Object.keys(result.metafile.outputs)
refuseStaticImportsOf('amqplib')
console.error(
  `bundled ${files.filter((f) => f.includes('/commands/') && f.endsWith('.js')).length} commands into ${relative(root, outdir)} (${files.filter((f) => f.endsWith('.js')).length} files)`,
)

/**
 * mailroom patches amqplib's modules before they load (src/adapters/rabbitmq/driver.ts requires it after the
 * patches). A static import of it would be hoisted above the patching code of its chunk, and the patches would
 * silently not apply to the CLI (they did not, once: the CLI ran amqplib's own encoders).
 */
function refuseStaticImportsOf(name) {
  const importers = Object.entries(result.metafile.outputs)
    .filter(([, output]) => output.imports.some((i) => i.path === name && i.kind === 'import-statement'))
    .map(([file]) => relative(root, file))
  if (importers.length === 0) return
  console.error(`bundle: ${importers.join(', ')} import ${name} statically; require it after its patches instead`)
  process.exit(1)
}
