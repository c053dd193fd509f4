// A non-destructive Kafka read goes through a throwaway consumer group, and Kafka may rebalance any group: a member
// that misses its heartbeats under load, a coordinator that moves, or (here, to make it happen on demand) a second
// member joining and leaving. After each rebalance kafkajs forgets where the read was and starts every partition
// again from the group's committed offsets, which a throwaway group never has. The read must go on from where it
// was: no history, no record twice, none missed. The intruder and the producer are kafkajs, never mailroom.
import {Kafka, logLevel, type Admin, type Consumer, type Producer} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {uniqueName, waitFor} from '../helpers/brokers.js'
import {parseNdjson, startCli} from '../helpers/messaging.js'

const PARTITIONS = 3
const kafka = new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
let admin: Admin
let producer: Producer

beforeAll(async () => {
  admin = kafka.admin()
  producer = kafka.producer()
  await Promise.all([admin.connect(), producer.connect()])
})

afterAll(async () => {
  await Promise.allSettled([producer.disconnect(), admin.disconnect()])
})

async function publish(topic: string, bodies: string[]): Promise<void> {
  await producer.send({topic, acks: -1, messages: bodies.map((value, i) => ({value, partition: i % PARTITIONS}))})
}

/** The throwaway groups that read this topic now (their members' assignments name it). */
async function groupsReading(topic: string): Promise<string[]> {
  const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith('mailroom-tail-'))
  if (ids.length === 0) return []
  const {groups} = await admin.describeGroups(ids)
  return groups
    .filter((g) => g.members.some((m) => m.memberAssignment.includes(Buffer.from(topic))))
    .map((g) => g.groupId)
}

/** Joins the group as a second member (a rebalance), holds its share until the group is stable, and leaves (another). */
async function intrude(groupId: string, topic: string): Promise<void> {
  const intruder: Consumer = kafka.consumer({groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000})
  await intruder.connect()
  await intruder.subscribe({topics: [topic]})
  let joined = false
  intruder.on(intruder.events.GROUP_JOIN, () => (joined = true))
  await intruder.run({autoCommit: false, eachMessage: async () => {}})
  await waitFor(() => joined, {timeoutMs: 30_000})
  await intruder.disconnect()
}

describe('a Kafka tail through rebalances of its throwaway group', () => {
  it('goes on where it was: no history, nothing twice, nothing missed', async () => {
    const topic = uniqueName('tail-rebalance')
    await admin.createTopics({topics: [{topic, numPartitions: PARTITIONS}], waitForLeaders: true})
    try {
      await publish(
        topic,
        Array.from({length: 30}, (_, i) => `history-${i}`),
      )
      const tail = startCli(['tail', `kafka:${topic}`, '-o', 'ndjson'])
      try {
        const bodies = () => parseNdjson(tail.stdout()).map((e) => (e.body as {utf8: string}).utf8)
        const [group] = await waitFor(
          async () => {
            const found = await groupsReading(topic)
            return found.length > 0 ? found : undefined
          },
          {timeoutMs: 30_000},
        )
        const before = Array.from({length: 12}, (_, i) => `before-${i}`)
        await publish(topic, before)
        await waitFor(() => bodies().length >= before.length, {timeoutMs: 30_000})

        await intrude(group!, topic)
        const after = Array.from({length: 12}, (_, i) => `after-${i}`)
        await publish(topic, after)
        const expected = [...before, ...after].sort()
        await waitFor(() => bodies().length >= expected.length, {timeoutMs: 30_000}).catch(() => undefined)
        // A moment longer: anything read again from the beginning would arrive now.
        await new Promise((resolve) => setTimeout(resolve, 1500))
        expect(bodies().sort(), tail.stderr()).toEqual(expected)
      } finally {
        tail.child.kill('SIGINT')
        await tail.exited
      }
    } finally {
      await admin.deleteTopics({topics: [topic]}).catch(() => undefined)
    }
  }, 120_000)
})
