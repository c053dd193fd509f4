// `dlq replay --to-context`: a DLQ read in one context is moved into another context's servers — another vhost of
// RabbitMQ with its own user and password, or a Kafka topic of a context with Kafka only — killed with -9 in the
// middle and finished with --resume. The brokers themselves say what each side holds afterwards (RabbitMQ over
// AMQP as another user, Kafka through its Java consumer), and the destination's password never shows in the
// journal, the audit log or the output.
import {randomBytes} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import amqp from 'amqplib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {stringify} from 'yaml'

import {topicRecords, headerText} from '../conformance/kafka-truth.js'
import {uniqueName} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'
import {
  duplicates,
  journaledCount,
  journalEnded,
  journalIds,
  journalText,
  kafkaDelete,
  kafkaTopics,
  killWhen,
  missing,
  rabbitConsumersGone,
  rabbitDeadLetters,
  rabbitDelete,
  rabbitIds,
  runCliWithState,
  startCli,
  stateHome,
} from '../integration/replay-fixtures.js'

const MANAGEMENT = 'http://127.0.0.1:15672'
const GUEST = `Basic ${Buffer.from('guest:guest').toString('base64')}`
const MESSAGES = 400
const WINDOW = 25
const RATE = 400

const vhost = uniqueName('fix-cross-context-vh')
const user = uniqueName('fix-cross-context-user')
const password = `pw-${randomBytes(12).toString('hex')}`

async function management(method: string, path: string, body?: object): Promise<Response> {
  const response = await fetch(`${MANAGEMENT}${path}`, {
    method,
    headers: {authorization: GUEST, 'content-type': 'application/json'},
    ...(body ? {body: JSON.stringify(body)} : {}),
  })
  if (!response.ok && !(method === 'DELETE' && response.status === 404))
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return response
}

const everything = {configure: '.*', write: '.*', read: '.*'}
const v = encodeURIComponent(vhost)

beforeAll(async () => {
  await management('PUT', `/api/vhosts/${v}`, {})
  await management('PUT', `/api/users/${encodeURIComponent(user)}`, {password, tags: 'management'})
  await management('PUT', `/api/permissions/${v}/${encodeURIComponent(user)}`, everything)
  await management('PUT', `/api/permissions/${v}/guest`, everything)
})

const queues: string[] = []
const topics: string[] = []

afterAll(async () => {
  await rabbitDelete(...queues)
  await kafkaDelete(...topics)
  await management('DELETE', `/api/vhosts/${v}`)
  await management('DELETE', `/api/users/${encodeURIComponent(user)}`)
})

/** A state home whose config holds the source context (the plain RabbitMQ's "/") and the destination contexts. */
function stateWithContexts(): string {
  const state = stateHome()
  mkdirSync(join(state, 'config', 'mailroom'), {recursive: true, mode: 0o700})
  const contexts = {
    old: {rabbitmq: {url: 'amqp://127.0.0.1:5672/%2F', username: 'guest', passwordEnv: 'OLD_RABBIT_PASSWORD'}},
    new: {
      rabbitmq: {
        url: `amqp://127.0.0.1:5672/${v}`,
        managementUrl: MANAGEMENT,
        username: user,
        passwordEnv: 'NEW_RABBIT_PASSWORD',
      },
    },
    'new-readonly': {
      readOnly: true,
      rabbitmq: {url: `amqp://127.0.0.1:5672/${v}`, username: user, passwordEnv: 'NEW_RABBIT_PASSWORD'},
    },
    streams: {kafka: {brokers: ['127.0.0.1:9092']}},
  }
  writeFileSync(join(state, 'config', 'mailroom', 'config.yaml'), stringify({currentContext: 'old', contexts}), {
    mode: 0o600,
  })
  return state
}

const env = {OLD_RABBIT_PASSWORD: 'guest', NEW_RABBIT_PASSWORD: password}

