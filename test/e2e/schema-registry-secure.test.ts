// mailroom against a schema registry that enforces HTTPS and basic auth itself (scripts/secure/schema-registry.mjs:
// Apicurio with Quarkus' embedded users, the test CA's certificate). Schemas are registered and read back over the
// registry's own API; records are framed by hand as Confluent's serializers frame them and produced with kafkajs.
import {readFileSync} from 'node:fs'
import avro from 'avsc'
import {Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import type {ContextConfig} from '../../src/core/config/file.js'
import {uniqueName} from '../helpers/brokers.js'
import {jsonOf, runCli, type CliResult} from '../helpers/cli.js'
import {parseNdjson} from '../helpers/messaging.js'
import {SECURE_REGISTRY, confluentFrame, secureRegistryRequest} from '../helpers/schema-registry.js'
import {PKI, SECRET_FILES, configHomeWith, secret} from '../helpers/secure.js'

vi.setConfig({testTimeout: 120_000, hookTimeout: 120_000})

const NS = `mr_secure_${Date.now().toString(36)}`
const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: NS,
  fields: [
    {name: 'id', type: 'long'},
    {name: 'amount', type: 'double'},
  ],
} as const
const orderType = avro.Type.forSchema(ORDER as unknown as avro.Schema)

const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
const admin = kafka.admin()
const topic = uniqueName('registry-auth')
const subject = `${topic}-value`
let schemaId = 0

const password = (): string => secret('schemaRegistryPassword')
const ca = {caFile: PKI.ca}
const registryWith = (extra: Partial<NonNullable<ContextConfig['schemaRegistry']>>): ContextConfig => ({
  kafka: {brokers: ['127.0.0.1:9092']},
  schemaRegistry: {url: SECURE_REGISTRY.url, username: SECURE_REGISTRY.user, ...extra},
})
const home = configHomeWith({
  'by-env': registryWith({passwordEnv: 'TEST_REGISTRY_PASSWORD', tls: ca}),
  'by-file': registryWith({passwordFile: SECRET_FILES.schemaRegistryPassword, tls: ca}),
  'wrong-password': registryWith({passwordEnv: 'TEST_WRONG_REGISTRY_PASSWORD', tls: ca}),
  'no-ca': registryWith({passwordEnv: 'TEST_REGISTRY_PASSWORD'}),
})

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, {
    env: {
      XDG_CONFIG_HOME: home,
      TEST_REGISTRY_PASSWORD: password(),
      TEST_WRONG_REGISTRY_PASSWORD: 'not-the-registry-password',
      ...env,
    },
    timeoutMs: 90_000,
  })
}

/** The password (and its base64 in a Basic header) appears nowhere a user or a log could see. */
function expectNoSecret(r: CliResult): void {
  const basic = Buffer.from(`${SECURE_REGISTRY.user}:${password()}`).toString('base64')
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toContain(password())
    expect(text).not.toContain(basic)
  }
}

