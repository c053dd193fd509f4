// Input that must be refused (issue 15, items 11-15): the built CLI, a temporary config directory, and the real
// RabbitMQ broker, whose management API says whether anything moved.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it, vi} from 'vitest'

import {uniqueName} from '../helpers/brokers.js'
import {type CliResult, isolatedConfigHome, runCli} from '../helpers/cli.js'

vi.setConfig({testTimeout: 120_000})

const API = 'http://127.0.0.1:15672/api'
const AUTH = {
  authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
  'content-type': 'application/json',
}
const queues: string[] = []

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: AUTH,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res
}

/** A queue holding these messages, published through the management API. */
async function queueWith(
  prefix: string,
  messages: {body: string; headers?: Record<string, string>}[],
): Promise<string> {
  const name = uniqueName(prefix)
  await api('PUT', `/queues/%2F/${name}`, {durable: true})
  queues.push(name)
  for (const m of messages) {
    const res = await api('POST', '/exchanges/%2F/amq.default/publish', {
      properties: {headers: m.headers ?? {}},
      routing_key: name,
      payload: m.body,
      payload_encoding: 'string',
    })
    expect(((await res.json()) as {routed: boolean}).routed).toBe(true)
  }
  return name
}

/** The messages a queue holds, as the broker hands them out (and takes them back) through the management API. */
async function countIn(queue: string): Promise<number> {
  const res = await api('POST', `/queues/%2F/${queue}/get`, {
    count: 10_000,
    ackmode: 'ack_requeue_true',
    encoding: 'auto',
  })
  return ((await res.json()) as unknown[]).length
}

afterAll(async () => {
  await Promise.allSettled(queues.map((q) => api('DELETE', `/queues/%2F/${q}`)))
})

/** Exit 2, one `Error:` line (plus `Try:` lines), no stack trace; returns the error line. */
function usageError(r: CliResult, pattern: RegExp): string {
  const lines = r.stderr.trimEnd().split('\n')
  expect(r.code, r.stderr).toBe(2)
  expect(lines[0]).toMatch(/^Error: /)
  expect(lines[0]).toMatch(pattern)
  expect(
    lines.slice(1).every((l) => l.startsWith('  Try: ')),
    r.stderr,
  ).toBe(true)
  expect(r.stderr).not.toMatch(/^\s+at /m)
  return lines[0]
}

/** Kafka's verdict on each topic name: org.apache.kafka.common.internals.Topic.validate, run from the Maven jars. */
function kafkaTopicVerdicts(names: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-topic-names-'))
  const source = join(dir, 'TopicNames.java')
  writeFileSync(
    source,
    `import org.apache.kafka.common.internals.Topic;
public class TopicNames {
  public static void main(String[] names) {
    for (String name : names) {
      try { Topic.validate(name); System.out.println("valid"); } catch (RuntimeException e) { System.out.println("invalid"); }
    }
  }
}
`,
  )
  const libs = join(import.meta.dirname, '..', '..', 'scripts', 'kafka', 'target', 'libs', '*')
  return execFileSync('java', ['-cp', libs, source, ...names], {
    encoding: 'utf8',
    env: {...process.env, LANG: 'C.UTF-8'},
  })
    .trim()
    .split('\n')
}

/** An XDG config directory whose config.yaml is this text. */
function configHome(yaml: string): {home: string; file: string} {
  const home = isolatedConfigHome()
  mkdirSync(join(home, 'mailroom'), {mode: 0o700})
  const file = join(home, 'mailroom', 'config.yaml')
  writeFileSync(file, yaml, {mode: 0o600})
  return {home, file}
}

const LOCAL_RABBITMQ = '    rabbitmq:\n      url: amqp://guest@127.0.0.1:5672\n      passwordEnv: TEST_RMQ_PW\n'

