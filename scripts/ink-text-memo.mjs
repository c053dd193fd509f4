// An esbuild plugin for the dashboard's bundle: Ink measures and tokenizes every line of the frame on every render
// (string-width, once to lay a text out and again to draw it; ansi-tokenize, to draw it), with caches that live for
// one render. A refresh changes a few lines of a full screen, so most of that work was done for the same strings a
// refresh earlier: two thirds of the dashboard's rendering CPU (bench/dashboard.mjs, node --cpu-prof). The plugin
// puts a cache that outlives a render in front of both functions, for the modules of Ink that call them. Both are
// pure: string-width returns a number; the cached tokens and styled characters are read, never changed, by Ink's
// output.js (the only module given the tokenizer's cache).

/** Entries kept per cache; a cache that fills up is emptied (a screen holds a few hundred distinct lines). */
const ENTRIES = 20_000

const STRING_WIDTH = `
import stringWidth from '__REAL__'
const widths = new Map()
export default function memoizedStringWidth(text, options) {
  if (options !== undefined || typeof text !== 'string') return stringWidth(text, options)
  let width = widths.get(text)
  if (width === undefined) {
    if (widths.size >= ${ENTRIES}) widths.clear()
    width = stringWidth(text)
    widths.set(text, width)
  }
  return width
}
`

const ANSI_TOKENIZE = `
import * as real from '__REAL__'
export * from '__REAL__'
const tokens = new Map()
const styled = new WeakMap()
export function tokenize(text, endChar) {
  if (endChar !== undefined) return real.tokenize(text, endChar)
  let found = tokens.get(text)
  if (found === undefined) {
    if (tokens.size >= ${ENTRIES}) tokens.clear()
    found = real.tokenize(text)
    tokens.set(text, found)
  }
  return found
}
export function styledCharsFromTokens(from) {
  let found = styled.get(from)
  if (found === undefined) {
    found = real.styledCharsFromTokens(from)
    styled.set(from, found)
  }
  return found
}
`

const MEMOIZED = {
  'string-width': {contents: STRING_WIDTH, importers: /[\\/]node_modules[\\/]/},
  '@alcalzone/ansi-tokenize': {
    contents: ANSI_TOKENIZE,
    importers: /[\\/]node_modules[\\/]ink[\\/]build[\\/]output\.js$/,
  },
}

export const inkTextMemo = {
  name: 'ink-text-memo',
  setup(b) {
    b.onResolve({filter: /^(string-width|@alcalzone\/ansi-tokenize)$/}, async (args) => {
      const memo = MEMOIZED[args.path]
      // ES module imports only: a require() (cli-table3's string-width) expects the CommonJS module's shape.
      if (args.pluginData?.real || args.kind !== 'import-statement' || !memo.importers.test(args.importer))
        return undefined
      // The module the importer would have loaded (Ink and its dependencies pin different string-width majors).
      const real = await b.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        importer: args.importer,
        pluginData: {real: true},
      })
      if (real.errors.length > 0) return {errors: real.errors}
      return {path: real.path, namespace: 'ink-text-memo', pluginData: {name: args.path}}
    })
    b.onLoad({filter: /.*/, namespace: 'ink-text-memo'}, (args) => ({
      contents: MEMOIZED[args.pluginData.name].contents.replaceAll('__REAL__', args.path),
      loader: 'js',
      resolveDir: '/',
    }))
  },
}
