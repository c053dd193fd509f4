// Secured brokers through the CLI: every way in succeeds (ping, publish, tail), every way of being refused fails
// with exit 3 and a message that says why, and no secret ever shows in any output.
import {spawn} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import amqplib from 'amqplib'
import kafkajs from 'kafkajs'
import {connect as natsConnect, credsAuthenticator, type ConnectionOptions} from 'nats'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {ContextConfig} from '../../src/core/config/file.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {BIN, type CliResult, jsonOf, runCli} from '../helpers/cli.js'
import {
  allSecretValues,
  brokerOf,
  configHomeWith,
  GOOD_CONTEXTS,
  KAFKA,
  NATS,
  PKI,
  RABBITMQ,
  secret,
  SECRET_FILES,
  secretEnv,
} from '../helpers/secure.js'

const pem = (path: string) => readFileSync(path, 'utf8')
const name = uniqueName('secure')
// One queue per vhost, one topic, one stream per nats-server (each server has its own JetStream).
const queue = name
const topic = name
const stream = name.replace(/[^A-Za-z0-9_-]/g, '_')
const NATS_SERVERS: Record<string, ConnectionOptions> = {
  users: {servers: NATS.users.replace('tls://', ''), user: 'mailroom', pass: secret('natsPassword')},
  token: {servers: NATS.token.replace('tls://', ''), token: secret('natsToken')},
  creds: {
    servers: NATS.creds.replace('tls://', ''),
    authenticator: credsAuthenticator(readFileSync(SECRET_FILES.natsCreds)),
  },
  mtls: {
    servers: NATS.mtls.replace('tls://', ''),
    tls: {ca: pem(PKI.ca), cert: pem(PKI.client.certFile), key: pem(PKI.client.keyFile)},
  },
}

function kafkaAdmin() {
  const sasl = {mechanism: 'scram-sha-256' as const, username: KAFKA.scramUser, password: secret('kafkaScramPassword')}
  return new kafkajs.Kafka({
    brokers: [KAFKA.saslSsl],
    ssl: {ca: pem(PKI.ca)},
    sasl,
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin()
}

async function withRabbit<T>(vhost: string, fn: (ch: amqplib.Channel) => Promise<T>): Promise<T> {
  const connection = await amqplib.connect(
    {
      protocol: 'amqps',
      hostname: '127.0.0.1',
      port: 5771,
      username: RABBITMQ.user,
      password: secret('rabbitmqPassword'),
      vhost: encodeURIComponent(vhost),
    },
    {ca: pem(PKI.ca), cert: pem(PKI.client.certFile), key: pem(PKI.client.keyFile)},
  )
  try {
    return await fn(await connection.createChannel())
  } finally {
    await connection.close()
  }
}

async function withNats<T>(
  server: string,
  fn: (jsm: Awaited<ReturnType<Awaited<ReturnType<typeof natsConnect>>['jetstreamManager']>>) => Promise<T>,
): Promise<T> {
  const nc = await natsConnect({tls: {ca: pem(PKI.ca)}, ...NATS_SERVERS[server]})
  try {
    return await fn(await nc.jetstreamManager())
  } finally {
    await nc.close()
  }
}

beforeAll(async () => {
  for (const vhost of ['a/b', '/']) await withRabbit(vhost, (ch) => ch.assertQueue(queue, {durable: false}))
  const admin = kafkaAdmin()
  await admin.connect()
  await admin.createTopics({topics: [{topic, numPartitions: 1}], waitForLeaders: true})
  await admin.disconnect()
  for (const server of Object.keys(NATS_SERVERS))
    await withNats(server, (jsm) => jsm.streams.add({name: stream, subjects: [stream]}))
})

afterAll(async () => {
  for (const vhost of ['a/b', '/']) await withRabbit(vhost, (ch) => ch.deleteQueue(queue)).catch(() => {})
  const admin = kafkaAdmin()
  await admin.connect()
  await admin.deleteTopics({topics: [topic]}).catch(() => {})
  await admin.disconnect()
  for (const server of Object.keys(NATS_SERVERS))
    await withNats(server, (jsm) => jsm.streams.delete(stream)).catch(() => {})
})

const home = configHomeWith(GOOD_CONTEXTS)
const cli = (args: string[], o: {env?: Record<string, string>; input?: string} = {}) =>
  runCli(args, {env: {XDG_CONFIG_HOME: home, ...secretEnv(), ...o.env}, input: o.input, timeoutMs: 60_000})

function targetOf(contextName: string): string {
  const broker = brokerOf(contextName)
  return `${broker}:${broker === 'nats' ? stream : broker === 'kafka' ? topic : queue}`
}

/** Reads back what was published: Kafka and JetStream from the start, RabbitMQ by consuming the queue. */
function tailArgs(contextName: string): string[] {
  const consume = brokerOf(contextName) === 'rabbitmq' ? ['--consume'] : ['--from', 'earliest']
  return ['tail', targetOf(contextName), ...consume, '--until-end', '-o', 'ndjson', '--context', contextName]
}

describe('every way into a secured broker works through the CLI', () => {
  for (const contextName of Object.keys(GOOD_CONTEXTS)) {
    it.concurrent(
      `${contextName}: ping, publish, tail`,
      async () => {
        const ping = await cli(['ping', '--json', '--context', contextName])
        expect(ping.code, ping.stdout + ping.stderr).toBe(0)
        expect(jsonOf(ping).result.brokers[0]).toMatchObject({broker: brokerOf(contextName), up: true})
        const body = `hello from ${contextName} ${uniqueName('m')}`
        const pub = await cli(['publish', targetOf(contextName), body, '--context', contextName])
        expect(pub.code, pub.stderr).toBe(0)
        const tail = await cli(tailArgs(contextName))
        expect(tail.code, tail.stderr).toBe(0)
        const bodies = tail.stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line).body.utf8)
        expect(bodies).toContain(body)
      },
      150_000,
    ) // three CLI runs; generous because the suite shares two cores with every broker
  }

  it('lists RabbitMQ queues over the management API on HTTPS, in the vhost a/b', async () => {
    const r = await cli(['targets', 'list', '-o', 'json', '--context', 'rabbitmq-mtls-vhost-ab'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).map((t: {name: string}) => t.name)).toContain(queue)
  })

  it('reads a password piped on stdin (--password-stdin)', async () => {
    const home = configHomeWith({
      piped: {
        kafka: {
          brokers: [KAFKA.saslSsl],
          sasl: {mechanism: 'scram-sha-256', username: KAFKA.scramUser},
          tls: {caFile: PKI.ca},
        },
      },
    })
    const r = await runCli(['ping', '--json', '--context', 'piped', '--password-stdin'], {
      env: {XDG_CONFIG_HOME: home},
      input: `${secret('kafkaScramPassword')}\n`,
    })
    expect(r.code, r.stdout + r.stderr).toBe(0)
  })
})

