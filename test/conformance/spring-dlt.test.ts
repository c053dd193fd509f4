// Spring Kafka 4 (spring-kafka 4.0.1, kafka-clients 4.1.1) dead-lettering real records through its
// DeadLetterPublishingRecoverer: a listener exception and a deserialization failure (ErrorHandlingDeserializer), into a
// DLT named the 3.x way (<topic>.DLT) and one named by Spring 4's default resolver (<topic>-dlt). mailroom's
// `dlq inspect` must show what the Java consumer reads there, its death record must name what Spring recorded, and
// `dlq replay` must put the records back where the same Spring listener, healed, consumes each of them once.
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Kafka, logLevel} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'
import {createTopics, expectSameRecords, inspect} from './dead-letters.js'
import {JavaProcess} from './java.js'
import {BOOTSTRAP, headerBytes, headerText, type KafkaRecord, kafkaRecords} from './kafka-truth.js'

const SLOW = 240_000
const LISTENER_WRAPPER = 'org.springframework.kafka.listener.ListenerExecutionFailedException'
const DESERIALIZATION = 'org.springframework.kafka.support.serializer.DeserializationException'
/** What SpringDlt.java's StrictUtf8 deserializer throws for bytes that are not UTF-8. */
const DESERIALIZER_THREW = {
  class: 'org.apache.kafka.common.errors.SerializationException',
  message: 'value is not UTF-8 text',
}
const NOT_UTF8 = Buffer.from([0xff, 0x00, 0xfe])

const group = uniqueName('spring-billing')
const dotTopic = uniqueName('spring-orders')
const dashTopic = uniqueName('spring-payments')
// The DLT of each topic: the 3.x name through a destination resolver, and Spring 4's default.
const dlts = [
  {topic: dotTopic, dlt: `${dotTopic}.DLT`},
  {topic: dashTopic, dlt: `${dashTopic}-dlt`},
]

/** What the test sends to each topic: a record the listener throws for, one that is not UTF-8 text, one that is fine. */
function records(topic: string) {
  return {
    listenerFailure: {key: `${topic}-throws`, partition: 2, value: Buffer.from(`fail: amount < 0 in ${topic}`)},
    notText: {key: `${topic}-binary`, partition: 1, value: NOT_UTF8},
    fine: {key: `${topic}-fine`, partition: 0, value: Buffer.from(`ok ${topic}`)},
  }
}

const admin = new Kafka({clientId: 'spring-dlt-conformance', brokers: [BOOTSTRAP], logLevel: logLevel.NOTHING}).admin()
let spring: JavaProcess
/** Each DLT as the Java consumer read it once Spring had dead-lettered the records. */
let deadLettered: Map<string, KafkaRecord[]>

/** Lines "consumed <topic> <partition> <offset> <key> <base64 value>" the Spring listener printed for a key. */
function consumed(key: string): Array<{topic: string; value: string}> {
  return [...spring.printed.matchAll(/^consumed (\S+) \d+ \d+ (\S+) (\S*)$/gm)]
    .filter((m) => m[2] === key)
    .map((m) => ({topic: m[1], value: m[3]}))
}

beforeAll(async () => {
  await admin.connect()
  const topics = dlts.flatMap(({topic, dlt}) => [topic, dlt])
  await createTopics(admin, topics, 3)
  spring = new JavaProcess('SpringDlt', [BOOTSTRAP, group, dotTopic, dashTopic])
  for (const {topic} of dlts) await spring.waitFor(new RegExp(`^assigned ${topic}$`, 'm'), 120_000)
  for (const {topic} of dlts) {
    for (const r of Object.values(records(topic)))
      spring.send(`send ${topic} ${r.partition} ${r.key} ${r.value.toString('base64')}`)
  }
  await waitFor(() => (spring.printed.match(/^dead-lettered /gm)?.length ?? 0) >= 4, {timeoutMs: 120_000})
  deadLettered = await kafkaRecords(...dlts.map(({dlt}) => dlt))
}, 240_000)

afterAll(async () => {
  spring?.send('exit')
  await spring?.stop(20_000)
  await admin.deleteTopics({topics: dlts.flatMap(({topic, dlt}) => [topic, dlt])}).catch(() => {})
  await admin.disconnect()
})

