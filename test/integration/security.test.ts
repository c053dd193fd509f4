// Secured brokers at the adapter level: contexts resolve into TLS/SASL settings that each adapter honours end to end
// (publish, read, management API over HTTPS, URL-encoded vhosts), and the resolver guards secrets.
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {request} from 'node:https'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {createAdapter} from '../../src/adapters/registry.js'
import type {BrokerAdapter} from '../../src/adapters/types.js'
import type {BrokerKind} from '../../src/model/broker.js'
import {MailroomError} from '../../src/model/errors.js'
import {resolveContext} from '../../src/core/config/resolve.js'
import {redact} from '../../src/model/redact.js'
import {uniqueName} from '../helpers/brokers.js'
import {configHomeWith, GOOD_CONTEXTS, PKI, RABBITMQ, secret, SECRET_FILES, secretEnv} from '../helpers/secure.js'

const home = configHomeWith(GOOD_CONTEXTS)
const env = {XDG_CONFIG_HOME: home, ...secretEnv()}
const opened: BrokerAdapter[] = []

async function connected(contextName: string, kind: BrokerKind): Promise<BrokerAdapter> {
  const context = await resolveContext({context: contextName}, env)
  const adapter = await createAdapter(kind, context.settings)
  opened.push(adapter)
  await adapter.connect()
  return adapter
}

afterAll(async () => {
  await Promise.allSettled(opened.map((adapter) => adapter.close()))
})

const readPem = (path: string) => readFileSync(path, 'utf8')

/** One call to the secured management API, verified against the test CA (test setup, not the code under test). */
function management(method: string, path: string, body?: object): Promise<number> {
  return new Promise((resolve, reject) => {
    const auth = `${RABBITMQ.user}:${secret('rabbitmqPassword')}`
    const headers = {'content-type': 'application/json'}
    const req = request({host: '127.0.0.1', port: 15771, method, path, ca: readPem(PKI.ca), auth, headers}, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.once('error', reject)
    req.end(body ? JSON.stringify(body) : undefined)
  })
}

describe('RabbitMQ over AMQPS with mutual TLS, a non-guest user and the vhost a/b', () => {
  it('publishes and consumes in vhost "a/b" (URL-encoded in the context) and lists it through HTTPS', async () => {
    const adapter = await connected('rabbitmq-mtls-vhost-ab', 'rabbitmq')
    const queue = uniqueName('secure-vhost')
    const path = `/api/queues/${encodeURIComponent('a/b')}/${queue}`
    expect(await management('PUT', path, {durable: false, auto_delete: false})).toBeLessThan(300)
    try {
      const receipts = []
      for await (const receipt of adapter.publish!(queue, [{v: 1, headers: [], body: {utf8: 'through a/b'}}], {}))
        receipts.push(receipt)
      expect(receipts.every((r) => r.ok)).toBe(true)
      const bodies: string[] = []
      for await (const delivery of adapter.read!(queue, {consume: true, untilEnd: true})) {
        bodies.push('utf8' in delivery.envelope.body ? delivery.envelope.body.utf8 : '(binary)')
        await delivery.settle('ack')
      }
      expect(bodies).toEqual(['through a/b'])
      const names = (await adapter.listTargets()).map((t) => t.name)
      expect(names).toContain(queue)
    } finally {
      await management('DELETE', path).catch(() => undefined)
    }
  })

  it('maps a management API certificate failure like an AMQPS one', async () => {
    const context = await resolveContext({context: 'rabbitmq-mtls-vhost-ab'}, env)
    const settings = {
      ...context.settings,
      rabbitmq: {
        ...context.settings.rabbitmq!,
        managementUrl: 'https://localhost:15771',
        tls: {...context.settings.rabbitmq!.tls!, servername: undefined},
      },
    }
    // The AMQPS side still verifies fine; only the management URL's host differs, and "localhost" is in the certificate.
    const adapter = await createAdapter('rabbitmq', settings)
    opened.push(adapter)
    await adapter.connect()
    expect((await adapter.listTargets()).length).toBeGreaterThanOrEqual(0)
    const untrusted = await createAdapter('rabbitmq', {
      ...settings,
      rabbitmq: {...settings.rabbitmq, tls: {...settings.rabbitmq.tls, ca: readPem(PKI.otherCa)}},
    })
    opened.push(untrusted)
    const error = await untrusted.listTargets().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(MailroomError)
    expect((error as MailroomError).code).toBe('CONNECTION')
    expect((error as MailroomError).message).toMatch(/management API .* certificate signed by unknown authority/)
  })
})

describe('every adapter connects with each secured context', () => {
  for (const [name, context] of Object.entries(GOOD_CONTEXTS)) {
    const kind = (Object.keys(context) as BrokerKind[]).find((key) => ['rabbitmq', 'kafka', 'nats'].includes(key))!
    it(name, async () => {
      const adapter = await connected(name, kind)
      const info = await adapter.serverInfo()
      expect(info).toBeTruthy()
    })
  }
})

describe('the resolver guards secrets', () => {
  function configHome(yaml: string, mode = 0o600): string {
    const dir = mkdtempSync(join(tmpdir(), 'mailroom-secure-unit-'))
    const file = join(dir, 'mailroom', 'config.yaml')
    mkdirSync(join(dir, 'mailroom'), {recursive: true})
    writeFileSync(file, yaml, {mode})
    chmodSync(file, mode)
    return dir
  }

  it('warns when a secret file is readable by other users', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailroom-secret-'))
    const shared = join(dir, 'password')
    writeFileSync(shared, secret('natsPassword'), {mode: 0o644})
    chmodSync(shared, 0o644)
    const home = configHome(
      `contexts:\n  a:\n    nats: {url: "tls://127.0.0.1:4333", user: mailroom, passwordFile: "${shared}"}\n`,
    )
    const r = await resolveContext({context: 'a'}, {XDG_CONFIG_HOME: home})
    expect(r.warnings.join('\n')).toMatch(/holds a secret and is readable by other users/)
    expect(redact(`oops ${secret('natsPassword')}`)).toBe('oops ***')
  })

  it('warns when a config file holding a URL password is readable by other users', async () => {
    const home = configHome(
      `contexts:\n  a:\n    rabbitmq: {url: "amqps://u:${'s3cr3t-in-url'}@127.0.0.1:5771/"}\n`,
      0o644,
    )
    const r = await resolveContext({context: 'a'}, {XDG_CONFIG_HOME: home})
    expect(r.warnings.join('\n')).toMatch(/holds a password in a URL and is readable by other users/)
  })

  it('refuses a password written into the config file', async () => {
    const home = configHome(
      'contexts:\n  a:\n    kafka: {brokers: ["127.0.0.1:9192"], sasl: {mechanism: plain, username: u, password: hunter2}}\n',
    )
    const error = await resolveContext({context: 'a'}, {XDG_CONFIG_HOME: home}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MailroomError)
    expect((error as MailroomError).code).toBe('CONFIG')
    expect((error as MailroomError).message).toMatch(/kafka.sasl.password is not read from the config file/)
  })

  it('refuses an unknown SASL mechanism', async () => {
    const home = configHome(
      `contexts:\n  a:\n    kafka: {brokers: ["127.0.0.1:9192"], sasl: {mechanism: gssapi, username: u, passwordFile: "${SECRET_FILES.kafkaPlainPassword}"}}\n`,
    )
    await expect(resolveContext({context: 'a'}, {XDG_CONFIG_HOME: home})).rejects.toThrow(
      /unknown kafka.sasl.mechanism "gssapi"/,
    )
  })
})
