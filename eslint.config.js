// ESLint: typescript-eslint's recommended rules plus the floors of ARCHITECTURE.md, enforced on every import
// (static, dynamic and re-export): commands / ui -> cli -> core -> adapters (face, then one folder per broker) -> model.
import {readdirSync} from 'node:fs'
import js from '@eslint/js'
import {createTypeScriptImportResolver} from 'eslint-import-resolver-typescript'
import importX from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'

/** One folder per broker under src/adapters: a new broker is covered by the rules without editing them. */
const brokers = readdirSync(new URL('src/adapters/', import.meta.url), {withFileTypes: true})
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
const brokerFolders = brokers.map((b) => `./src/adapters/${b}`)
/** The adapter face: every src/adapters/*.ts but the registry, the one file that loads broker folders. */
const faceFiles = readdirSync(new URL('src/adapters/', import.meta.url), {withFileTypes: true})
  .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && e.name !== 'registry.ts')
  .map((e) => `./src/adapters/${e.name}`)
const upperFloors = ['./src/core', './src/cli', './src/ui', './src/commands']

const zone = (target, from, message) => ({target, from, message})
const layerZones = [
  zone('./src/model', ['./src/adapters', ...upperFloors], 'src/model is the ground floor: it imports nothing of mailroom.'),
  zone('./src/adapters', upperFloors, 'Adapters stand on src/model only: they never import core, cli, ui or commands.'),
  ...brokers.map((b) =>
    zone(
      `./src/adapters/${b}`,
      [...brokerFolders.filter((f) => !f.endsWith(`/${b}`)), './src/adapters/registry.ts'],
      'A broker folder never imports another broker folder, directly or through the registry.',
    ),
  ),
  ...faceFiles.map((f) => zone(f, brokerFolders, 'Only the registry (src/adapters/registry.ts) loads a broker folder.')),
  zone('./src/core', [...brokerFolders, './src/cli', './src/ui', './src/commands'], 'Core reaches brokers only through the adapter face (src/adapters/*.ts).'),
  zone('./src/cli', [...brokerFolders, './src/ui', './src/commands'], 'src/cli sits below commands and ui and never imports a broker folder.'),
  zone('./src/ui', [...brokerFolders, './src/commands'], 'The dashboard never imports a broker folder or a command.'),
  zone('./src/commands', brokerFolders, 'Commands reach brokers through core services and the adapter face.'),
]

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/out/', '.brokers/', 'scripts/kafka/target/', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly',
        clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly',
        performance: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextDecoder: 'readonly',
        TextEncoder: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', fetch: 'readonly',
        NodeJS: 'readonly', globalThis: 'readonly',
      },
    },
    rules: {
      // tsc (strict, noUnusedLocals) already reports these, with the codebase's `_`-prefixed exceptions.
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
      // `catch {}` is how a best-effort probe says "absent is fine" (bench, cleanup).
      'no-empty': ['error', {allowEmptyCatch: true}],
    },
  },
  {
    // Tests read the CLI's JSON and terminal output: untyped JSON and literal spaces are what they check.
    files: ['test/**/*.{ts,tsx}'],
    rules: {'@typescript-eslint/no-explicit-any': 'off', 'no-regex-spaces': 'off'},
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    plugins: {'import-x': importX},
    settings: {'import-x/resolver-next': [createTypeScriptImportResolver({project: './tsconfig.json'})]},
    rules: {
      'import-x/no-restricted-paths': ['error', {zones: layerZones}],
      // Type-only imports are erased at runtime and ignored by this rule; `--graph` in the codemod counts them too.
      'import-x/no-cycle': ['error', {ignoreExternal: true}],
    },
  },
)