describe('Spring Kafka 4 dead-letter topics', () => {
  it('names the DLT <topic>-dlt by default (Spring 4) and <topic>.DLT through a resolver (3.x)', () => {
    for (const {dlt} of dlts) expect(deadLettered.get(dlt)).toHaveLength(2)
  })

  it.each(dlts)(
    'dlq inspect of $dlt equals the raw records and names what Spring recorded',
    async ({topic, dlt}) => {
      const raw = deadLettered.get(dlt)!
      const {messages} = await inspect(dlt)
      expectSameRecords(messages, raw)
      const sent = records(topic)
      const thrown = spring.printed.match(new RegExp(`^failing ${sent.listenerFailure.key} ([\\w.$]+): (.*)$`, 'm'))
      expect(thrown).not.toBeNull()
      for (const [i, record] of raw.entries()) {
        const death = messages[i].death
        // Spring's original-partition is a 4-byte and original-offset an 8-byte big-endian integer.
        expect(death?.origin).toEqual({
          broker: 'kafka',
          target: headerText(record, 'kafka_dlt-original-topic'),
          partition: headerBytes(record, 'kafka_dlt-original-partition')!.readInt32BE(0),
          offset: headerBytes(record, 'kafka_dlt-original-offset')!.readBigInt64BE(0).toString(),
          consumer: group,
        })
        expect(death?.origin?.target).toBe(topic)
        expect(death?.firstTime).toBe(
          new Date(Number(headerBytes(record, 'kafka_dlt-original-timestamp')!.readBigInt64BE(0))).toISOString(),
        )
      }
      const [byDeserialization, byListener] = [messages[0], messages[1]]
      expect(byListener.key).toBe(sent.listenerFailure.key)
      expect(headerText(raw[1], 'kafka_dlt-exception-fqcn')).toBe(LISTENER_WRAPPER)
      expect(byListener.death?.error).toEqual({
        class: thrown![1],
        message: thrown![2],
        wrapper: {class: LISTENER_WRAPPER, message: 'Listener failed'},
      })
      expect(headerText(raw[1], 'kafka_dlt-exception-message')).toBe(`Listener failed; ${thrown![2]}`)
      expect(byDeserialization.key).toBe(sent.notText.key)
      expect(byDeserialization.body).toEqual({base64: NOT_UTF8.toString('base64')})
      // Spring names the DeserializationException as its own cause; what SpringDlt's deserializer threw is in the trace.
      expect(headerText(raw[0], 'kafka_dlt-exception-cause-fqcn')).toBe(DESERIALIZATION)
      expect(headerText(raw[0], 'kafka_dlt-exception-stacktrace')).toContain(
        `Caused by: ${DESERIALIZER_THREW.class}: ${DESERIALIZER_THREW.message}\n`,
      )
      expect(byDeserialization.death?.error).toEqual({
        ...DESERIALIZER_THREW,
        wrapper: {class: DESERIALIZATION, message: headerText(raw[0], 'kafka_dlt-exception-message')},
      })
      expect(byListener.death?.error?.class).toBe(headerText(raw[1], 'kafka_dlt-exception-cause-fqcn'))
      const table = await runCli(['dlq', 'inspect', `kafka:${dlt}`], {timeoutMs: 90_000})
      expect(table.stdout).toContain(`${thrown![1]}: ${thrown![2]}`)
      expect(table.stdout).toContain(`kafka:${topic}/${sent.listenerFailure.partition}/0`)
    },
    SLOW,
  )

  it(
    '--filter on the exception class selects the records that failed with it (README example)',
    async () => {
      const {dlt, topic} = dlts[1]
      const byClass = await inspect(dlt, 'death.error.class == "java.lang.IllegalStateException"')
      expect(byClass.messages.map((m) => m.key)).toEqual([records(topic).listenerFailure.key])
      const byWrapper = await inspect(dlt, `death.error.wrapper.class == "${LISTENER_WRAPPER}"`)
      expect(byWrapper.messages.map((m) => m.key)).toEqual([records(topic).listenerFailure.key])
      const byDeserialization = await inspect(
        dlt,
        `death.error.wrapper.class == "${DESERIALIZATION}" and death.origin.partition == 1`,
      )
      expect(byDeserialization.messages.map((m) => m.key)).toEqual([records(topic).notText.key])
    },
    SLOW,
  )

  it(
    'dlq replay puts the records back, and the healed Spring listener consumes each of them once',
    async () => {
      spring.send('heal')
      await spring.waitFor(/^healed$/m)
      const state = mkdtempSync(join(tmpdir(), 'mailroom-spring-replay-'))
      const env = {XDG_STATE_HOME: state, MAILROOM_AUDIT_LOG: join(state, 'audit.log')}
      for (const {topic, dlt} of dlts) {
        const replay = await runCli(['dlq', 'replay', `kafka:${dlt}`, '--yes', '--json'], {env, timeoutMs: 120_000})
        expect(replay.code, replay.stderr).toBe(0)
        expect(jsonOf(replay).result).toMatchObject({
          counts: {replayed: 2, failed: 0},
          byDestination: {[`kafka:${topic}`]: 2},
        })
      }
      const expected = dlts.flatMap(({topic}) => {
        const sent = records(topic)
        return [sent.listenerFailure, sent.notText].map((r) => ({key: r.key, topic, value: r.value.toString('base64')}))
      })
      for (const {key} of expected) await waitFor(() => consumed(key).length > 0, {timeoutMs: 120_000})
      for (const {key, topic, value} of expected) expect(consumed(key)).toEqual([{topic, value}])
      const afterwards = await kafkaRecords(...dlts.map(({dlt}) => dlt))
      for (const {dlt} of dlts) expect(afterwards.get(dlt)).toEqual(deadLettered.get(dlt))
    },
    SLOW,
  )
})
