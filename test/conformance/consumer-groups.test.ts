// Consumer groups of both protocols (classic, and consumer: KIP-848), run by Kafka's own Java client, compared field
// by field with Kafka's own kafka-consumer-groups (ConsumerGroupCommand --describe, --members, --state): what
// mailroom's `lag -o json` says about members, state, assignor, epoch and per-partition committed / end / lag must
// be what Kafka's tool says. One JVM for the whole file runs the members and the tool (GroupMembers.java).
import {randomUUID} from 'node:crypto'
import {type Admin, Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../helpers/cli.js'
import {JavaProcess} from './java.js'

/** MAILROOM_KAFKA_BROKERS points the test, its Java members and the CLI at another broker (a throwaway one with other settings). */
const BOOTSTRAP = process.env.MAILROOM_KAFKA_BROKERS ?? '127.0.0.1:9092'
const PARTITIONS = 6
const PER_PARTITION = 10
const SCENARIO_TIMEOUT = 240_000

const kafka = new Kafka({clientId: 'conformance-groups', brokers: [BOOTSTRAP], logLevel: logLevel.NOTHING})
let admin: Admin
let jvm: JavaProcess
const topics: string[] = []
const groups: string[] = []
let tools = 0

beforeAll(async () => {
  admin = kafka.admin()
  await admin.connect()
  jvm = new JavaProcess('GroupMembers')
  await jvm.waitFor(/^ready$/m, 120_000)
}, 180_000)

afterAll(async () => {
  jvm?.send('quit')
  await jvm?.waitFor(/^bye$/m, 30_000).catch(() => undefined)
  await jvm?.stop()
  await admin.deleteGroups(groups).catch(() => undefined)
  await admin.deleteTopics({topics}).catch(() => undefined)
  await admin.disconnect()
})

/** A topic of 6 partitions holding `perPartition` records on each. */
async function filledTopic(): Promise<string> {
  const topic = `conformance-groups-${randomUUID()}`
  topics.push(topic)
  await admin.createTopics({topics: [{topic, numPartitions: PARTITIONS}], waitForLeaders: true})
  await produce(topic, PER_PARTITION)
  return topic
}

async function produce(topic: string, perPartition: number): Promise<void> {
  const producer = kafka.producer({allowAutoTopicCreation: false})
  await producer.connect()
  const messages = Array.from({length: PARTITIONS * perPartition}, (_, i) => ({
    partition: i % PARTITIONS,
    value: `record ${i}`,
  }))
  await producer.send({topic, acks: -1, messages})
  await producer.disconnect()
}

function newGroup(protocol: string): string {
  const group = `conformance-${protocol}-${randomUUID()}`
  groups.push(group)
  return group
}

/** Runs ConsumerGroupCommand in the JVM with these arguments and returns what it printed. */
async function tool(...args: string[]): Promise<string> {
  const id = ++tools
  jvm.send(['tool', id, '--bootstrap-server', BOOTSTRAP, ...args].join(' '))
  const block = await jvm.waitFor(new RegExp(`^tool-begin ${id}\\n([\\s\\S]*?)^tool-end ${id} (-?\\d+)$`, 'm'), 180_000)
  return block[1]
}

/** Table rows of the tool's output: lines that start with the group id, split on blanks. */
function rowsOf(output: string, group: string): string[][] {
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => cells[0] === group)
}

interface KafkaView {
  state: string
  assignor: string
  epoch?: number
  members: {memberId: string; host: string; clientId: string; partitions: number}[]
  partitions: {partition: number; committed?: number; end: number; lag?: number; owner: string}[]
}

const orUndefined = (cell: string) => (cell === '-' ? undefined : Number(cell))

/** What Kafka's tool says about the group on the topic. */
async function kafkaView(group: string, topic: string): Promise<KafkaView> {
  const [offsets, members, state] = [
    await tool('--describe', '--group', group),
    await tool('--describe', '--group', group, '--members'),
    await tool('--describe', '--group', group, '--state', '--verbose'),
  ]
  // GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE GROUP-EPOCH TARGET-ASSIGNMENT-EPOCH #MEMBERS (the epochs are "-"
  // for a classic group, and so is the strategy of an empty classic group, which has none).
  const stateRow = rowsOf(state, group)[0]
  // A rebalancing classic group gets a warning and no table: not a reading to compare.
  if (!stateRow) return {state: 'unknown', assignor: '', members: [], partitions: []}
  const stateCells = stateRow.filter((c) => !/^\(\d+\)$/.test(c))
  const fromEnd = (i: number) => stateCells[stateCells.length - i]
  const assignorIndex = stateCells.length - 5
  const epoch = orUndefined(fromEnd(3))
  return {
    state: fromEnd(4),
    assignor: assignorIndex >= 2 && stateCells[assignorIndex] !== '-' ? stateCells[assignorIndex] : '',
    ...(epoch === undefined ? {} : {epoch}),
    members: rowsOf(members, group)
      .map(([, memberId, host, clientId, partitions]) => ({memberId, host, clientId, partitions: Number(partitions)}))
      .sort((a, b) => a.memberId.localeCompare(b.memberId)),
    partitions: rowsOf(offsets, group)
      .filter((cells) => cells[1] === topic)
      .map(([, , partition, committed, end, lag, owner]) => ({
        partition: Number(partition),
        committed: orUndefined(committed),
        end: Number(end),
        lag: orUndefined(lag),
        owner,
      }))
      .sort((a, b) => a.partition - b.partition),
  }
}

