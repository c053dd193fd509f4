// --select on the command line: the dashboard's marks as flags, for a CI job. The ids come from `dlq inspect -o json`;
// replay, purge and export act on exactly those messages, as the brokers themselves report afterwards (AMQP
// basic.get, Kafka's Java consumer, nats.js direct get).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import amqp from 'amqplib'
import {connect as natsConnect} from 'nats'
import {afterAll, describe, expect, it, vi} from 'vitest'

import {headerText, topicRecords} from '../conformance/kafka-truth.js'
import {uniqueName} from '../helpers/brokers.js'
import {jsonOf} from '../helpers/cli.js'
import {
  kafkaDeadLetters,
  kafkaDelete,
  kafkaTopics,
  natsDeadLetters,
  natsDelete,
  rabbitDeadLetters,
  rabbitDelete,
  runCliWithState,
  stateHome,
} from '../integration/replay-fixtures.js'

vi.setConfig({testTimeout: 120_000})

const queues: string[] = []
const topics: string[] = []
const streams: string[] = []

afterAll(async () => {
  await rabbitDelete(...queues)
  await kafkaDelete(...topics).catch(() => undefined)
  await natsDelete(...streams)
})

interface Inspected {
  ids: string[]
  messages: {body: {utf8: string}}[]
}

/** Each message's id by its body's id, as `dlq inspect --json` lists them. */
async function idsByBody(ref: string, state: string): Promise<Map<string, string>> {
  const r = await runCliWithState(['dlq', 'inspect', ref, '--json'], state)
  expect(r.code, r.stderr).toBe(0)
  const {ids, messages} = jsonOf<Inspected>(r).result
  return new Map(messages.map((m, i) => [JSON.parse(m.body.utf8).id as string, ids[i]]))
}

/** The body ids a queue holds, read (and acknowledged) with basic.get. */
async function drained(queue: string): Promise<string[]> {
  const c = await amqp.connect('amqp://guest:guest@127.0.0.1:5672')
  try {
    const ch = await c.createChannel()
    const ids: string[] = []
    for (let m = await ch.get(queue); m; m = await ch.get(queue)) {
      ids.push(JSON.parse(m.content.toString()).id)
      ch.ack(m)
    }
    return ids.sort()
  } finally {
    await c.close()
  }
}

describe('dlq replay --select', () => {
  it('RabbitMQ: the plan shows the selection, the replay moves exactly those 2 and the audit line names them', async () => {
    const id = uniqueName('fix-dlq-multiselect-cli')
    const [work, dlq] = [`${id}.work`, `${id}.dlq`]
    queues.push(work, dlq)
    const all = await rabbitDeadLetters(work, dlq, 5)
    const state = stateHome()
    const byBody = await idsByBody(`rabbitmq:${dlq}`, state)
    const chosen = [all[1], all[3]]
    const select = chosen.flatMap((m) => ['--select', byBody.get(m)!])
    const plan = await runCliWithState(['dlq', 'replay', `rabbitmq:${dlq}`, ...select, '--dry-run'], state)
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.stdout).toContain(
      `selection: 2 selected message(s): ${byBody.get(all[1])}, ${byBody.get(all[3])}; 2 found`,
    )
    expect(plan.stdout).toContain('would replay 2,')
    const run = await runCliWithState(['dlq', 'replay', `rabbitmq:${dlq}`, ...select, '--yes', '--json'], state)
    expect(run.code, run.stderr).toBe(0)
    expect(jsonOf(run).result.counts).toMatchObject({replayed: 2})
    expect(await drained(work)).toEqual(chosen.sort())
    expect(await drained(dlq)).toEqual(all.filter((m) => !chosen.includes(m)).sort())
    const audit = readFileSync(join(state, 'mailroom', 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(audit.at(-1)).toMatchObject({
      command: 'dlq replay',
      target: `rabbitmq:${dlq}`,
      details: {select: chosen.map((m) => byBody.get(m))},
    })
  })

  it('an id of another DLQ is a usage error (exit 2), nothing moves', async () => {
    const r = await runCliWithState(
      ['dlq', 'replay', 'rabbitmq:orders.dlq', '--select', 'kafka:orders.DLT/0/1', '--dry-run'],
      stateHome(),
    )
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--select kafka:orders.DLT/0/1 is not a message of rabbitmq:orders.dlq')
  })
})

describe('dlq export --select and dlq purge --select', () => {
  it('Kafka: export writes exactly the selected records; purge --select is refused (exit 5) and the DLT keeps every record', async () => {
    const id = uniqueName('fix-dlq-multiselect-cli')
    const [origin, dlt] = [`${id}.orders`, `${id}.DLT`]
    topics.push(origin, dlt)
    await kafkaTopics([
      {topic: origin, partitions: 1},
      {topic: dlt, partitions: 2},
    ])
    const all = await kafkaDeadLetters(origin, dlt, 6)
    const records = await topicRecords(dlt)
    const idOf = new Map(records.map((r) => [headerText(r, 'id')!, `kafka:${dlt}/${r.partition}/${r.offset}`]))
    const chosen = [all[0], all[5]]
    const state = stateHome()
    const file = join(state, 'two.ndjson')
    const exported = await runCliWithState(
      ['dlq', 'export', `kafka:${dlt}`, ...chosen.flatMap((m) => ['--select', idOf.get(m)!]), '-f', file],
      state,
    )
    expect(exported.code, exported.stderr).toBe(0)
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(JSON.parse(l).body.utf8).id)
    expect(lines.sort()).toEqual(chosen.sort())
    const purge = await runCliWithState(['dlq', 'purge', `kafka:${dlt}`, '--select', idOf.get(all[0])!, '--yes'], state)
    expect(purge.code).toBe(5)
    expect(purge.stderr).toContain('single records cannot be removed by a filter or a selection')
    expect((await topicRecords(dlt)).length).toBe(6)
  })

  it('JetStream: purge --select deletes exactly the selected sequences', async () => {
    const stream = uniqueName('MSELCLI').replace(/-/g, '_')
    const dlq = `${stream}_DLQ`
    streams.push(dlq)
    const all = await natsDeadLetters(dlq, `${dlq}.x`, 5) // plain entries: ids are the stream's sequences 1..5
    const state = stateHome()
    const purge = await runCliWithState(
      ['dlq', 'purge', `nats:${dlq}`, '--select', `nats:${dlq}/2`, '--select', `nats:${dlq}/4`, '--yes', '--json'],
      state,
    )
    expect(purge.code, purge.stderr).toBe(0)
    expect(jsonOf(purge).result).toMatchObject({purged: 2, method: 'delete-by-sequence'})
    const nc = await natsConnect({servers: 'nats://127.0.0.1:4222'})
    try {
      const jsm = await nc.jetstreamManager()
      const left: string[] = []
      for (let seq = 1; seq <= 5; seq++) {
        const m = await jsm.streams.getMessage(dlq, {seq}).catch(() => undefined)
        if (m) left.push(JSON.parse(Buffer.from(m.data).toString('utf8')).id)
      }
      expect(left).toEqual([all[0], all[2], all[4]])
    } finally {
      await nc.close()
    }
  })
})
