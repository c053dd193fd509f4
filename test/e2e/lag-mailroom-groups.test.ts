// mailroom's own Kafka groups (replay cursors mailroom-replay.<dlq>) are not the user's consumers: `lag` and `check`
// leave them out unless asked for (--include-mailroom) or named, so a replay cursor left behind is not a STOP
// consumer that trips `check --max-lag`. When shown, a replay cursor's uncommitted partitions count from the log
// start, where a replay starts.
import {randomUUID} from 'node:crypto'
import {type Admin, Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'

const kafka = new Kafka({clientId: 'lag-mailroom-groups', brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
let admin: Admin
const topic = `mailroom-own-groups-${randomUUID()}.DLT`
const userGroup = `own-groups-user-${randomUUID()}`
const replayGroup = `mailroom-replay.${topic}`

beforeAll(async () => {
  admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({topics: [{topic, numPartitions: 2}], waitForLeaders: true})
  const producer = kafka.producer({allowAutoTopicCreation: false})
  await producer.connect()
  for (const partition of [0, 1])
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({length: 5}, (_, i) => ({value: `dead ${i}`, partition})),
    })
  await producer.disconnect()
  const ends = await admin.fetchTopicOffsets(topic)
  // The user's group has read everything; the replay cursor has replayed 2 records of partition 0 and none of 1.
  await admin.setOffsets({
    groupId: userGroup,
    topic,
    partitions: ends.map((p) => ({partition: p.partition, offset: p.high})),
  })
  await admin.setOffsets({groupId: replayGroup, topic, partitions: [{partition: 0, offset: '2'}]})
  expect((await admin.listGroups()).groups.map((g) => g.groupId)).toEqual(
    expect.arrayContaining([userGroup, replayGroup]),
  )
}, 60_000)

afterAll(async () => {
  await admin.deleteGroups([userGroup, replayGroup]).catch(() => undefined)
  await admin.deleteTopics({topics: [topic]}).catch(() => undefined)
  await admin.disconnect()
})

interface Row {
  consumer: string
  lag?: number
  status: string
  partitions: {partition: number; committed?: number; end: number; start: number; lag?: number}[]
}

async function lagRows(...args: string[]): Promise<Row[]> {
  const r = await runCli(['lag', `kafka:${topic}`, '-o', 'json', ...args])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Row[]
}

describe("mailroom's own groups", () => {
  it('are left out of lag, and shown with --include-mailroom, the replay cursor counting from the log start', async () => {
    expect((await lagRows()).map((r) => r.consumer)).toEqual([userGroup])
    const all = await lagRows('--include-mailroom')
    expect(all.map((r) => r.consumer).sort()).toEqual([replayGroup, userGroup].sort())
    const cursor = all.find((r) => r.consumer === replayGroup)!
    expect(cursor.partitions.map(({partition, committed, lag}) => ({partition, committed, lag}))).toEqual([
      {partition: 0, committed: 2, lag: 3},
      {partition: 1, committed: undefined, lag: 5},
    ])
    expect(cursor).toMatchObject({lag: 8, status: 'STOP'})
  })

  it('are shown when named', async () => {
    const r = await runCli(['lag', `kafka:${replayGroup}`, '-o', 'json'])
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as Row[]).map((x) => [x.consumer, x.lag])).toEqual([[replayGroup, 8]])
  })

  it('do not trip check --max-lag unless --include-mailroom', async () => {
    const fine = await runCli(['check', `kafka:${topic}`, '--max-lag', '0'])
    expect(fine.code, fine.stdout + fine.stderr).toBe(0)
    expect(fine.stdout).toContain('OK: 1 consumer(s)')
    const asked = await runCli(['check', `kafka:${topic}`, '--max-lag', '0', '--include-mailroom'])
    expect(asked.code).toBe(7)
    expect(asked.stdout).toContain(`BREACH max-lag kafka:${topic} (${replayGroup}): lag 8 > 0`)
  })
})