interface LagRowJson {
  target: string
  consumer: string
  status: string
  reason: string
  lag?: number
  consumers: number
  uncommitted?: {partitions: number; ifEarliest: number}
  partitions: {partition: number; committed?: number; end: number; start: number; lag?: number}[]
  group: {
    protocol: string
    state: string
    assignor?: string
    epoch?: number
    members: {memberId: string; clientId: string; host: string; partitions: number[]}[]
  }
}

async function mailroomRow(group: string): Promise<LagRowJson> {
  const r = await runCli(['lag', `kafka:${group}`, '-o', 'json'])
  expect(r.code, r.stderr).toBe(0)
  const rows = JSON.parse(r.stdout) as LagRowJson[]
  expect(rows).toHaveLength(1)
  return rows[0]
}

/** mailroom's row in Kafka's terms, to compare with kafkaView field by field. */
function asKafkaView(row: LagRowJson): KafkaView {
  const owner = (p: number) => row.group.members.find((m) => m.partitions.includes(p))?.memberId ?? '-'
  return {
    state: row.group.state,
    assignor: row.group.assignor ?? '',
    ...(row.group.epoch === undefined ? {} : {epoch: row.group.epoch}),
    members: row.group.members
      .map((m) => ({memberId: m.memberId, host: m.host, clientId: m.clientId, partitions: m.partitions.length}))
      .sort((a, b) => a.memberId.localeCompare(b.memberId)),
    partitions: row.partitions.map((p) => ({
      partition: p.partition,
      committed: p.committed,
      end: p.end,
      lag: p.lag,
      owner: owner(p.partition),
    })),
  }
}

/**
 * Asks Kafka's tool, then mailroom, then the tool again until the tool's two answers agree (a group may move
 * between two reads) and `until` holds for them; returns both readings.
 */
