import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {MailroomError} from '../../src/model/errors.js'
import {setContext} from '../../src/core/config/contexts.js'
import {configPath} from '../../src/core/config/file.js'
import {LOCAL_DEFAULTS, resolveContext} from '../../src/core/config/resolve.js'
import {redact} from '../../src/model/redact.js'

function configHome(yaml?: string): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-unit-'))
  if (yaml !== undefined) {
    const path = join(dir, 'mailroom', 'config.yaml')
    return {XDG_CONFIG_HOME: dir, __write: path, __yaml: yaml}
  }
  return {XDG_CONFIG_HOME: dir}
}

async function withConfig(yaml: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const env = {...configHome(), ...extraEnv}
  await mkdir(join(env.XDG_CONFIG_HOME!, 'mailroom'), {recursive: true})
  writeFileSync(configPath(env), yaml)
  return env
}

async function expectError(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(MailroomError)
  expect((error as MailroomError).code).toBe(code)
  expect((error as MailroomError).message).toMatch(pattern)
}

describe('resolveContext', () => {
  it('uses the three local brokers when there is no configuration at all', async () => {
    const r = await resolveContext({}, configHome())
    expect(r.name).toBeUndefined()
    expect(r.brokers).toEqual(['rabbitmq', 'kafka', 'nats'])
    expect(r.settings.rabbitmq).toMatchObject({
      url: LOCAL_DEFAULTS.rabbitmqUrl,
      managementUrl: 'http://127.0.0.1:15672',
      vhost: '/',
      username: 'guest',
    })
    expect(r.settings.kafka?.brokers).toEqual(['127.0.0.1:9092'])
    expect(r.settings.nats?.url).toBe('nats://127.0.0.1:4222')
    expect(r.readOnly).toBe(false)
  })

  it('applies flags over env vars over the context', async () => {
    const env = await withConfig(
      'currentContext: a\ncontexts:\n  a:\n    kafka: {brokers: ["ctx:1"]}\n    nats: {url: "nats://ctx:4222"}\n    rabbitmq: {url: "amqp://ctx/"}\n',
      {MAILROOM_KAFKA_BROKERS: 'env:2', MAILROOM_NATS_URL: 'nats://env:4222'},
    )
    const r = await resolveContext({natsUrl: 'nats://flag:4222'}, env)
    expect(r.name).toBe('a')
    expect(r.settings.kafka?.brokers).toEqual(['env:2'])
    expect(r.settings.nats?.url).toBe('nats://flag:4222')
    expect(r.settings.rabbitmq?.url).toBe('amqp://ctx/')
    expect(r.settings.rabbitmq?.managementUrl).toBe('http://ctx:15672')
  })

  it('connects only to the brokers a context names', async () => {
    const env = await withConfig('currentContext: k\ncontexts:\n  k:\n    kafka: {brokers: ["h:9092"]}\n')
    expect((await resolveContext({}, env)).brokers).toEqual(['kafka'])
  })

  it('MAILROOM_CONTEXT picks another context; an unknown one is a config error naming the known ones', async () => {
    const env = await withConfig(
      'currentContext: a\ncontexts:\n  a: {readOnly: true}\n  b: {nats: {url: "nats://b:1"}}\n',
    )
    expect((await resolveContext({}, {...env, MAILROOM_CONTEXT: 'b'})).brokers).toEqual(['nats'])
    expect((await resolveContext({}, env)).readOnly).toBe(true)
    await expectError(resolveContext({context: 'zz'}, env), 'CONFIG', /no context named "zz"/)
  })

  it('reads passwords from env vars and files, decodes the vhost, and registers secrets for redaction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailroom-secret-'))
    const file = join(dir, 'pw')
    writeFileSync(file, 'file-secret-123\n')
    chmodSync(file, 0o644)
    const env = await withConfig(
      `currentContext: s\ncontexts:\n  s:\n    rabbitmq: {url: "amqp://ops@h:5672/a%2Fb", passwordEnv: RMQ_PW}\n    nats: {url: "nats://h:4222", user: u, passwordFile: ${file}}\n`,
      {RMQ_PW: 'env-secret-456'},
    )
    const r = await resolveContext({}, env)
    expect(r.settings.rabbitmq).toMatchObject({username: 'ops', password: 'env-secret-456', vhost: 'a/b'})
    expect(r.settings.nats).toMatchObject({user: 'u', password: 'file-secret-123'})
    expect(r.warnings.join('\n')).toMatch(/readable by other users/)
    expect(redact('x env-secret-456 y file-secret-123 z')).toBe('x *** y *** z')
  })

  it('rejects malformed URLs and broker lists with a usage error and an example', async () => {
    await expectError(resolveContext({rabbitmqUrl: 'not a url'}, configHome()), 'USAGE', /malformed RabbitMQ URL/)
    await expectError(resolveContext({rabbitmqUrl: 'http://h'}, configHome()), 'USAGE', /must start with amqp:\/\//)
    await expectError(
      resolveContext({kafkaBrokers: 'h:port'}, configHome()),
      'USAGE',
      /malformed Kafka broker address "h:port"/,
    )
    await expectError(resolveContext({natsUrl: 'nats//x'}, configHome()), 'USAGE', /malformed NATS URL/)
  })

  it('names the file and line of a corrupt config file', async () => {
    const env = await withConfig('contexts:\n  a:\n    kafka: [unclosed\n')
    await expectError(resolveContext({}, env), 'CONFIG', /config\.yaml:\d+: invalid YAML/)
  })
})