beforeAll(async () => {
  const registered = await secureRegistryRequest(`subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    body: JSON.stringify({schema: JSON.stringify(ORDER)}),
    auth: `${SECURE_REGISTRY.user}:${password()}`,
    ca: readFileSync(PKI.ca),
  })
  expect(registered.status, registered.text).toBe(200)
  schemaId = (JSON.parse(registered.text) as {id: number}).id
  await admin.connect()
  await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic,
    messages: [{key: 'order-1', value: confluentFrame(schemaId, orderType.toBuffer({id: 1, amount: 12.5}))}],
  })
  await producer.disconnect()
})

afterAll(async () => {
  await admin.deleteTopics({topics: [topic]}).catch(() => undefined)
  await admin.disconnect()
})

describe('the secured registry itself', () => {
  it('refuses a request without credentials and one with a wrong password (HTTP 401), answers the right ones', async () => {
    const caPem = readFileSync(PKI.ca)
    expect((await secureRegistryRequest('subjects', {ca: caPem})).status).toBe(401)
    const wrong = await secureRegistryRequest('subjects', {ca: caPem, auth: `${SECURE_REGISTRY.user}:wrong`})
    expect(wrong.status).toBe(401)
    const right = await secureRegistryRequest('subjects', {ca: caPem, auth: `${SECURE_REGISTRY.user}:${password()}`})
    expect(right.status).toBe(200)
    expect(JSON.parse(right.text)).toContain(subject)
  })
})

describe('mailroom with a registry that requires basic auth and TLS', () => {
  const decodedOrder = () => ({
    schemaType: 'AVRO',
    schemaId,
    subject,
    version: 1,
    value: {id: 1, amount: 12.5},
  })

  it.each(['by-env', 'by-file'])(
    'tail --decode auto decodes the Avro record with the password from %s and the CA',
    async (context) => {
      const r = await cli([
        'tail',
        `kafka:${topic}`,
        '--from',
        'earliest',
        '--until-end',
        '--decode',
        'auto',
        '-o',
        'ndjson',
        '--context',
        context,
      ])
      expect(r.code, r.stderr).toBe(0)
      expect(parseNdjson(r.stdout).map((m) => m.decoded?.value)).toEqual([decodedOrder()])
      expectNoSecret(r)
    },
  )

  it('peek decodes it too, and MAILROOM_DEBUG output holds no password', async () => {
    const r = await cli(['peek', `kafka:${topic}`, '-n', '1', '-o', 'ndjson', '--context', 'by-file'], {
      MAILROOM_DEBUG: '1',
    })
    expect(r.code, r.stderr).toBe(0)
    expect(parseNdjson(r.stdout)[0].decoded?.value).toEqual(decodedOrder())
    expectNoSecret(r)
    const json = await cli(['peek', `kafka:${topic}`, '-n', '1', '--json', '--debug', '--context', 'by-env'])
    expect(json.code, json.stderr).toBe(0)
    expect(json.stdout).toMatch(new RegExp(`"schemaId": ?${schemaId}\\b`))
    expectNoSecret(json)
  })

  it('a wrong password: a decoding read fails at once with one line naming the registry URL, exit 3; --decode none reads', async () => {
    // The registry itself refuses these credentials (HTTP 401, checked above): a configuration error, not one
    // record's, so the read stops before printing anything instead of showing every record raw with "401".
    const refused = await secureRegistryRequest('schemas/types', {
      ca: readFileSync(PKI.ca),
      auth: `${SECURE_REGISTRY.user}:not-the-registry-password`,
    })
    expect(refused.status).toBe(401)
    for (const args of [
      ['tail', `kafka:${topic}`, '--from', 'earliest', '--until-end', '--decode', 'auto', '-o', 'ndjson'],
      ['peek', `kafka:${topic}`, '-n', '1', '-o', 'ndjson'],
    ]) {
      const r = await cli([...args, '--context', 'wrong-password'], {MAILROOM_DEBUG: '1'})
      expect(r.code, r.stderr).toBe(3)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain(
        `schema registry ${SECURE_REGISTRY.url} refused the credentials of user ${SECURE_REGISTRY.user} (HTTP 401)`,
      )
      expect(r.stderr).toMatch(/--decode none/)
      expectNoSecret(r)
      expect(r.stdout + r.stderr).not.toContain('not-the-registry-password')
    }
    const json = await cli(['tail', `kafka:${topic}`, '--until-end', '--json', '--context', 'wrong-password'])
    expect(json.code).toBe(3)
    expect(jsonOf(json).error?.code).toBe('AUTH')
    expect(jsonOf(json).error?.message).not.toContain('\n')

    const raw = await cli([
      'tail',
      `kafka:${topic}`,
      '--until-end',
      '--decode',
      'none',
      '-o',
      'ndjson',
      '--context',
      'wrong-password',
    ])
    expect(raw.code, raw.stderr).toBe(0)
    const [message] = parseNdjson(raw.stdout)
    expect(message.key).toBe('order-1')
    expect(message.decoded).toBeUndefined()
  })

  it('a wrong password when the command cannot go on (publish --value-subject): one-line error, exit 3', async () => {
    const r = await cli([
      'publish',
      `kafka:${topic}`,
      '{"id": 2, "amount": 3}',
      '--value-subject',
      subject,
      '--json',
      '--context',
      'wrong-password',
    ])
    const debug = await cli(
      [
        'publish',
        `kafka:${topic}`,
        '{"id": 2, "amount": 3}',
        '--value-subject',
        subject,
        '--context',
        'wrong-password',
      ],
      {MAILROOM_DEBUG: '1'},
    )
    expect(debug.code).toBe(3)
    expect(debug.stdout + debug.stderr).not.toContain('not-the-registry-password')
    expectNoSecret(debug)
    expect(r.code, r.stderr).toBe(3)
    expect(jsonOf(r).error?.message).toMatch(/refused the credentials \(HTTP 401\)/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.stdout + r.stderr).not.toContain('not-the-registry-password')
    expectNoSecret(r)
  })

  it('without the CA: the record is shown raw with a one-line TLS reason; publish fails with a TLS one-liner', async () => {
    const read = await cli(['peek', `kafka:${topic}`, '-n', '1', '-o', 'ndjson', '--context', 'no-ca'])
    expect(read.code, read.stderr).toBe(0)
    const reason = (parseNdjson(read.stdout)[0].decoded?.value as {error: string}).error
    expect(reason).toMatch(/^TLS handshake with schema registry 127\.0\.0\.1:8082 failed: .*certificate/)
    expect(reason).not.toContain('\n')
    const pub = await cli([
      'publish',
      `kafka:${topic}`,
      '{"id": 2, "amount": 3}',
      '--value-subject',
      subject,
      '--json',
      '--context',
      'no-ca',
    ])
    expect(pub.code).toBe(3)
    expect(jsonOf(pub).error?.message).toMatch(
      /^TLS handshake with schema registry 127\.0\.0\.1:8082 failed: .*certificate/,
    )
    expect(pub.stdout + pub.stderr).toContain('schemaRegistry.tls.caFile')
    expectNoSecret(pub)
  })

  it('publish --value-subject encodes through the secured registry; the record Kafka holds is the framed Avro', async () => {
    const r = await cli([
      'publish',
      `kafka:${topic}`,
      '{"id": 2, "amount": 3.5}',
      '--value-subject',
      subject,
      '--context',
      'by-env',
    ])
    expect(r.code, r.stderr).toBe(0)
    expectNoSecret(r)
    const consumer = kafka.consumer({groupId: uniqueName('registry-auth-check')})
    const values: Buffer[] = []
    await consumer.connect()
    await consumer.subscribe({topic, fromBeginning: true})
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${values.length} of 2 records`)), 60_000)
      void consumer.run({
        eachMessage: async ({message}) => {
          values.push(message.value ?? Buffer.alloc(0))
          if (values.length >= 2) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
    await consumer.disconnect()
    expect(values[1]).toEqual(confluentFrame(schemaId, orderType.toBuffer({id: 2, amount: 3.5})))
  })
})