describe('config.yaml is checked against its schema (item 11)', () => {
  it('refuses `readonly` (for readOnly) with file, line and the nearest key, and a replay moves nothing', async () => {
    const source = await queueWith(
      'iv-ro-src',
      [1, 2, 3, 4, 5].map((i) => ({body: `m${i}`})),
    )
    const dest = await queueWith('iv-ro-dest', [])
    const {home, file} = configHome(`currentContext: prod\ncontexts:\n  prod:\n    readonly: true\n${LOCAL_RABBITMQ}`)
    const r = await runCli(['dlq', 'replay', `rabbitmq:${source}`, '--to', `rabbitmq:${dest}`, '--yes'], {
      env: {XDG_CONFIG_HOME: home, TEST_RMQ_PW: 'guest'},
    })
    usageError(
      r,
      new RegExp(`^Error: ${file}:4: unknown key "readonly" in contexts\\.prod \\(did you mean "readOnly"\\?\\)$`),
    )
    expect(await countIn(source)).toBe(5)
    expect(await countIn(dest)).toBe(0)
  })

  it('refuses `urll` instead of connecting to the local default broker', async () => {
    const {home, file} = configHome(
      'currentContext: a\ncontexts:\n  a:\n    rabbitmq: {urll: "amqp://guest@127.0.0.1:1"}\n',
    )
    const r = await runCli(['ping', '-b', 'rabbitmq'], {env: {XDG_CONFIG_HOME: home}})
    usageError(
      r,
      new RegExp(`^Error: ${file}:4: unknown key "urll" in contexts\\.a\\.rabbitmq \\(did you mean "url"\\?\\)$`),
    )
    expect(r.stdout).toBe('')
  })

  it('refuses a value of the wrong type (YAML reads `yes` as text, which would leave the guard off)', async () => {
    const {home, file} = configHome(`currentContext: a\ncontexts:\n  a:\n    readOnly: yes\n${LOCAL_RABBITMQ}`)
    const r = await runCli(['ping', '-b', 'rabbitmq'], {env: {XDG_CONFIG_HOME: home, TEST_RMQ_PW: 'guest'}})
    usageError(r, new RegExp(`^Error: ${file}:4: contexts\\.a\\.readOnly must be true or false$`))
  })

  it('still accepts the README example file', async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8')
    const example = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)![1]
    const {home} = configHome(example)
    const r = await runCli(['context', 'list', '--json'], {env: {XDG_CONFIG_HOME: home}})
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).result.contexts.map((c: {name: string}) => c.name)).toEqual(['prod'])
  })
})