const ca = {caFile: PKI.ca}
const mutual = {...ca, ...PKI.client}
const rabbit = (tls: object, extra: object = {}) => ({
  url: `${RABBITMQ.amqps}/a%2Fb`,
  managementUrl: RABBITMQ.management,
  username: RABBITMQ.user,
  passwordFile: SECRET_FILES.rabbitmqPassword,
  tls,
  ...extra,
})
const scram = {
  mechanism: 'scram-sha-256' as const,
  username: KAFKA.scramUser,
  passwordFile: SECRET_FILES.kafkaScramPassword,
}
const wrongPassword = {passwordEnv: 'TEST_WRONG_PASSWORD'}
const unknownCa = /certificate signed by unknown authority/
const mismatch = /does not match the host name/
const missingClientCert = /requires a client certificate|client certificate, and none is configured/

/** Each context holds one broken way in per broker, so one `ping` shows all three refusals. */
const REFUSALS: Record<
  string,
  {context: ContextConfig; expect: Record<'rabbitmq' | 'kafka' | 'nats', [code: string, message: RegExp]>}
> = {
  'wrong-password': {
    context: {
      rabbitmq: rabbit(mutual, wrongPassword),
      kafka: {
        brokers: [KAFKA.saslSsl],
        sasl: {mechanism: 'scram-sha-256', username: KAFKA.scramUser, ...wrongPassword},
        tls: ca,
      },
      nats: {url: NATS.users, user: 'mailroom', ...wrongPassword, tls: ca},
    },
    expect: {
      rabbitmq: ['AUTH', /authentication failed for user mailroom-ops/],
      kafka: ['AUTH', /SASL authentication failed for user mailroom-scram/],
      nats: ['AUTH', /authentication failed for user mailroom/],
    },
  },
  'unknown-ca': {
    context: {
      rabbitmq: rabbit({...mutual, caFile: PKI.otherCa}),
      kafka: {brokers: [KAFKA.saslSsl], sasl: scram, tls: {caFile: PKI.otherCa}},
      nats: {url: NATS.users, user: 'mailroom', passwordFile: SECRET_FILES.natsPassword, tls: {caFile: PKI.otherCa}},
    },
    expect: {rabbitmq: ['CONNECTION', unknownCa], kafka: ['CONNECTION', unknownCa], nats: ['CONNECTION', unknownCa]},
  },
  'mismatched-name': {
    context: {
      rabbitmq: rabbit({...mutual, servername: 'wrong.example'}),
      kafka: {brokers: [KAFKA.saslSsl], sasl: scram, tls: {...ca, servername: 'wrong.example'}},
      nats: {url: NATS.token, tokenFile: SECRET_FILES.natsToken, tls: {...ca, servername: 'wrong.example'}},
    },
    expect: {rabbitmq: ['CONNECTION', mismatch], kafka: ['CONNECTION', mismatch], nats: ['CONNECTION', mismatch]},
  },
  expired: {
    // RabbitMQ: our client certificate has expired; Kafka and NATS: the server's has.
    context: {
      rabbitmq: rabbit({...ca, ...PKI.expiredClient}),
      kafka: {brokers: [KAFKA.expired], sasl: scram, tls: ca},
      nats: {url: NATS.expired, tls: ca},
    },
    expect: {
      rabbitmq: ['AUTH', /rejected the client certificate: it has expired/],
      kafka: ['CONNECTION', /the server's certificate has expired/],
      nats: ['CONNECTION', /the server's certificate has expired/],
    },
  },
  'missing-client-certificate': {
    context: {rabbitmq: rabbit(ca), kafka: {brokers: [KAFKA.mtls], tls: ca}, nats: {url: NATS.mtls, tls: ca}},
    expect: {
      rabbitmq: ['AUTH', missingClientCert],
      kafka: ['AUTH', missingClientCert],
      nats: ['AUTH', missingClientCert],
    },
  },
}

describe('refusals exit 3 and say why', () => {
  const refusalHome = configHomeWith(
    Object.fromEntries(Object.entries(REFUSALS).map(([label, r]) => [label, r.context])),
  )
  for (const [label, refusal] of Object.entries(REFUSALS)) {
    it.concurrent(
      `${label}, on each broker`,
      async () => {
        const r = await runCli(['ping', '--json', '--context', label], {
          env: {XDG_CONFIG_HOME: refusalHome, ...secretEnv()},
          timeoutMs: 45_000,
        })
        expect(r.code, r.stdout + r.stderr).toBe(3)
        const rows = jsonOf(r).result.brokers as {
          broker: 'rabbitmq' | 'kafka' | 'nats'
          up: boolean
          error: {code: string; message: string}
        }[]
        expect(rows).toHaveLength(3)
        for (const row of rows) {
          const [code, message] = refusal.expect[row.broker]
          expect(row.up, row.broker).toBe(false)
          expect(`${row.broker}: ${row.error.code} ${row.error.message}`).toMatch(
            new RegExp(`${row.broker}: ${code} .*${message.source}`),
          )
        }
      },
      90_000,
    )
  }

  it('a command that needs the connection exits 3 with the reason on stderr', async () => {
    const r = await runCli(['publish', `kafka:${topic}`, 'x', '--context', 'unknown-ca'], {
      env: {XDG_CONFIG_HOME: refusalHome},
    })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(unknownCa)
  })

  it('refuses SASL PLAIN without TLS unless allowed (exit 2, before connecting)', async () => {
    const plain = {
      mechanism: 'plain' as const,
      username: KAFKA.plainUser,
      passwordFile: SECRET_FILES.kafkaPlainPassword,
    }
    const home = configHomeWith({cleartext: {kafka: {brokers: [KAFKA.saslSsl], sasl: plain}}})
    const r = await runCli(['ping', '--json', '--context', 'cleartext'], {env: {XDG_CONFIG_HOME: home}})
    expect(r.code, r.stdout).not.toBe(0)
    expect(r.stdout).toMatch(/Refusing SASL PLAIN without TLS/)
  })

  it('connects with insecureSkipVerify despite an unknown CA, and warns loudly', async () => {
    const home = configHomeWith({
      insecure: {
        nats: {
          url: NATS.token,
          tokenFile: SECRET_FILES.natsToken,
          tls: {caFile: PKI.otherCa, insecureSkipVerify: true},
        },
      },
    })
    const r = await runCli(['ping', '--context', 'insecure'], {env: {XDG_CONFIG_HOME: home}})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/warning: TLS certificate verification is DISABLED/)
  })
})

describe('secrets never leave', () => {
  const auditDir = join(home, 'state')
  const auditLog = join(auditDir, 'audit.log')
  const env = {MAILROOM_AUDIT_LOG: auditLog}

  function assertNoSecret(results: CliResult[], extra: string[] = []): void {
    const secrets = [...allSecretValues(), secretEnv().TEST_WRONG_PASSWORD]
    const audit = existsSync(auditDir)
      ? readdirSync(auditDir).map((file) => readFileSync(join(auditDir, file), 'utf8'))
      : []
    const outputs = [...results.flatMap((r) => [r.stdout, r.stderr]), ...audit, ...extra]
    for (const value of secrets) {
      for (const output of outputs)
        expect(output.includes(value), `a secret leaked into:\n${output.slice(0, 400)}`).toBe(false)
    }
  }

  it('in stdout, stderr, --json, debug logs, errors and the audit log of a run with every secret configured', async () => {
    const everything = {
      ...GOOD_CONTEXTS['rabbitmq-mtls-vhost-ab'],
      ...GOOD_CONTEXTS['kafka-scram-sha-512'],
      ...GOOD_CONTEXTS['nats-creds'],
    }
    const home = configHomeWith({
      everything,
      wrong: REFUSALS['wrong-password']!.context,
      nkey: GOOD_CONTEXTS['nats-nkey']!,
    })
    const run = (args: string[], extraEnv: Record<string, string> = {}) =>
      runCli(args, {env: {XDG_CONFIG_HOME: home, ...secretEnv(), ...env, ...extraEnv}, timeoutMs: 90_000})
    const debug = {MAILROOM_DEBUG: '1'}
    const urlWithPassword = `amqps://${RABBITMQ.user}:${secret('rabbitmqPassword')}@127.0.0.1:5771/`
    // Two waves of four: enough overlap to save time, not so much that a loaded machine starves them.
    const [ping, wrong, ...first] = await Promise.all([
      run(['ping', '--json', '--context', 'everything'], debug),
      run(['ping', '--context', 'wrong', '--debug']),
      run(['context', 'show', 'everything']),
      run(['targets', 'list', '--context', 'everything', '--json']),
    ])
    const second = await Promise.all([
      run(['publish', `kafka:${topic}`, 'audit me', '--context', 'everything', '--json']),
      run(
        ['tail', `kafka:${topic}`, '--from', 'earliest', '--until-end', '-o', 'ndjson', '--context', 'everything'],
        debug,
      ),
      run(['dlq', 'purge', `nats:${stream}`, '--yes', '--context', 'everything', '--json']),
      run([
        'tail',
        `nats:${stream}`,
        '--from',
        'earliest',
        '--until-end',
        '--context',
        'nkey',
        '--rabbitmq-url',
        urlWithPassword,
        '--debug',
      ]),
    ])
    const results = [ping!, wrong!, ...first, ...second]
    expect(ping!.code, ping!.stdout + ping!.stderr).toBe(0)
    expect(ping!.stderr, 'debug logs were written').toMatch(/kafkajs/)
    expect(wrong!.code).toBe(3)
    expect(existsSync(auditLog), 'dlq purge writes the audit log').toBe(true)
    assertNoSecret(results)
  }, 240_000)

  it('a password given in a URL flag is hidden from the process list and warned about', async () => {
    const url = `amqps://${RABBITMQ.user}:${secret('rabbitmqPassword')}@127.0.0.1:5771/a%2Fb`
    // A generous connect timeout: on a saturated CI machine the mTLS handshake has taken longer than the default 5 s.
    // Consuming the (empty) queue keeps the tail running until it is interrupted, so its command line can be read.
    const args = [
      'tail',
      `rabbitmq:${queue}`,
      '--consume',
      '--context',
      'rabbitmq-mtls-vhost-ab',
      '--rabbitmq-url',
      url,
      '--connect-timeout',
      '30000',
    ]
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: home},
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    const exited = new Promise<number | null>((done) => child.once('close', done))
    let cmdline = ''
    try {
      await waitFor(() => stderr.includes('command line'), {timeoutMs: 20_000})
      cmdline = readCmdline(child.pid!, () => stderr)
    } finally {
      child.kill('SIGINT')
    }
    await exited
    expect(stderr).toMatch(/a password on the command line is visible/)
    expect(cmdline).not.toContain(secret('rabbitmqPassword'))
    assertNoSecret([{code: 0, stdout, stderr, ms: 0}], [cmdline])
  }, 40_000)
})

/** The process's command line as other users see it; says why when the process is already gone. */
function readCmdline(pid: number, stderr: () => string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    throw new Error(`mailroom tail exited before its command line could be read; it said: ${stderr()}`)
  }
}
