// The group types that are not consumer groups, run by Kafka's own clients: a share group (KIP-932) of two
// KafkaShareConsumers and a streams group (KIP-1071) of a Kafka Streams app with group.protocol=streams. mailroom's
// `lag` (the listing of every group and the group named), `check`, and `targets describe` must show each with its
// type, state, epoch and members as Kafka's own tools say (kafka-share-groups / kafka-streams-groups --describe,
// compared field by field for what both show), and never as a consumer group or a stopped one. One JVM for the whole
// file runs the members and the tools (OtherGroups.java).
// Share groups need share.version=1 and streams groups streams.version=1 on the broker: the harness
// (scripts/lib/kafka.mjs) formats with both and raises share.version online; streams groups also need the broker
// started with the harness's unstable.* settings (a broker started before them must be restarted).
import {randomUUID} from 'node:crypto'
import {type Admin, Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../helpers/cli.js'
import {JavaProcess} from './java.js'
import {BOOTSTRAP, kafkaOffsets} from './kafka-truth.js'
const PARTITIONS = 6
const PER_PARTITION = 10
const SCENARIO_TIMEOUT = 240_000

const kafka = new Kafka({clientId: 'conformance-other-groups', brokers: [BOOTSTRAP], logLevel: logLevel.NOTHING})
let admin: Admin
let jvm: JavaProcess
const topics: string[] = []
const groups: string[] = []
let tools = 0

beforeAll(async () => {
  admin = kafka.admin()
  await admin.connect()
  jvm = new JavaProcess('OtherGroups', [BOOTSTRAP])
  await jvm.waitFor(/^ready$/m, 120_000)
}, 180_000)

afterAll(async () => {
  jvm?.send('quit')
  await jvm?.waitFor(/^bye$/m, 60_000).catch(() => undefined)
  await jvm?.stop()
  await admin.deleteGroups(groups).catch(() => undefined)
  // A Streams app's internal topics (changelogs) are named after its application id.
  const internal = (await admin.listTopics().catch(() => [])).filter((t) => groups.some((g) => t.startsWith(`${g}-`)))
  await admin.deleteTopics({topics: [...topics, ...internal]}).catch(() => undefined)
  await admin.disconnect()
})

async function filledTopic(): Promise<string> {
  const topic = `conformance-other-groups-${randomUUID()}`
  topics.push(topic)
  await admin.createTopics({topics: [{topic, numPartitions: PARTITIONS}], waitForLeaders: true})
  // Idempotent: a send retried on a loaded broker (a partition not hosted yet) writes no record twice.
  const producer = kafka.producer({allowAutoTopicCreation: false, idempotent: true, retry: {retries: 10}})
  await producer.connect()
  const messages = Array.from({length: PARTITIONS * PER_PARTITION}, (_, i) => ({
    partition: i % PARTITIONS,
    key: `key-${i % 7}`,
    value: `record ${i}`,
  }))
  await producer.send({topic, acks: -1, messages})
  await producer.disconnect()
  return topic
}

function newGroup(type: string): string {
  const group = `conformance-${type}-${randomUUID()}`
  groups.push(group)
  return group
}

/** Runs kafka-share-groups or kafka-streams-groups in the JVM with these arguments and returns what it printed. */
async function tool(which: 'share' | 'streams', ...args: string[]): Promise<string> {
  const id = ++tools
  jvm.send(['tool', id, which, '--bootstrap-server', BOOTSTRAP, ...args].join(' '))
  const block = await jvm.waitFor(new RegExp(`^tool-begin ${id}\\n([\\s\\S]*?)^tool-end ${id} (-?\\d+)$`, 'm'), 180_000)
  return block[1]
}

/** Table rows of the tool's output: lines that start with the group id, split on blanks, "(1)" of the coordinator dropped. */
function rowsOf(output: string, group: string): string[][] {
  return output
    .split('\n')
    .map((line) =>
      line
        .trim()
        .split(/\s+/)
        .filter((cell) => !/^\(\d+\)$/.test(cell)),
    )
    .filter((cells) => cells[0] === group)
}

const orUndefined = (cell: string | undefined) => (cell === undefined || cell === '-' ? undefined : Number(cell))

interface GroupView {
  state: string
  epoch?: number
  members: {memberId: string; clientId: string; partitions: number}[]
}

interface LagRowJson {
  target: string
  consumer: string
  status: string
  reason: string
  lag?: number
  lagNotApplicable?: string
  consumers: number
  partitions: {
    partition: number
    committed?: number
    end: number
    start: number
    lag?: number
    shareStartOffset?: number
  }[]
  group: {
    type: string
    protocol?: string
    state: string
    assignor?: string
    epoch?: number
    members: {memberId: string; clientId: string; host: string; partitions: number[]}[]
  }
}

async function mailroomRows(...args: string[]): Promise<LagRowJson[]> {
  const r = await runCli(['lag', ...args, '-o', 'json'])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as LagRowJson[]
}

/** The group's one row, named (`lag kafka:<group>`), and the same row in the listing of every group. */
async function mailroomRow(group: string): Promise<LagRowJson> {
  const named = await mailroomRows(`kafka:${group}`)
  expect(named).toHaveLength(1)
  const listed = (await mailroomRows('--broker', 'kafka')).filter((r) => r.consumer === group)
  expect(listed.map((r) => ({...r, reason: undefined}))).toEqual(named.map((r) => ({...r, reason: undefined})))
  return named[0]
}

function asView(row: LagRowJson): GroupView {
  return {
    state: row.group.state,
    ...(row.group.epoch === undefined ? {} : {epoch: row.group.epoch}),
    members: row.group.members
      .map((m) => ({memberId: m.memberId, clientId: m.clientId, partitions: m.partitions.length}))
      .sort((a, b) => a.memberId.localeCompare(b.memberId)),
  }
}

/** Asks the tool, then mailroom, then the tool again until the tool's answers agree and `until` holds for them. */
async function settled<V>(
  read: () => Promise<V>,
  until: (v: V) => boolean,
  group: string,
): Promise<{kafka: V; row: LagRowJson}> {
  const deadline = Date.now() + 120_000
  for (;;) {
    const before = await read()
    if (until(before)) {
      const row = await mailroomRow(group)
      if (JSON.stringify(await read()) === JSON.stringify(before)) return {kafka: before, row}
    }
    if (Date.now() > deadline)
      throw new Error(`the group did not settle: ${JSON.stringify(before)}\n${jvm.printed.slice(-3000)}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

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

/** The topic's consumers in `targets list`: the groups with members on it. */
async function listedConsumers(topic: string): Promise<number | undefined> {
  const listed = await runCli(['targets', 'list', '--broker', 'kafka', '--json'])
  expect(listed.code, listed.stderr).toBe(0)
  return (JSON.parse(listed.stdout).result.targets as {name: string; consumers?: number}[]).find(
    (t) => t.name === topic,
  )?.consumers
}

async function describedGroups(topic: string): Promise<unknown[]> {
  const described = await runCli(['targets', 'describe', `kafka:${topic}`, '--json'])
  expect(described.code, described.stderr).toBe(0)
  return JSON.parse(described.stdout).result.details.groups as unknown[]
}

interface ShareView extends GroupView {
  hosts: string[]
  startOffsets: Record<number, number | undefined>
}

/** kafka-share-groups --describe (START-OFFSET per partition), --members --verbose and --state --verbose. */
async function shareView(group: string): Promise<ShareView> {
  const offsets = rowsOf(await tool('share', '--describe', '--group', group), group)
  const members = rowsOf(await tool('share', '--describe', '--group', group, '--members', '--verbose'), group)
  // GROUP COORDINATOR STATE GROUP-EPOCH ASSIGNMENT-EPOCH #MEMBERS
  const [state] = rowsOf(await tool('share', '--describe', '--group', group, '--state', '--verbose'), group)
  return {
    state: state?.[2] ?? 'unknown',
    ...(orUndefined(state?.[3]) === undefined ? {} : {epoch: orUndefined(state?.[3])}),
    // GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS MEMBER-EPOCH ASSIGNMENT
    members: members
      .map(([, memberId, , clientId, partitions]) => ({memberId, clientId, partitions: Number(partitions)}))
      .sort((a, b) => a.memberId.localeCompare(b.memberId)),
    hosts: members.map(([, , host]) => host).sort(),
    startOffsets: Object.fromEntries(offsets.map(([, , partition, start]) => [Number(partition), orUndefined(start)])),
  }
}

function asShareView(row: LagRowJson): ShareView {
  return {
    ...asView(row),
    hosts: row.group.members.map((m) => m.host).sort(),
    startOffsets: Object.fromEntries(
      row.partitions.filter((p) => p.shareStartOffset !== undefined).map((p) => [p.partition, p.shareStartOffset]),
    ),
  }
}

describe('a share group of two KafkaShareConsumers on a 6-partition topic', () => {
  it(
    "is listed and named as a share group with kafka-share-groups' state, epoch, members and start offsets; no lag, never STOP",
    async () => {
      const topic = await filledTopic()
      const group = newGroup('share')
      jvm.send(`earliest ${group}`)
      await jvm.waitFor(new RegExp(`^earliest ${group}$`, 'm'))
      jvm.send(`share s1-${group} ${group} ${topic}`)
      jvm.send(`share s2-${group} ${group} ${topic}`)

      // Connected: both members assigned, every partition's start offset known to Kafka.
      const everyStart = (v: ShareView) =>
        Object.keys(v.startOffsets).length === PARTITIONS && Object.values(v.startOffsets).every((o) => o !== undefined)
      const connected = await settled(
        () => shareView(group),
        (v) =>
          v.state === 'Stable' && v.members.length === 2 && v.members.every((m) => m.partitions > 0) && everyStart(v),
        group,
      )
      expect(asShareView(connected.row)).toEqual(connected.kafka)
      expect(connected.row.group.type).toBe('share')
      expect(connected.row.group.protocol).toBeUndefined()
      expect(connected.row.group.assignor).toBe('simple')
      expect(connected.row.target).toBe(topic)
      expect(connected.row).toMatchObject({consumers: 2, status: 'OK'})
      expect(connected.row.lag).toBeUndefined()
      expect(connected.row.lagNotApplicable).toMatch(/share group/)
      const {topics: held} = await kafkaOffsets([topic])
      expect(connected.row.partitions.map((p) => [p.start, p.end])).toEqual(Object.values(held[topic]))
      expect(await checkRequireConsumers(group, topic)).toEqual({code: 0, consumers: 2, status: 'OK'})
      expect(await describedGroups(topic)).toEqual([{group, ...connected.row.group}])
      expect(await listedConsumers(topic)).toBe(1)

      // Exited: no members, Empty as Kafka says (not Dead); nothing says records wait, so WARN, not STOP.
      jvm.send(`exit s1-${group}`)
      jvm.send(`exit s2-${group}`)
      const exited = await settled(
        () => shareView(group),
        (v) => v.state === 'Empty' && v.members.length === 0,
        group,
      )
      expect(asShareView(exited.row)).toEqual(exited.kafka)
      expect(exited.row).toMatchObject({consumers: 0, status: 'WARN', group: {type: 'share', state: 'Empty'}})
      expect(await checkRequireConsumers(group, topic)).toEqual({code: 7, consumers: 0, status: 'WARN'})
    },
    SCENARIO_TIMEOUT,
  )
})

interface StreamsView extends GroupView {
  partitions: {partition: number; committed?: number; end: number; lag?: number}[]
}

/** kafka-streams-groups --describe --offsets --verbose, --members and --state --verbose. */
async function streamsView(group: string): Promise<StreamsView> {
  // GROUP TOPIC PARTITION CURRENT-OFFSET LEADER-EPOCH LOG-END-OFFSET OFFSET-LAG
  const offsets = rowsOf(await tool('streams', '--describe', '--group', group, '--offsets', '--verbose'), group)
  // GROUP MEMBER PROCESS CLIENT-ID ASSIGNMENTS (ACTIVE: <subtopology>:[<partitions>] ...)
  const members = (await tool('streams', '--describe', '--group', group, '--members'))
    .split('\n')
    .filter((line) => line.trim().startsWith(`${group} `))
  // GROUP COORDINATOR STATE GROUP-EPOCH TARGET-ASSIGNMENT-EPOCH #MEMBERS
  const [state] = rowsOf(await tool('streams', '--describe', '--group', group, '--state', '--verbose'), group)
  return {
    state: state?.[2] ?? 'unknown',
    ...(orUndefined(state?.[3]) === undefined ? {} : {epoch: orUndefined(state?.[3])}),
    members: members
      .map((line) => {
        const [, memberId, , clientId] = line.trim().split(/\s+/)
        const active = /ACTIVE:\s*((?:\S+:\[[\d,\s]*\]\s*)*)/.exec(line)?.[1] ?? ''
        const partitions = [...active.matchAll(/\[([\d,\s]*)\]/g)].flatMap((m) =>
          m[1].split(',').filter((p) => p.trim() !== ''),
        )
        return {memberId, clientId, partitions: partitions.length}
      })
      .sort((a, b) => a.memberId.localeCompare(b.memberId)),
    partitions: offsets
      .map(([, , partition, committed, , end, lag]) => ({
        partition: Number(partition),
        committed: orUndefined(committed),
        end: Number(end),
        lag: orUndefined(lag),
      }))
      .sort((a, b) => a.partition - b.partition),
  }
}

function asStreamsView(row: LagRowJson): StreamsView {
  return {
    ...asView(row),
    partitions: row.partitions.map((p) => ({partition: p.partition, committed: p.committed, end: p.end, lag: p.lag})),
  }
}

describe('a streams group of a Kafka Streams app (group.protocol=streams) on a 6-partition topic', () => {
  it(
    "is listed and named as a streams group with kafka-streams-groups' state, epoch, members and committed/end/lag",
    async () => {
      const topic = await filledTopic()
      const app = newGroup('streams')
      jvm.send(`streams st-${app} ${app} ${topic}`)
      await jvm.waitFor(new RegExp(`^(running|failed|error) st-${app}`, 'm'), 120_000)
      expect(
        jvm.printed,
        'the broker refused the streams group: a harness Kafka started before the unstable.* settings of scripts/lib/kafka.mjs needs a restart (node scripts/brokers.mjs down kafka && node scripts/brokers.mjs up kafka)',
      ).not.toMatch(new RegExp(`^(failed|error) st-${app}`, 'm'))

      const caughtUp = (v: StreamsView) => v.partitions.length === PARTITIONS && v.partitions.every((p) => p.lag === 0)
      const running = await settled(
        () => streamsView(app),
        (v) => v.state === 'Stable' && v.members.length === 1 && v.members[0].partitions === PARTITIONS && caughtUp(v),
        app,
      )
      expect(asStreamsView(running.row)).toEqual(running.kafka)
      expect(running.row.group.type).toBe('streams')
      expect(running.row.group.protocol).toBeUndefined()
      expect(running.row).toMatchObject({target: topic, consumers: 1, lag: 0, status: 'OK'})
      expect(await checkRequireConsumers(app, topic)).toEqual({code: 0, consumers: 1, status: 'OK'})
      expect(await describedGroups(topic)).toEqual([{group: app, ...running.row.group}])

      jvm.send(`exit st-${app}`)
      await jvm.waitFor(new RegExp(`^exited st-${app}$`, 'm'), 60_000)
      const stopped = await settled(
        () => streamsView(app),
        (v) => v.state === 'Empty' && v.members.length === 0,
        app,
      )
      // kafka-streams-groups shows the offsets of assigned tasks only: an Empty group's committed offsets are the ones
      // it showed while the app ran (nothing was produced since).
      expect(stopped.kafka.partitions).toEqual([])
      expect(asStreamsView(stopped.row)).toEqual({...stopped.kafka, partitions: running.kafka.partitions})
      expect(stopped.row).toMatchObject({consumers: 0, lag: 0, status: 'OK', group: {type: 'streams', state: 'Empty'}})
    },
    SCENARIO_TIMEOUT,
  )
})