describe('context set never writes a secret (item 12)', () => {
  it('writes a schema registry with its password named, never stored; refuses credentials in --schema-registry-url', async () => {
    const home = isolatedConfigHome()
    const env = {XDG_CONFIG_HOME: home}
    const set = await runCli(
      [
        'context',
        'set',
        'sr',
        '--kafka-brokers',
        '127.0.0.1:9092',
        '--schema-registry-url',
        'http://127.0.0.1:8081/apis/ccompat/v7',
        '--schema-registry-username',
        'ops',
        '--schema-registry-password-env',
        'SR_PW',
        '--json',
      ],
      {env: {...env, SR_PW: 'sr-secret-1'}},
    )
    expect(set.code, set.stderr).toBe(0)
    expect(JSON.parse(set.stdout).result.context.schemaRegistry).toEqual({
      url: 'http://127.0.0.1:8081/apis/ccompat/v7',
      username: 'ops',
      passwordEnv: 'SR_PW',
    })
    const file = join(home, 'mailroom', 'config.yaml')
    const before = readFileSync(file, 'utf8')
    const r = await runCli(['context', 'set', 'sr', '--schema-registry-url', 'http://ops:sr-secret-2@registry:8081'], {
      env,
    })
    usageError(r, /--schema-registry-url holds a user or password/)
    expect(readFileSync(file, 'utf8')).toBe(before)
    expect(before).not.toMatch(/sr-secret/)
  })

  it('refuses a password in --rabbitmq-url (exit 2, pointing to the password flags) and leaves config.yaml without it', async () => {
    const home = isolatedConfigHome()
    const env = {XDG_CONFIG_HOME: home}
    expect((await runCli(['context', 'set', 'p', '--kafka-brokers', '127.0.0.1:9092'], {env})).code).toBe(0)
    const file = join(home, 'mailroom', 'config.yaml')
    const before = readFileSync(file, 'utf8')
    const r = await runCli(['context', 'set', 'p', '--rabbitmq-url', 'amqp://guest:s3cret-pw@127.0.0.1:5672'], {env})
    usageError(r, /--rabbitmq-url holds a password/)
    expect(r.stderr).toMatch(/--rabbitmq-password-env/)
    expect(readFileSync(file, 'utf8')).toBe(before)
    expect(readFileSync(file, 'utf8')).not.toMatch(/s3cret-pw/)
  })

  it('refuses a password or token in --nats-url, and a user or password in --rabbitmq-management-url', async () => {
    const home = isolatedConfigHome()
    const env = {XDG_CONFIG_HOME: home}
    usageError(
      await runCli(['context', 'set', 'n', '--nats-url', 'nats://ops:s3cret-pw@127.0.0.1:4222'], {env}),
      /--nats-url holds a password or token/,
    )
    usageError(
      await runCli(['context', 'set', 'n', '--nats-url', 'nats://s3cret-token@127.0.0.1:4222'], {env}),
      /--nats-url holds a password or token/,
    )
    const management = [
      '--rabbitmq-url',
      'amqp://guest@127.0.0.1:5672',
      '--rabbitmq-management-url',
      'http://guest:s3cret-pw@127.0.0.1:15672',
    ]
    usageError(
      await runCli(['context', 'set', 'r', ...management], {env}),
      /rabbitmq\.managementUrl of context "r" holds a user or password, which mailroom never uses/,
    )
    expect(existsSync(join(home, 'mailroom', 'config.yaml'))).toBe(false)
    // As a connection flag on any command too: it would stay visible in `ps` and never be used.
    usageError(
      await runCli(['ping', '-b', 'rabbitmq', ...management], {env}),
      /--rabbitmq-management-url holds a user or password/,
    )
  })

  it('takes the password the documented way: an env var named in the context, which the real broker accepts', async () => {
    const home = isolatedConfigHome()
    const set = await runCli(
      [
        'context',
        'set',
        'p',
        '--rabbitmq-url',
        'amqp://guest@127.0.0.1:5672',
        '--rabbitmq-password-env',
        'TEST_RMQ_PW',
        '--use',
      ],
      {env: {XDG_CONFIG_HOME: home}},
    )
    expect(set.code, set.stderr).toBe(0)
    const written = readFileSync(join(home, 'mailroom', 'config.yaml'), 'utf8')
    expect(written).toMatch(/passwordEnv: TEST_RMQ_PW/)
    expect(written).not.toMatch(/guest:guest/)
    const good = await runCli(['ping', '-b', 'rabbitmq'], {env: {XDG_CONFIG_HOME: home, TEST_RMQ_PW: 'guest'}})
    expect(good.code, good.stderr).toBe(0)
    expect(good.stdout).toMatch(/rabbitmq\s+up\s/)
    const wrong = await runCli(['ping', '-b', 'rabbitmq'], {
      env: {XDG_CONFIG_HOME: home, TEST_RMQ_PW: 'not-the-password'},
    })
    expect(wrong.code).toBe(3)
    const file = join(mkdtempSync(join(tmpdir(), 'mailroom-pw-')), 'nats-password')
    const nats = await runCli(
      [
        'context',
        'set',
        'n',
        '--nats-url',
        'nats://127.0.0.1:4222',
        '--nats-user',
        'ops',
        '--nats-password-file',
        file,
      ],
      {
        env: {XDG_CONFIG_HOME: home},
      },
    )
    expect(nats.code).toBe(2) // the file does not exist yet: checked before anything is written
    expect(readFileSync(join(home, 'mailroom', 'config.yaml'), 'utf8')).toBe(written)
    writeFileSync(file, 'pw\n', {mode: 0o600})
    expect(
      (
        await runCli(
          [
            'context',
            'set',
            'n',
            '--nats-url',
            'nats://127.0.0.1:4222',
            '--nats-user',
            'ops',
            '--nats-password-file',
            file,
          ],
          {env: {XDG_CONFIG_HOME: home}},
        )
      ).code,
    ).toBe(0)
    expect(readFileSync(join(home, 'mailroom', 'config.yaml'), 'utf8')).toMatch(new RegExp(`passwordFile: ${file}`))
  })
})

