// The conventions every CLI of its kind has: "did you mean" for mistyped commands and flags, help routes, tables
// that awk can read when piped.
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {BIN, isolatedConfigHome, jsonOf, runCli} from '../helpers/cli.js'

const run = promisify(execFile)
const MGMT = 'http://127.0.0.1:15672/api'
const AUTH = {
  authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
  'content-type': 'application/json',
}

/** A shell command line as the user types it: the CLI with its stdout piped into `then`, or on a pseudo-terminal. */
async function shell(line: string): Promise<{stdout: string; stderr: string}> {
  const env = {...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: isolatedConfigHome(), MAILROOM_DEBUG: undefined}
  return run('bash', ['-c', line], {env, timeout: 60_000})
}

const mailroom = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`

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
    expect(r.stderr).toBe(
      'Error: unknown command "mailroom dlq frobnicate"\n  Try: mailroom dlq --help lists the commands\n',
    )
  })

  it('with --json: the usage error envelope on stdout', async () => {
    const r = await runCli(['tial', 'kafka:x', '--json'])
    expect(r.code).toBe(2)
    expect(jsonOf(r)).toEqual({
      status: 2,
      error: {
        code: 'USAGE',
        message: 'unknown command "mailroom tial"; did you mean "mailroom tail"?',
        suggestions: ['mailroom tail --help'],
      },
      warnings: [],
    })
  })

  it('a word after a command that takes no arguments: exit 2, and the flag that takes it as a value', async () => {
    const r = await runCli(['ping', 'rabbitmq'])
    expect([r.code, r.stdout]).toEqual([2, ''])
    expect(r.stderr).toBe(
      'Error: "mailroom ping" takes no argument "rabbitmq"; did you mean "mailroom ping --broker rabbitmq"?\n  Try: mailroom ping --help\n',
    )
    const other = await runCli(['ping', 'everything'])
    expect([other.code, other.stderr]).toEqual([
      2,
      'Error: "mailroom ping" takes no argument "everything"\n  Try: mailroom ping --help\n',
    ])
  })

  it('a flag given to a topic: exit 2 (not its help and 0); the topic alone and --help still list its commands', async () => {
    const r = await runCli(['dlq', '--foo'])
    expect([r.code, r.stdout]).toEqual([2, ''])
    expect(r.stderr).toBe(
      'Error: unknown flag "--foo": "mailroom dlq" needs a command\n  Try: mailroom dlq --help lists the commands\n',
    )
    for (const args of [['dlq'], ['dlq', '--help']]) {
      const help = await runCli(args)
      expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('USAGE\n  $ mailroom dlq COMMAND')])
    }
  })

  it('a mistyped flag: exit 2 and the flag meant', async () => {
    const r = await runCli(['ping', '--jsn'])
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n')[0]).toBe('Error: Nonexistent flag: --jsn; did you mean --json?')
    const root = await runCli(['--verison'])
    expect([root.code, root.stderr]).toEqual([
      2,
      'Error: unknown flag "--verison"; did you mean "mailroom --version"?\n  Try: mailroom --help lists the commands\n',
    ])
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
    for (const args of [
      ['help', 'dlq', 'replay'],
      ['dlq', 'replay', '-h'],
    ]) {
      const r = await runCli(args)
      expect([r.code, r.stdout]).toEqual([0, expected.stdout])
    }
  })

  it("mailroom help, mailroom -h and mailroom --help print the command list with this machine's version line", async () => {
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

describe('tables for pipes', {timeout: 90_000}, () => {
  const queue = uniqueName('table-pipe')
  const depth = 3

  beforeAll(async () => {
    const put = await fetch(`${MGMT}/queues/%2F/${queue}`, {
      method: 'PUT',
      headers: AUTH,
      body: JSON.stringify({durable: false}),
    })
    expect(put.ok).toBe(true)
    for (let i = 0; i < depth; i++) {
      const body = JSON.stringify({properties: {}, routing_key: queue, payload: `m${i}`, payload_encoding: 'string'})
      const r = await fetch(`${MGMT}/exchanges/%2F/amq.default/publish`, {method: 'POST', headers: AUTH, body})
      expect(await r.json()).toEqual({routed: true})
    }
    // The broker's own count, once its statistics have caught up: the truth the table must show.
    await waitFor(
      async () =>
        ((await (await fetch(`${MGMT}/queues/%2F/${queue}`, {headers: AUTH})).json()) as {messages: number})
          .messages === depth,
    )
  })

  afterAll(async () => {
    await fetch(`${MGMT}/queues/%2F/${queue}`, {method: 'DELETE', headers: AUTH})
  })

  it('piped: no borders, and awk picks a column by its number', async () => {
    // The table also goes to stderr (tee), to show what awk read if the assertion fails. The management API's queue
    // listing can trail its per-queue statistics by a refresh: read again until it has caught up, within a deadline.
    const expected = `KIND|DEPTH|CONSUMERS\nclassic-queue|${depth}|0\n`
    let awk = {stdout: '', stderr: ''}
    await waitFor(
      async () => {
        awk = await shell(
          `${mailroom} targets list -b rabbitmq | tee /dev/stderr | awk 'NR == 1 || $1 == "rabbitmq:${queue}" {print $2 "|" $3 "|" $5}'`,
        )
        return awk.stdout === expected
      },
      {timeoutMs: 30_000, intervalMs: 1000},
    ).catch(() => undefined)
    expect(awk.stdout, awk.stderr).toBe(expected)
    const {stdout: raw} = await shell(`${mailroom} targets list -b rabbitmq | cat`)
    expect(raw).not.toMatch(/[│┌└─]/)
    expect(raw.split('\n')[0]).toMatch(/^TARGET +KIND +DEPTH +PARTITIONS +CONSUMERS$/)
  })

  it('piped: an empty cell is "-", so every row has the same fields (context list: the current one)', async () => {
    const set = (name: string) => `${mailroom} context set ${name} --nats-url nats://127.0.0.1:4222 >/dev/null 2>&1`
    const {stdout} = await shell(
      `${set('alpha')}; ${set('beta')}; ${mailroom} context use alpha >/dev/null 2>&1; ${mailroom} context list | awk '{print NF ":" $1 ":" $2}'`,
    )
    expect(stdout).toBe('5:CURRENT:NAME\n5:*:alpha\n5:-:beta\n')
  })

  it('on a terminal: the bordered table', async () => {
    const {stdout: out} = await shell(`script -qc ${JSON.stringify(`${mailroom} targets list -b rabbitmq`)} /dev/null`)
    expect(out).toMatch(/┌─+┬/)
    expect(out).toMatch(new RegExp(`│ rabbitmq:${queue} +│ classic-queue +│ +${depth} │ +- │ +0 │`))
  })
})
