// Kafka Connect 4.1.1 standalone (connect-runtime, connect-file, connect-json, connect-transforms: the broker's
// version) dead-lettering real records: two FileStreamSink connectors with errors.tolerance=all and the DLQ context
// headers on, one failing in its converter (JsonConverter fed bytes that are not JSON), one in a transform
// (ExtractField on a value that is not a map). mailroom's `dlq inspect` must show what the Java consumer reads in
// the DLQ topics, and its death record must name the failing stage, the converter or transform class, and the origin.
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {runCli} from '../helpers/cli.js'
import {createTopics, expectSameRecords, inspect} from './dead-letters.js'
import {JavaProcess} from './java.js'
import {BOOTSTRAP, headerText, type KafkaRecord, kafkaRecords} from './kafka-truth.js'

const SLOW = 240_000
const dir = mkdtempSync(join(tmpdir(), 'mailroom-connect-'))

interface Scenario {
  name: string
  topic: string
  dlq: string
  sinkFile: string
  /** Connector settings beyond the sink and its error handling. */
  settings: Record<string, string>
  failing: {key: string; value: string}
  fine: {key: string; value: string; written: string}
  stage: string
  failedIn: string
}

function scenario(name: string, o: Pick<Scenario, 'settings' | 'failing' | 'fine' | 'stage' | 'failedIn'>): Scenario {
  const topic = uniqueName(`connect-${name}`)
  return {name: `${topic}-sink`, topic, dlq: `${topic}-dlq`, sinkFile: join(dir, `${name}.txt`), ...o}
}

const scenarios = [
  scenario('converter', {
    settings: {},
    failing: {key: 'not-json', value: 'amount: 12 {'},
    fine: {key: 'json', value: '{"id": 1}', written: '{id=1}'},
    stage: 'VALUE_CONVERTER',
    failedIn: 'org.apache.kafka.connect.json.JsonConverter',
  }),
  scenario('transform', {
    settings: {
      transforms: 'pick',
      'transforms.pick.type': 'org.apache.kafka.connect.transforms.ExtractField$Value',
      'transforms.pick.field': 'id',
    },
    failing: {key: 'not-a-map', value: '"hello"'},
    fine: {key: 'map', value: '{"id": 7}', written: '7'},
    stage: 'TRANSFORMATION',
    failedIn: 'org.apache.kafka.connect.transforms.ExtractField$Value',
  }),
]

function writeProperties(file: string, settings: Record<string, string>): string {
  writeFileSync(
    join(dir, file),
    Object.entries(settings)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  )
  return join(dir, file)
}

const kafka = new Kafka({clientId: 'connect-dlq-conformance', brokers: [BOOTSTRAP], logLevel: logLevel.NOTHING})
const admin = kafka.admin()
let connect: JavaProcess
/** Each DLQ topic as the Java consumer read it once Connect had reported the failing record. */
let deadLettered: Map<string, KafkaRecord[]>

beforeAll(async () => {
  await admin.connect()
  await createTopics(
    admin,
    scenarios.map(({topic}) => topic),
    3,
  )
  const producer = kafka.producer()
  await producer.connect()
  for (const s of scenarios) {
    // The failing record first, so once the fine one is written the failing one has been through error handling.
    // Retried while the new topic's partitions are still unknown to the broker that kafkajs asks (a loaded machine).
    const messages = [s.failing, s.fine].map(({key, value}) => ({key, value, partition: 2}))
    await waitFor(() => producer.send({topic: s.topic, messages}).then(() => true), {
      timeoutMs: 60_000,
      intervalMs: 1000,
    })
  }
  await producer.disconnect()
  const worker = writeProperties('worker.properties', {
    'bootstrap.servers': BOOTSTRAP,
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    'offset.storage.file.filename': join(dir, 'offsets'),
    listeners: 'http://127.0.0.1:0',
    'plugin.discovery': 'service_load',
  })
  const connectors = scenarios.map((s) =>
    writeProperties(`${s.name}.properties`, {
      name: s.name,
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
      'tasks.max': '1',
      topics: s.topic,
      file: s.sinkFile,
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': s.dlq,
      'errors.deadletterqueue.topic.replication.factor': '1',
      'errors.deadletterqueue.context.headers.enable': 'true',
      ...s.settings,
    }),
  )
  connect = new JavaProcess('ConnectWorker', [worker, ...connectors])
  for (const s of scenarios)
    await waitFor(() => sinkLines(s).includes(s.fine.written), {timeoutMs: 180_000, intervalMs: 500})
  deadLettered = await waitFor(
    async () => {
      const raw = await kafkaRecords(...scenarios.map(({dlq}) => dlq))
      return scenarios.every(({dlq}) => raw.get(dlq)?.length === 1) ? raw : undefined
    },
    {timeoutMs: 120_000},
  )
}, 360_000)

afterAll(async () => {
  await connect?.stop(20_000)
  await admin.deleteTopics({topics: scenarios.flatMap(({topic, dlq}) => [topic, dlq])}).catch(() => {})
  await admin.disconnect()
})

function sinkLines(s: Scenario): string[] {
  try {
    return readFileSync(s.sinkFile, 'utf8').split('\n')
  } catch {
    return []
  }
}

describe('Kafka Connect dead-letter queues', () => {
  it.each(scenarios)(
    'dlq inspect of the $stage DLQ equals the raw record and names the stage and the class that failed',
    async (s) => {
      const raw = deadLettered.get(s.dlq)!
      const {messages} = await inspect(s.dlq)
      expectSameRecords(messages, raw)
      const [record] = raw
      expect(messages[0].key).toBe(s.failing.key)
      expect(headerText(record, '__connect.errors.stage')).toBe(s.stage)
      expect(headerText(record, '__connect.errors.class.name')).toBe(s.failedIn)
      expect(messages[0].death).toEqual({
        source: 'kafka-connect',
        reason: s.stage,
        lastTime: messages[0].timestamp,
        origin: {
          broker: 'kafka',
          target: s.topic,
          partition: Number(headerText(record, '__connect.errors.partition')),
          offset: headerText(record, '__connect.errors.offset'),
          consumer: s.name,
        },
        error: {
          class: headerText(record, '__connect.errors.exception.class.name'),
          message: headerText(record, '__connect.errors.exception.message'),
          component: s.failedIn,
        },
      })
      expect(messages[0].death?.origin).toMatchObject({partition: 2, offset: '0'})
      const table = await runCli(['dlq', 'inspect', `kafka:${s.dlq}`], {timeoutMs: 90_000})
      expect(table.stdout).toContain(`in ${s.failedIn}: ${headerText(record, '__connect.errors.exception.class.name')}`)
      expect(table.stdout).toContain(`kafka:${s.topic}/2/0`)
    },
    SLOW,
  )

  it(
    '--filter on the failing stage and class selects the record',
    async () => {
      const [converter, transform] = scenarios
      const byClass = await inspect(converter.dlq, `death.error.component == "${converter.failedIn}"`)
      expect(byClass.messages.map((m) => m.key)).toEqual([converter.failing.key])
      const byStage = await inspect(transform.dlq, 'death.reason == "TRANSFORMATION" and death.origin.partition == 2')
      expect(byStage.messages.map((m) => m.key)).toEqual([transform.failing.key])
      const neither = await inspect(transform.dlq, `death.error.component == "${converter.failedIn}"`)
      expect(neither).toMatchObject({read: 1, matched: 0})
    },
    SLOW,
  )
})