describe('filters refuse names that are not fields (item 13)', () => {
  it('a negated filter with a misspelt field purges nothing (exit 2 with the column and the field meant)', async () => {
    const queue = await queueWith(
      'iv-purge',
      [1, 2, 3, 4, 5].map((i) => ({body: `m${i}`})),
    )
    const r = await runCli(['dlq', 'purge', `rabbitmq:${queue}`, '--filter', 'not deth.reason == "expired"', '--yes'])
    usageError(r, /^Error: invalid filter: unknown field deth\.reason at column 5 \(did you mean death\.reason\?\)$/)
    expect(await countIn(queue)).toBe(5)
  })

  it('refuses an unknown function, a single-quoted string and an unquoted dashed header name', async () => {
    const queue = await queueWith('iv-filter', [{body: 'x'}])
    const purge = (filter: string) => runCli(['dlq', 'purge', `rabbitmq:${queue}`, '--filter', filter, '--yes'])
    usageError(await purge('not contains(body, "x")'), /unknown function contains\(\) at column 5/)
    usageError(
      await purge(`not key == 'order-7'`),
      /'order-7' at column 12 is not a field: single quotes make a field name, double quotes a string/,
    )
    const dashed = await purge('not headers.x-tenant == "acme"')
    usageError(dashed, /headers\.x-tenant at column 5 is read as a subtraction/)
    expect(dashed.stderr).toMatch(/Try: Write 'headers\.x-tenant'/)
    expect(await countIn(queue)).toBe(1)
  })

  it('selects what the documented forms say: a quoted dashed header, and true/false', async () => {
    const queue = await queueWith('iv-select', [
      {body: '{"flag": true}', headers: {'x-tenant': 'acme'}},
      {body: '{"flag": false}', headers: {'x-tenant': 'other'}},
    ])
    const peek = async (filter: string) => {
      const r = await runCli(['peek', `rabbitmq:${queue}`, '-n', '2', '--filter', filter, '-o', 'ndjson'])
      expect(r.code, r.stderr).toBe(0)
      return r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).body.utf8)
    }
    expect(await peek(`'headers.x-tenant' == "acme"`)).toEqual(['{"flag": true}'])
    expect(await peek('json.flag == true')).toEqual(['{"flag": true}'])
    expect(await peek('json.flag == false')).toEqual(['{"flag": false}'])
    expect(await countIn(queue)).toBe(2)
  })
})

