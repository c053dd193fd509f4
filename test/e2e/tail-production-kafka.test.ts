// `tail --idle-timeout` against a Kafka that runs Kafka's default group.initial.rebalance.delay.ms (3 s, as production
// brokers do; the harness broker sets 0): a new group takes that long to join, and the idle clock must not run
// while it does. Then a tail through the loss of that (only) broker. Messages are published, and groups and commits
// asked for, with kafkajs directly, never mailroom.
import {ConfigResourceTypes, Kafka, logLevel, type Admin, type Producer} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {runCli} from '../helpers/cli.js'
import {parseNdjson} from '../helpers/messaging.js'
import {
  killProductionKafka,
  PRODUCTION_KAFKA,
  PRODUCTION_REBALANCE_DELAY_MS,
  productionKafka,
} from '../helpers/production-kafka.js'
import {startCli, stateHome} from '../integration/replay-fixtures.js'

vi.setConfig({testTimeout: 180_000, hookTimeout: 300_000})

const PARTITIONS = 3
const IDLE = '1s'
const env = {MAILROOM_KAFKA_BROKERS: PRODUCTION_KAFKA}

let stopBroker: () => Promise<void> = async () => {}
let admin: Admin
let producer: Producer
/** Throwaway groups left by earlier runs (a process killed while its group joined cannot delete it). */
let leftBefore = new Set<string>()

beforeAll(async () => {
  stopBroker = await productionKafka()
  const kafka = new Kafka({brokers: [PRODUCTION_KAFKA], logLevel: logLevel.NOTHING})
  admin = kafka.admin()
  producer = kafka.producer()
  await Promise.all([admin.connect(), producer.connect()])
  leftBefore = new Set(await throwawayGroups())
})

afterAll(async () => {
  await Promise.allSettled([producer?.disconnect(), admin?.disconnect()])
  await stopBroker()
})

async function topicHolding(bodies: string[]): Promise<string> {
  const topic = uniqueName('correctness-tail-delay')
  await admin.createTopics({topics: [{topic, numPartitions: PARTITIONS}], waitForLeaders: true})
  const messages = bodies.map((value, i) => ({value, partition: i % PARTITIONS}))
  if (messages.length > 0) await producer.send({topic, acks: -1, messages})
  return topic
}

const bodiesOf = (stdout: string) => parseNdjson(stdout).map((e) => (e.body as {utf8: string}).utf8)

async function throwawayGroups(): Promise<string[]> {
  const {groups} = await admin.listGroups()
  return groups.map((g) => g.groupId).filter((id) => id.startsWith('mailroom-tail-') && !leftBefore.has(id))
}

describe('tail --idle-timeout on a broker with a production group join delay', () => {
  it('the broker delays a new group by Kafka default (the premise of these tests)', async () => {
    const [broker] = (await admin.describeCluster()).brokers
    const {resources} = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{type: ConfigResourceTypes.BROKER, name: String(broker!.nodeId)}],
    })
    const delay = resources[0]!.configEntries.find((c) => c.configName === 'group.initial.rebalance.delay.ms')
    expect(Number(delay?.configValue)).toBe(PRODUCTION_REBALANCE_DELAY_MS)
  })

  it('reads every message from --from earliest before going idle, though joining takes longer than the timeout', async () => {
    const sent = Array.from({length: 9}, (_, i) => `m-${i}`)
    const topic = await topicHolding(sent)
    const r = await runCli(['tail', `kafka:${topic}`, '--from', 'earliest', '--idle-timeout', IDLE, '-o', 'ndjson'], {
      env,
      timeoutMs: 60_000,
    })
    expect(r.code, r.stderr).toBe(0)
    expect(bodiesOf(r.stdout).sort()).toEqual([...sent].sort())
    expect(r.stderr).toContain(`${sent.length} message(s); stopped: idle`)
    // Stopped by the idle timeout after joining, not by anything else.
    expect(r.ms).toBeGreaterThanOrEqual(PRODUCTION_REBALANCE_DELAY_MS)
    expect(await throwawayGroups()).toEqual([])
  })

  it('exits 0 idle when no message ever came, and removes its throwaway group', async () => {
    const topic = await topicHolding([])
    const r = await runCli(['tail', `kafka:${topic}`, '--idle-timeout', IDLE, '-o', 'ndjson'], {env, timeoutMs: 60_000})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('0 message(s); stopped: idle')
    expect(await throwawayGroups()).toEqual([])
  })

  it('--consume --group reads and commits everything before going idle', async () => {
    const sent = Array.from({length: 6}, (_, i) => `c-${i}`)
    const topic = await topicHolding(sent)
    const group = uniqueName('correctness-tail-delay-group')
    const r = await runCli(
      ['tail', `kafka:${topic}`, '--consume', '--group', group, '--idle-timeout', IDLE, '-o', 'ndjson'],
      {env, timeoutMs: 60_000},
    )
    expect(r.code, r.stderr).toBe(0)
    expect(bodiesOf(r.stdout).sort()).toEqual([...sent].sort())
    const [committed] = await admin.fetchOffsets({groupId: group, topics: [topic]})
    const ends = await admin.fetchTopicOffsets(topic)
    const byPartition = (rows: {partition: number; offset: string}[]) =>
      Object.fromEntries(rows.map((p) => [p.partition, p.offset]))
    expect(byPartition(committed!.partitions)).toEqual(byPartition(ends))
  })
})

describe('tail through the loss of its broker', () => {
  it('when its consumer gives up on the dead broker it says so once, and reads on where it stopped once the broker is back', async () => {
    const before = Array.from({length: 9}, (_, i) => `before-${i}`)
    const topic = await topicHolding(before)
    const tail = startCli(['tail', `kafka:${topic}`, '--from', 'earliest', '-o', 'ndjson'], stateHome(), env)
    try {
      const printed = () => bodiesOf(tail.stdoutSoFar())
      await waitFor(() => printed().length === before.length, {timeoutMs: 60_000})
      killProductionKafka()
      // kafkajs retries for about 25 s, then its consumer gives up: the tail says so and starts another.
      await waitFor(() => /warning: .*reading on from partition@offset 0@3 1@3 2@3/.test(tail.stderrSoFar()), {
        timeoutMs: 90_000,
        intervalMs: 500,
      })
      await productionKafka()
      const after = Array.from({length: 6}, (_, i) => `after-${i}`)
      await producer.send({topic, acks: -1, messages: after.map((value, i) => ({value, partition: i % PARTITIONS}))})
      await waitFor(() => printed().length >= before.length + after.length, {timeoutMs: 60_000})
      expect(tail.exited(), tail.stderrSoFar()).toBe(false)
      expect(printed().sort()).toEqual([...before, ...after].sort())
      expect(tail.stderrSoFar().match(/reading on from/g)).toHaveLength(1)
      expect(tail.stderrSoFar()).not.toMatch(/\n\s+at /)
    } finally {
      tail.kill()
      await tail.done
    }
  })
})
