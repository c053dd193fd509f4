// The package as a user gets it: `npm pack`, then `npm install -g` of the tarball into an empty prefix, and the
// installed `mailroom` run from outside the repository with nothing but Node on the PATH.
import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, describe, expect, it} from 'vitest'

import {BIN} from '../helpers/cli.js'
import {REGISTRY_URL, registerSchema} from '../helpers/schema-registry.js'

const run = promisify(execFile)
const root = join(dirname(BIN), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string
  version: string
  devDependencies: Record<string, string>
}

describe('npm pack and install', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-pack-'))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it('the tarball installs without a build or development dependencies, and its mailroom runs', async () => {
    const started = Date.now()
    // The suite's build made dist/ (npm pack's own prepack would build it again).
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {cwd: root})
    const [{filename, files}] = JSON.parse(packed.stdout) as [{filename: string; files: {path: string}[]}]
    expect(filename).toBe(`${pkg.name}-${pkg.version}.tgz`)
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'bin/run.js',
        'bin/package.json',
        'dist/help.json',
        'oclif.manifest.json',
        'package.json',
      ]),
    )
    expect(
      files.filter(
        (f) =>
          !/^(bin\/(run\.js|package\.json)|dist\/bundle\/|dist\/help\.json|oclif\.manifest\.json|package\.json|README\.md)/.test(
            f.path,
          ),
      ),
    ).toEqual([])
    const packMs = Date.now() - started

    const prefix = join(dir, 'prefix')
    await run(
      'npm',
      ['install', '-g', '--prefix', prefix, join(dir, filename), '--prefer-offline', '--no-audit', '--no-fund'],
      {cwd: dir, timeout: 150_000},
    )
    const installMs = Date.now() - started - packMs
    const installed = join(prefix, 'lib', 'node_modules', pkg.name)
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>
    }
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(manifest.scripts?.[script]).toBeUndefined()
    for (const dev of Object.keys(pkg.devDependencies))
      expect(existsSync(join(installed, 'node_modules', dev)), dev).toBe(false)

    // Only Node on the PATH, outside the repository, with an empty home: nothing of the development set-up is reachable.
    const home = mkdtempSync(join(tmpdir(), 'mailroom-home-'))
    const env = {PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: home, XDG_CONFIG_HOME: join(home, '.config')}
    const mailroom = join(prefix, 'bin', 'mailroom')
    const version = await run(mailroom, ['--version'], {cwd: home, env})
    expect(version.stdout).toBe(
      `${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`,
    )
    const ping = await run(mailroom, ['ping', '--json'], {cwd: home, env, timeout: 60_000})
    const {status, result} = JSON.parse(ping.stdout) as {
      status: number
      result: {brokers: {broker: string; up: boolean}[]}
    }
    expect(status).toBe(0)
    expect(result.brokers.map((b) => [b.broker, b.up])).toEqual([
      ['rabbitmq', true],
      ['kafka', true],
      ['nats', true],
    ])
    // The parts oclif loads by path from package.json (the not-found hook) and the completion are in the tarball too.
    const typo: {code?: number; stderr: string} = await run(mailroom, ['tial'], {cwd: home, env}).catch(
      (error: {code: number; stderr: string}) => error,
    )
    expect([typo.code, typo.stderr.split('\n')[0]]).toEqual([
      2,
      'Error: unknown command "mailroom tial"; did you mean "mailroom tail"?',
    ])
    expect((await run(mailroom, ['__complete', 'bash', 'dlq', 're'], {cwd: home, env})).stdout).toBe('replay\n')
    // avsc and protobufjs, loaded on first use by the schema codecs, resolve from the installed package: a value that
    // does not fit a registered Avro or Protobuf schema is refused by each library's codec, naming the field.
    const avroId = await registerSchema(
      `schema-core-pack-${Date.now()}-avro`,
      '{"type":"record","name":"P","fields":[{"name":"n","type":"long"}]}',
    )
    const protoId = await registerSchema(
      `schema-core-pack-${Date.now()}-proto`,
      'syntax = "proto3"; message P { int32 n = 1; }',
      {schemaType: 'PROTOBUF'},
    )
    for (const id of [avroId, protoId]) {
      const encoded: {code?: number; stderr: string} = await run(
        mailroom,
        [
          'publish',
          'kafka:schema-core-pack',
          '--schema-registry',
          REGISTRY_URL,
          '--value-schema-id',
          String(id),
          '{"n": "x"}',
        ],
        {cwd: home, env},
      ).catch((error: {code: number; stderr: string}) => error)
      expect([encoded.code, encoded.stderr.split('\n')[0]]).toEqual([
        2,
        expect.stringMatching(/^Error: field "n" does not match schema \d+: expected (long|int32), got "x"$/),
      ])
    }
    console.log(`pack ${packMs} ms, install ${installMs} ms, total with runs ${Date.now() - started} ms`)
  }, 240_000)
})