describe('names, ports, directories and intervals are usage errors (item 14)', () => {
  it('refuses Kafka topic names with a space, non-ASCII or over 249 characters, and RabbitMQ names over 255 bytes', async () => {
    usageError(
      await runCli(['publish', 'kafka:bad name', 'x']),
      /a Kafka topic name has only ASCII letters, digits, "\.", "_" and "-" \(not " "\)/,
    )
    usageError(await runCli(['publish', 'kafka:héllo', 'x']), /\(not "é"\)/)
    usageError(await runCli(['tail', `kafka:${'a'.repeat(250)}`]), /at most 249 characters \(this one has 250\)/)
    usageError(await runCli(['peek', `rabbitmq:${'é'.repeat(128)}`]), /at most 255 bytes \(this one has 256\)/)
  })

  it("refuses exactly the topic names Kafka's own Topic.validate refuses (kafka-clients 4.1.1)", async () => {
    const random = () => Math.random().toString(36).slice(2, 10)
    const names = [
      `iv.ok_${random()}-1`,
      'bad name',
      'héllo',
      '.',
      '..',
      'a/b',
      `x${random()}`.padEnd(249, 'z'),
      `x${random()}`.padEnd(250, 'z'),
    ]
    const kafka = kafkaTopicVerdicts(names)
    expect(kafka).toEqual(['valid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'valid', 'invalid'])
    for (const [i, name] of names.entries()) {
      const r = await runCli(['targets', 'describe', `kafka:${name}`])
      // A name Kafka accepts reaches the broker (which does not have it: exit 4); one it refuses never leaves mailroom.
      if (kafka[i] === 'valid') expect(r.code, `${name}: ${r.stderr}`).toBe(4)
      else usageError(r, /is not a valid target: /)
    }
  })

  it('refuses RabbitMQ names over 255 bytes, where the broker draws the line', async () => {
    const fits = uniqueName('iv-255').padEnd(255, 'z')
    const over = `${fits}z`
    expect(
      (await fetch(`${API}/queues/%2F/${over}`, {method: 'PUT', headers: AUTH, body: '{"durable":false}'})).status,
    ).toBe(400)
    await api('PUT', `/queues/%2F/${fits}`, {durable: false})
    queues.push(fits)
    const described = await runCli(['targets', 'describe', `rabbitmq:${fits}`])
    expect(described.code, described.stderr).toBe(0)
    usageError(await runCli(['targets', 'describe', `rabbitmq:${over}`]), /at most 255 bytes \(this one has 256\)/)
  })

  it('refuses a Kafka port over 65535', async () => {
    usageError(
      await runCli(['ping', '-b', 'kafka', '--kafka-brokers', '127.0.0.1:65536']),
      /port 65536 is not between 1 and 65535/,
    )
  })

  it('an unwritable config directory is exit 2 naming the path (and ends, also where mkdir -p never would)', async () => {
    const notADirectory = join(mkdtempSync(join(tmpdir(), 'mailroom-file-')), 'plain-file')
    writeFileSync(notADirectory, '')
    // The tests run as root, for whom permissions refuse nothing: a file where a directory belongs, sysfs (EPERM)
    // and procfs (ENOENT for a directory whose parent exists, on which Node's recursive mkdir spins forever).
    for (const home of [notADirectory, '/sys/mailroom-config-test', '/proc/mailroom-config-test']) {
      const r = await runCli(['context', 'set', 'x', '--kafka-brokers', '127.0.0.1:9092'], {
        env: {XDG_CONFIG_HOME: home},
        timeoutMs: 30_000,
      })
      usageError(r, new RegExp(`^Error: cannot (read|write) ${home}/mailroom/config\\.yaml`))
    }
  })

  it('refuses lag --watch and dashboard --interval below 250ms', async () => {
    usageError(
      await runCli(['lag', '--watch', '0s'], {timeoutMs: 30_000}),
      /^Error: --watch 0s is too short: the least is 250ms$/,
    )
    usageError(await runCli(['lag', '--watch=100ms'], {timeoutMs: 30_000}), /--watch 100ms is too short/)
    usageError(
      await runCli(['dashboard', '--interval', '0s']),
      /^Error: --interval 0s is too short: the least is 250ms$/,
    )
  })
})

describe('flag parse errors keep their detail (item 15)', () => {
  it("shows oclif's reason on the error line", async () => {
    usageError(
      await runCli(['publish', 'rabbitmq:any', '--rate', '0', 'x']),
      /^Error: Parsing --rate: Expected an integer greater than or equal to 1 but received: 0$/,
    )
    usageError(
      await runCli(['peek', 'rabbitmq:any', '-n', 'many']),
      /^Error: Parsing --count: Expected an integer but received: many$/,
    )
  })
})