describe('schemaRegistry settings', () => {
  it('none unless a URL is named; flag over MAILROOM_SCHEMA_REGISTRY_URL over the context; a path is kept', async () => {
    expect((await resolveContext({}, configHome())).settings.schemaRegistry).toBeUndefined()
    const env = await withConfig(
      'currentContext: r\ncontexts:\n  r:\n    kafka: {brokers: ["h:9092"]}\n    schemaRegistry: {url: "https://ctx/apis/ccompat/v7"}\n',
    )
    expect((await resolveContext({}, env)).settings.schemaRegistry?.url).toBe('https://ctx/apis/ccompat/v7')
    const withEnv = {...env, MAILROOM_SCHEMA_REGISTRY_URL: 'http://env:8081'}
    expect((await resolveContext({}, withEnv)).settings.schemaRegistry?.url).toBe('http://env:8081')
    const flagged = await resolveContext({schemaRegistryUrl: 'http://flag:8081/x'}, withEnv)
    expect(flagged.settings.schemaRegistry?.url).toBe('http://flag:8081/x')
    expect(flagged.brokers).toEqual(['kafka'])
  })

  it('reads the password from passwordEnv or passwordFile and registers it for redaction', async () => {
    const env = await withConfig(
      'currentContext: r\ncontexts:\n  r:\n    schemaRegistry: {url: "https://reg:8081", username: svc, passwordEnv: SR_PW}\n',
      {SR_PW: 'registry-secret-789'},
    )
    const r = await resolveContext({}, env)
    expect(r.settings.schemaRegistry).toMatchObject({
      url: 'https://reg:8081',
      username: 'svc',
      password: 'registry-secret-789',
    })
    expect(redact('401 for registry-secret-789')).toBe('401 for ***')
  })

  it('refuses an inline password, credentials in the URL, and a URL that is not http(s)', async () => {
    const inline = await withConfig(
      'currentContext: r\ncontexts:\n  r:\n    schemaRegistry: {url: "http://reg:8081", password: x}\n',
    )
    await expectError(resolveContext({}, inline), 'CONFIG', /schemaRegistry\.password is not read from the config file/)
    await expectError(
      resolveContext({schemaRegistryUrl: 'http://u:p@reg:8081'}, configHome()),
      'USAGE',
      /the schema registry URL holds a user or password/,
    )
    await expectError(
      resolveContext({schemaRegistryUrl: 'reg:8081'}, configHome()),
      'USAGE',
      /schema registry URL must start with http:\/\/ or https:\/\//,
    )
  })
})

describe('the config file schema', () => {
  it('accepts tls: true, aliases, empty sections and the DLQ settings', async () => {
    const env = await withConfig(
      'currentContext: a\ncontexts:\n  a:\n    kafka: {brokers: ["h:9092"], tls: true}\n    nats: {url: "nats://h:4222", tls: &t {caFile: /x}}\n' +
        '    rabbitmq:\n    dlq: {extraPatterns: ["*.parking"], headers: {reason: x-why}}\n  b:\n    nats: {url: "nats://b:1", tls: *t}\n',
    )
    await expectError(resolveContext({}, env), 'CONFIG', /cannot read CA file \/x/) // the shape passed; the CA file is read next
  })

  it.each([
    ['kafka: {brokers: "h:9092"}', 4, /contexts\.a\.kafka\.brokers must be a list of strings/],
    ['kafka: {brokers: [h:9092], tls: "yes"}', 4, /contexts\.a\.kafka\.tls must be a mapping or true or false/],
    [
      'nats:\n      url: "nats://h:1"\n      credsfile: /c',
      6,
      /unknown key "credsfile" in contexts\.a\.nats \(did you mean "credsFile"\?\)/,
    ],
    ['dlq: {headers: {reasn: x}}', 4, /unknown key "reasn" in contexts\.a\.dlq\.headers \(did you mean "reason"\?\)/],
    ['rabbitmq: {url: "amqp://h", token: t}', 4, /contexts\.a\.rabbitmq\.token is not read from the config file/],
    ['readOnly:', 4, /contexts\.a\.readOnly has no value/],
    ['colour: blue', 4, /unknown key "colour" in contexts\.a$/],
  ])('refuses %s at its line', async (section, line, pattern) => {
    const env = await withConfig(`currentContext: a\ncontexts:\n  a:\n    ${section}\n`)
    await expectError(resolveContext({}, env), 'CONFIG', new RegExp(`config\\.yaml:${line}: ${pattern.source}`))
  })

  it('refuses an unknown top-level key', async () => {
    const env = await withConfig('curentContext: a\ncontexts: {}\n')
    await expectError(
      resolveContext({}, env),
      'CONFIG',
      /config\.yaml:1: unknown key "curentContext" \(did you mean "currentContext"\?\)/,
    )
  })
})

describe('setContext', () => {
  it('merges per broker and makes the first context current', async () => {
    const env = configHome()
    const old = process.env.XDG_CONFIG_HOME
    process.env.XDG_CONFIG_HOME = env.XDG_CONFIG_HOME
    try {
      await setContext('p', {kafka: {brokers: ['a:1']}})
      await setContext('p', {nats: {url: 'nats://n:1'}, readOnly: true})
      const r = await resolveContext({}, env)
      expect(r.name).toBe('p')
      expect(r.readOnly).toBe(true)
      expect(r.brokers).toEqual(['kafka', 'nats'])
    } finally {
      process.env.XDG_CONFIG_HOME = old
    }
  })
})

describe('redact', () => {
  it('masks passwords inside URLs', () => {
    expect(redact('failed amqp://user:s3cr%40t@host:5672/ and nats://a:b@h')).toBe(
      'failed amqp://user:***@host:5672/ and nats://a:***@h',
    )
  })
})
