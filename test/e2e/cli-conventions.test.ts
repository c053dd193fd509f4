// The conventions every CLI of its kind has: "did you mean" for mistyped commands and flags, and help routes.
import {describe, expect, it} from 'vitest'

import {jsonOf, runCli} from '../helpers/cli.js'

describe('did you mean', () => {
  it.each([
    [['tial', 'kafka:x'], 'mailroom tial', 'mailroom tail'],
    [['dlq', 'replya', 'rabbitmq:q'], 'mailroom dlq replya', 'mailroom dlq replay'],
    [['targtes', 'list'], 'mailroom targtes', 'mailroom targets'],
    [['help', 'tial'], 'mailroom tial', 'mailroom tail'],
  ])('%j: exit 2, names what was typed and the command meant, never an internal id', async (args, typed, meant) => {
    const r = await runCli(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`Error: unknown command "${typed}"; did you mean "${meant}"?\n  Try: ${meant} --help\n`)
    expect(r.stderr).not.toMatch(/\w:\w|not found/)
  })

  it('a command nothing resembles: exit 2 and where the list of commands is', async () => {
    const r = await runCli(['dlq', 'frobnicate'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('Error: unknown command "mailroom dlq frobnicate"\n  Try: mailroom dlq --help lists the commands\n')
  })

  it('with --json: the usage error envelope on stdout', async () => {
    const r = await runCli(['tial', 'kafka:x', '--json'])
    expect(r.code).toBe(2)
    expect(jsonOf(r)).toEqual({
      status: 2,
      error: {code: 'USAGE', message: 'unknown command "mailroom tial"; did you mean "mailroom tail"?', suggestions: ['mailroom tail --help']},
      warnings: [],
    })
  })

  it('a mistyped flag: exit 2 and the flag meant', async () => {
    const r = await runCli(['ping', '--jsn'])
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe('Error: Nonexistent flag: --jsn; did you mean --json?')
    const replay = await runCli(['dlq', 'replay', 'rabbitmq:q', '--dry-rnu'])
    expect(replay.code).toBe(2)
    expect(replay.stderr.split('\n')[0]).toBe('Error: Nonexistent flag: --dry-rnu; did you mean --dry-run?')
  })
})

describe('help routes', () => {
  it('mailroom help <command…> and <command> -h print what --help prints', async () => {
    const expected = await runCli(['dlq', 'replay', '--help'])
    expect(expected.code).toBe(0)
    expect(expected.stdout).toContain('USAGE\n  $ mailroom dlq replay')
    for (const args of [['help', 'dlq', 'replay'], ['dlq', 'replay', '-h']]) {
      const r = await runCli(args)
      expect([r.code, r.stdout]).toEqual([0, expected.stdout])
    }
  })

  it('mailroom help, mailroom -h and mailroom --help print the command list with this machine\'s version line', async () => {
    const expected = await runCli(['--help'])
    expect(expected.code).toBe(0)
    expect(expected.stdout).toContain(`node-${process.version}`)
    expect(expected.stdout).toMatch(/COMMANDS\n[\s\S]*\n {2}tail /)
    for (const args of [['help'], ['-h']]) {
      const r = await runCli(args)
      expect([r.code, r.stdout]).toEqual([0, expected.stdout])
    }
  })

  it('the full oclif route (no pre-rendered help, as on a narrow terminal) prints the same', async () => {
    const fast = await runCli(['help', 'dlq', 'replay'])
    const oclif = await runCli(['help', 'dlq', 'replay'], {env: {OCLIF_COLUMNS: '80'}})
    expect([oclif.code, oclif.stdout]).toEqual([0, fast.stdout])
    const root = await runCli(['-h'], {env: {OCLIF_COLUMNS: '80'}})
    expect([root.code, root.stdout]).toEqual([0, (await runCli(['--help'])).stdout])
  })
})