/** The ids a queue of the new vhost holds, left in place (read as guest, not through mailroom). */
async function idsInVhost(queue: string): Promise<string[]> {
  const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:5672/${v}`)
  try {
    const ch = await c.createChannel()
    const ids: string[] = []
    for (let m = await ch.get(queue, {noAck: false}); m; m = await ch.get(queue, {noAck: false}))
      ids.push(String(m.properties.headers?.id))
    await ch.close()
    return ids
  } finally {
    await c.close()
  }
}

async function queueInVhost(queue: string): Promise<void> {
  const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:5672/${v}`)
  try {
    await (await c.createChannel()).assertQueue(queue, {durable: true})
  } finally {
    await c.close()
  }
}

function auditLines(state: string): Record<string, unknown>[] {
  return readFileSync(join(state, 'mailroom', 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
}

/** A paced replay (small window, bounded rate) into another context, so that a kill lands mid-run. */
function replayArgs(source: string, to: string, toContext: string): string[] {
  const pace = ['--window', String(WINDOW), '--rate', String(RATE)]
  return ['dlq', 'replay', source, '--to', to, '--to-context', toContext, '--yes', '--json', ...pace]
}

/** Starts the replay, kills it with -9 once its journal shows messages confirmed at the destination, resumes it. */
async function killAndResume(args: string[], state: string) {
  const confirmed = () => journalIds(state).some((id) => journaledCount(state, id) > 0)
  const first = await killWhen(startCli(args, state, env), confirmed, {timeoutMs: 30_000})
  const [replayId] = journalIds(state)
  expect(replayId, first.stderr).toBeDefined()
  return {
    first,
    replayId: replayId!,
    resume: () => runCliWithState(['dlq', 'replay', '--resume', replayId!, '--yes', '--json'], state, env),
  }
}

describe('dlq replay --to-context', () => {
  it('moves a RabbitMQ DLQ into another vhost with its own user, survives kill -9 and resumes there: nothing lost, no secret written', async () => {
    const [work, dlq, dest] = [uniqueName('fix-cc-work'), uniqueName('fix-cc-dlq'), uniqueName('fix-cc-dest')]
    queues.push(work, dlq)
    const ids = await rabbitDeadLetters(work, dlq, MESSAGES)
    await queueInVhost(dest)
    const state = stateWithContexts()
    const args = replayArgs(`rabbitmq:${dlq}`, `rabbitmq:${dest}`, 'new')
    const {first, replayId, resume} = await killAndResume(args, state)
    expect(first.code, 'killed mid-run').toBe(137)
    expect(journalEnded(state, replayId)).toBe(false)

    await rabbitConsumersGone(dlq)
    const afterKill = {inDlq: await rabbitIds(dlq), atDestination: await idsInVhost(dest)}
    expect(missing(ids, afterKill.inDlq, afterKill.atDestination), 'lost after the kill').toEqual([])
    expect(afterKill.atDestination.length, 'the kill landed mid-run').toBeGreaterThan(0)
    expect(afterKill.inDlq.length).toBeGreaterThan(0)

    const second = await resume()
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0)
    const report = jsonOf(second).result
    expect(report).toMatchObject({
      resumed: true,
      toContext: 'new',
      destination: `rabbitmq:${dest}`,
      crashWindow: WINDOW,
    })

    await rabbitConsumersGone(dlq)
    expect(await rabbitIds(dlq), 'left in the DLQ').toEqual([])
    const atDestination = await idsInVhost(dest)
    expect(missing(ids, atDestination), 'missing at the destination').toEqual([])
    expect(duplicates(atDestination)).toBeLessThanOrEqual(WINDOW)

    const journal = journalText(state, replayId)
    const start = JSON.parse(journal.split('\n')[0]!)
    expect(start.request.toContext).toBe('new')
    expect(start.servers).toMatchObject({
      context: 'old',
      destination: {context: 'new', fingerprints: {rabbitmq: expect.stringMatching(/^sha256:/)}},
    })
    const audit = auditLines(state)
    expect(audit.at(-1)).toMatchObject({
      command: 'dlq replay --resume',
      context: 'old',
      toContext: 'new',
      replayId,
      outcome: 'ok',
    })
    for (const text of [
      journal,
      readFileSync(join(state, 'mailroom', 'audit.log'), 'utf8'),
      first.stdout,
      first.stderr,
      second.stdout,
      second.stderr,
    ]) {
      expect(text).not.toContain(password)
    }
  }, 120_000)

  it('moves a RabbitMQ DLQ into a Kafka topic of another context, killed -9 and resumed: every record arrives (Java consumer)', async () => {
    const [work, dlq, topic] = [uniqueName('fix-cc-work'), uniqueName('fix-cc-dlq'), uniqueName('fix-cc-topic')]
    queues.push(work, dlq)
    topics.push(topic)
    await kafkaTopics([{topic, partitions: 3}])
    const ids = await rabbitDeadLetters(work, dlq, MESSAGES)
    const state = stateWithContexts()
    const args = replayArgs(`rabbitmq:${dlq}`, `kafka:${topic}`, 'streams')
    const {first, resume} = await killAndResume(args, state)
    expect(first.code, 'killed mid-run').toBe(137)

    const second = await resume()
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0)
    expect(jsonOf(second).result).toMatchObject({toContext: 'streams', destination: `kafka:${topic}`})
    await rabbitConsumersGone(dlq)
    expect(await rabbitIds(dlq), 'left in the DLQ').toEqual([])
    const arrived = (await topicRecords(topic)).map((r) => headerText(r, 'id') ?? '?')
    expect(missing(ids, arrived), 'missing in the Kafka topic').toEqual([])
    expect(duplicates(arrived)).toBeLessThanOrEqual(WINDOW)
  }, 120_000)

  it('refuses a read-only destination context (exit 9), and one without the broker (exit 2, naming it), before anything moves', async () => {
    const [work, dlq] = [uniqueName('fix-cc-work'), uniqueName('fix-cc-dlq')]
    queues.push(work, dlq)
    const ids = await rabbitDeadLetters(work, dlq, 3)
    const dest = uniqueName('fix-cc-dest')
    await queueInVhost(dest)
    const state = stateWithContexts()
    const readOnly = await runCliWithState(
      ['dlq', 'replay', `rabbitmq:${dlq}`, '--to', `rabbitmq:${dest}`, '--to-context', 'new-readonly', '--yes'],
      state,
      env,
    )
    expect(readOnly.code, readOnly.stderr).toBe(9)
    expect(readOnly.stderr).toMatch(/context "new-readonly" is read-only/)
    const noBroker = await runCliWithState(
      ['dlq', 'replay', `rabbitmq:${dlq}`, '--to', 'nats:x', '--to-context', 'streams', '--yes'],
      state,
      env,
    )
    expect(noBroker.code, noBroker.stderr).toBe(2)
    expect(noBroker.stderr).toMatch(/context "streams" has no nats connection/)
    await rabbitConsumersGone(dlq)
    expect((await rabbitIds(dlq)).sort()).toEqual([...ids].sort())
  }, 60_000)

  it('dlq import --to-context publishes into that context (the other vhost, as its user)', async () => {
    const dest = uniqueName('fix-cc-import')
    await queueInVhost(dest)
    const state = stateWithContexts()
    const line = JSON.stringify({
      v: 1,
      broker: 'rabbitmq',
      target: 'x',
      headers: [['id', 'imported-1']],
      body: {utf8: 'hello'},
    })
    const r = await runCli(
      ['dlq', 'import', '-', '--to', `rabbitmq:${dest}`, '--to-context', 'new', '--yes', '--json'],
      {
        env: {...env, XDG_STATE_HOME: state, XDG_CONFIG_HOME: join(state, 'config')},
        input: `${line}\n`,
      },
    )
    expect(r.code, r.stderr).toBe(0)
    expect(await idsInVhost(dest)).toEqual(['imported-1'])
    expect(auditLines(state).at(-1)).toMatchObject({command: 'dlq import', context: 'new'})
    expect(r.stdout + r.stderr).not.toContain(password)
  })
})
