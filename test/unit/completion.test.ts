// The completion candidates over the real manifest of the build (npm test builds first; the bash test in test/e2e
// drives them through bash).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {type Manifest, bashWords, candidates} from '../../src/cli/complete.js'

const manifest = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'oclif.manifest.json'), 'utf8'),
) as Manifest
const sources = {contexts: async () => ['prod', 'staging']}
const tab = (...words: string[]) => candidates(manifest, words.slice(0, -1), words.at(-1) ?? '', sources)

describe('completion candidates', () => {
  it('joins back what bash split at ":" and "="', () => {
    expect(bashWords(['tail', 'kafka', ':', 'or'])).toEqual(['tail', 'kafka:or'])
    expect(bashWords(['tail', 'kafka', ':'])).toEqual(['tail', 'kafka:'])
    expect(bashWords(['targets', 'list', '--output', '=', 'y'])).toEqual(['targets', 'list', '--output=y'])
  })

  it('a flag value is not a positional argument', async () => {
    expect(await tab('tail', '-o', 'json', '')).toEqual(['kafka:', 'nats:', 'rabbitmq:'])
    expect(await tab('tail', 'kafka:t', '')).toEqual([])
    expect(await tab('publish', '--output=json', '')).toEqual(['kafka:', 'nats:', 'rabbitmq:'])
  })

  it('--flag=value, short flags, and a repeatable flag offered again', async () => {
    expect(await tab('targets', 'list', '--output=w')).toEqual(['--output=wide'])
    expect(await tab('ping', '-b', 'n')).toEqual(['nats'])
    expect(await tab('ping', '--broker', 'kafka', '--br')).toEqual(['--broker'])
    expect(await tab('ping', '--json', '--js')).toEqual([])
  })

  it('context names where a context is named', async () => {
    expect(await tab('lag', '--context', '')).toEqual(['prod', 'staging'])
    expect(await tab('context', 'delete', 'p')).toEqual(['prod'])
  })

  it('nothing for an unknown command, and the root flags', async () => {
    expect(await tab('nosuch', '')).toEqual([])
    expect(await tab('--v')).toEqual(['--version'])
  })
})