async function settledReadings(
  group: string,
  topic: string,
  until: (v: KafkaView) => boolean,
): Promise<{kafka: KafkaView; row: LagRowJson}> {
  const deadline = Date.now() + 120_000
  for (;;) {
    const before = await kafkaView(group, topic)
    if (until(before)) {
      const row = await mailroomRow(group)
      const after = await kafkaView(group, topic)
      if (JSON.stringify(after) === JSON.stringify(before)) return {kafka: before, row}
    }
    if (Date.now() > deadline)
      throw new Error(`the group did not settle: ${JSON.stringify(before)}\n${jvm.printed.slice(-3000)}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

const totalLag = (v: KafkaView) => v.partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0)
/** Every partition owned by the member with this client id is read to its end. */
const caughtUp = (v: KafkaView, clientId: string) => {
  const ids = new Set(v.members.filter((m) => m.clientId === clientId).map((m) => m.memberId))
  return ids.size === 1 && v.partitions.filter((p) => ids.has(p.owner)).every((p) => p.lag === 0)
}
const allCommitted = (v: KafkaView) =>
  v.partitions.length === PARTITIONS && v.partitions.every((p) => p.committed === p.end)

/** `check --require-consumers -o prometheus` on the group: its exit code and the consumers and status it exposes. */
async function checkRequireConsumers(
  group: string,
  topic: string,
): Promise<{code: number; consumers?: number; status?: string}> {
  const r = await runCli(['check', `kafka:${group}`, '--require-consumers', '-o', 'prometheus'])
  const labels = `broker="kafka",target="${topic}",consumer="${group}"`
  const consumers = new RegExp(`^mailroom_consumer_consumers\\{${labels}\\} (\\d+)$`, 'm').exec(r.stdout)?.[1]
  const status = new RegExp(`^mailroom_consumer_status\\{${labels},status="(\\w+)"\\} 1$`, 'm').exec(r.stdout)?.[1]
  return {
    code: r.code,
    ...(consumers === undefined ? {} : {consumers: Number(consumers)}),
    ...(status === undefined ? {} : {status}),
  }
}

describe.each(['consumer', 'classic'])(
  'a %s-protocol group of two Java consumers on a 6-partition topic',
  (protocol) => {
    it(
      "connected, paused, exited: mailroom's lag equals kafka-consumer-groups --describe, and --require-consumers follows the members",
      async () => {
        const topic = await filledTopic()
        const group = newGroup(protocol)
        const [m1, m2] = [`m1-${protocol}`, `m2-${protocol}`]
        jvm.send(`start ${m1} ${group} ${protocol} ${topic} commit`)
        jvm.send(`start ${m2} ${group} ${protocol} ${topic} commit`)

        // Connected: both members assigned, everything read and committed.
        const connected = await settledReadings(
          group,
          topic,
          (v) =>
            v.state === 'Stable' &&
            v.members.length === 2 &&
            v.members.every((m) => m.partitions === 3) &&
            allCommitted(v),
        )
        expect(asKafkaView(connected.row)).toEqual(connected.kafka)
        expect(connected.row.group.protocol).toBe(protocol)
        expect(connected.row.group.assignor).toBe(protocol === 'consumer' ? 'uniform' : 'range')
        expect(connected.row).toMatchObject({consumers: 2, lag: 0, status: 'OK'})
        expect(connected.row.group.members.map((m) => m.clientId).sort()).toEqual([m1, m2])
        expect(await checkRequireConsumers(group, topic)).toEqual({code: 0, consumers: 2, status: 'OK'})
        const described = await runCli(['targets', 'describe', `kafka:${topic}`, '--json'])
        expect(described.code, described.stderr).toBe(0)
        const [consuming] = JSON.parse(described.stdout).result.details.groups as {group: string; members: unknown[]}[]
        expect(consuming).toEqual({group, ...connected.row.group})

        // Paused: m1 stays in the group but reads nothing more; new records wait on its partitions only.
        jvm.send(`pause ${m1}`)
        await jvm.waitFor(new RegExp(`^paused ${m1}$`, 'm'))
        await produce(topic, 2)
        const paused = await settledReadings(
          group,
          topic,
          (v) => v.state === 'Stable' && v.members.length === 2 && totalLag(v) > 0 && caughtUp(v, m2),
        )
        expect(asKafkaView(paused.row)).toEqual(paused.kafka)
        const waiting = totalLag(paused.kafka)
        expect(paused.row).toMatchObject({consumers: 2, lag: waiting})
        expect((await checkRequireConsumers(group, topic)).code).toBe(0)

        // Exited: no members, the group is Empty (not Dead), the committed offsets stay.
        jvm.send(`exit ${m1}`)
        jvm.send(`exit ${m2}`)
        await jvm.waitFor(
          new RegExp(`^exited ${m1}$[\\s\\S]*^exited ${m2}$|^exited ${m2}$[\\s\\S]*^exited ${m1}$`, 'm'),
        )
        const exited = await settledReadings(group, topic, (v) => v.state === 'Empty' && v.members.length === 0)
        expect(asKafkaView(exited.row)).toEqual(exited.kafka)
        expect(exited.row).toMatchObject({consumers: 0, lag: waiting, status: 'STOP'})
        expect(await checkRequireConsumers(group, topic)).toEqual({code: 7, consumers: 0, status: 'STOP'})
      },
      SCENARIO_TIMEOUT,
    )
  },
)

describe('a new-protocol member that never commits', () => {
  it(
    'shows every partition without a committed offset and an unknown lag, as Kafka does ("-"), not "OK, nothing waiting"',
    async () => {
      const topic = await filledTopic()
      const group = newGroup('consumer')
      jvm.send(`start never-${group} ${group} consumer ${topic} nocommit`)
      await jvm.waitFor(new RegExp(`^read never-${group} \\d+$`, 'm'), 120_000)
      const {kafka: truth, row} = await settledReadings(
        group,
        topic,
        (v) => v.state === 'Stable' && v.members.length === 1 && v.partitions.length === PARTITIONS,
      )
      expect(truth.partitions.every((p) => p.committed === undefined && p.lag === undefined)).toBe(true)
      expect(asKafkaView(row)).toEqual(truth)
      expect(row.lag).toBeUndefined()
      const held = truth.partitions.reduce((sum, p) => sum + p.end, 0)
      expect(row.uncommitted).toEqual({partitions: PARTITIONS, ifEarliest: held})
      expect(row.status).toBe('WARN')
      expect(row.reason).toBe(
        `never committed on 6 partition(s) holding records: lag unknown (${held} if it starts from the earliest offset, 0 from the latest)`,
      )
      jvm.send(`exit never-${group}`)
    },
    SCENARIO_TIMEOUT,
  )
})
