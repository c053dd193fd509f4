// Shell completion as a shell uses it: the script `mailroom completion <shell>` prints is loaded into a real bash,
// and its completion function called as bash calls it on Tab (COMP_WORDS / COMP_CWORD set).
import {execFile} from 'node:child_process'
import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {beforeAll, describe, expect, it} from 'vitest'

import {BIN, isolatedConfigHome, runCli} from '../helpers/cli.js'

const run = promisify(execFile)

/** A PATH with `mailroom` on it (the built CLI), as after an install, and a config with two contexts. */
function environment(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-bin-'))
  writeFileSync(
    join(dir, 'mailroom'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`,
  )
  chmodSync(join(dir, 'mailroom'), 0o755)
  return {...process.env, PATH: `${dir}:${process.env.PATH}`, XDG_CONFIG_HOME: isolatedConfigHome(), NO_COLOR: '1'}
}

// One Tab press is a bash and a Node start: over a second each on a loaded 2-core machine.
describe('bash completion', {timeout: 90_000}, () => {
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    env = environment()
    for (const name of ['prod-eu', 'staging']) {
      const r = await runCli(['context', 'set', name, '--kafka-brokers', '127.0.0.1:9092'], {
        env: {XDG_CONFIG_HOME: env.XDG_CONFIG_HOME},
      })
      expect(r.code, r.stderr).toBe(0)
    }
  })

  /** The candidates bash offers for the command line `words` (the cursor at the end of the last word). */
  async function tab(...words: string[]): Promise<string[]> {
    const script = [
      'source <(mailroom completion bash)',
      `COMP_WORDS=(mailroom ${words.map((w) => `'${w}'`).join(' ')})`,
      'COMP_CWORD=$((${#COMP_WORDS[@]} - 1))',
      '_mailroom_complete',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n')
    const {stdout} = await run('bash', ['-c', script], {env, timeout: 30_000})
    return stdout.split('\n').filter(Boolean)
  }

  it('registers a completion function for mailroom', async () => {
    const {stdout} = await run('bash', ['-c', 'source <(mailroom completion bash); complete -p mailroom'], {env})
    expect(stdout.trim()).toBe('complete -o default -F _mailroom_complete mailroom')
  })

  it('completes commands and topics', async () => {
    expect(await tab('')).toEqual(expect.arrayContaining(['dlq', 'tail', 'ping', 'targets', 'context', 'completion']))
    expect(await tab('dlq', 're')).toEqual(['replay'])
    expect(await tab('dlq', '')).toEqual(['capture', 'export', 'import', 'inspect', 'list', 'purge', 'replay'])
    expect(await tab('ta')).toEqual(['tail', 'targets'])
  })

  it('completes flags, and does not offer one already given', async () => {
    expect(await tab('ping', '--j')).toEqual(['--json'])
    const flags = await tab('dlq', 'replay', 'rabbitmq:q', '--dry-run', '--')
    expect(flags).toEqual(expect.arrayContaining(['--to', '--filter', '--json', '--context', '--help']))
    expect(flags).not.toContain('--dry-run')
  })

  it('completes flag values: -o formats, broker names, with --flag=value too', async () => {
    expect(await tab('tail', 'kafka:t', '-o', '')).toEqual(['json', 'ndjson', 'pretty', 'raw'])
    expect(await tab('targets', 'list', '-o', '')).toEqual(['json', 'table', 'wide', 'yaml'])
    expect(await tab('ping', '--broker', 'k')).toEqual(['kafka'])
    // bash splits --output=j at "=": the candidate is what follows it
    expect(await tab('targets', 'list', '--output', '=', 'y')).toEqual(['yaml'])
  })

  it('completes context names, from the config file', async () => {
    expect(await tab('ping', '--context', '')).toEqual(['prod-eu', 'staging'])
    expect(await tab('context', 'use', 'st')).toEqual(['staging'])
  })

  it('completes a target argument with its broker prefix, left open for the name', async () => {
    expect(await tab('tail', '')).toEqual(['kafka:', 'nats:', 'rabbitmq:'])
    expect(await tab('dlq', 'inspect', 'rab')).toEqual(['rabbitmq:'])
    // compopt works only inside a real Tab press: a stand-in records what the function asks of it.
    const {stdout} = await run(
      'bash',
      [
        '-c',
        [
          'source <(mailroom completion bash)',
          'compopt() { echo "compopt $1 $2"; }',
          'COMP_WORDS=(mailroom tail rab); COMP_CWORD=2; _mailroom_complete',
          'COMP_WORDS=(mailroom ping --j); COMP_CWORD=2; _mailroom_complete',
        ].join('\n'),
      ],
      {env},
    )
    expect(stdout).toBe('compopt -o nospace\n')
  })

  it('the shells offered, and how to install it, in --help', async () => {
    expect(await tab('completion', '')).toEqual(['bash', 'fish', 'zsh'])
    const help = await runCli(['completion', '--help'])
    expect(help.stdout).toContain(`echo 'eval "$(mailroom completion bash)"' >> ~/.bashrc`)
    expect(help.stdout).toContain('mailroom completion fish > ~/.config/fish/completions/mailroom.fish')
  })
})
