// Dead letters for the replay tests, made by the brokers themselves where simple (RabbitMQ: rejected into a DLX),
// else written with the raw drivers (Kafka DLT records with Spring headers, a JetStream DLQ stream), and ways to
// list the ids a queue / topic / stream holds without disturbing it.
import {execFile, spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import amqp from 'amqplib'
import kafkajs from 'kafkajs'
import {connect as natsConnect, headers as natsHeaders} from 'nats'

import {createAdapter} from '../../src/adapters/registry.js'
import type {BrokerAdapter} from '../../src/adapters/types.js'
import type {BrokerKind} from '../../src/model/broker.js'
import {headerValueToText} from '../../src/model/envelope/header-values.js'
import type {Envelope} from '../../src/model/envelope/types.js'
import {BIN, type CliResult} from '../helpers/cli.js'
import {localSettings, waitFor} from '../helpers/brokers.js'

const {Kafka, logLevel} = kafkajs
const execFileAsync = promisify(execFile)
const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672'

export function idOf(e: Envelope): string {
  const h = e.headers.find(([name]) => name === 'id')
  return h ? headerValueToText(h[1]) : `?${JSON.stringify(e.body)}`
}

export async function adapter(kind: BrokerKind, settings = localSettings()): Promise<BrokerAdapter> {
  const a = await createAdapter(kind, settings)
  await a.connect()
  return a
}

// ---------------------------------------------------------------------------------------------------------------
// RabbitMQ

/** A work queue dead-lettering into `dlq` through the default exchange; n messages rejected into it. */
export async function rabbitDeadLetters(
  work: string,
  dlq: string,
  n: number,
  o: {dlqType?: 'classic' | 'quorum'} = {},
): Promise<string[]> {
  const c = await amqp.connect(AMQP_URL)
  try {
    const ch = await c.createConfirmChannel()
    await ch.assertQueue(dlq, {durable: true, arguments: o.dlqType === 'quorum' ? {'x-queue-type': 'quorum'} : {}})
    await ch.assertQueue(work, {
      durable: true,
      arguments: {'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq},
    })
    const ids = Array.from({length: n}, (_, i) => `${work}-${i}`)
    for (const id of ids)
      ch.sendToQueue(work, Buffer.from(JSON.stringify({id})), {messageId: id, persistent: true, headers: {id}})
    await ch.waitForConfirms()
    await ch.prefetch(500)
    let rejected = 0
    await new Promise<void>((resolve) => {
      void ch.consume(work, (m) => {
        if (!m) return
        ch.reject(m, false)
        if (++rejected === n) resolve()
      })
    })
    await waitFor(async () => (await ch.checkQueue(dlq)).messageCount === n, {timeoutMs: 20_000})
    return ids
  } finally {
    await c.close()
  }
}

export async function rabbitQueue(name: string): Promise<void> {
  const c = await amqp.connect(AMQP_URL)
  try {
    await (await c.createChannel()).assertQueue(name, {durable: true})
  } finally {
    await c.close()
  }
}

/**
 * Waits until `queue` holds no message in limbo after a kill: none of `connections` (the client ports of the killed
 * CLI) still open by rabbitmqctl, then no consumer. A consumer count of 0 read right after the kill proves little:
 * the kill often lands before the broker has processed the CLI's basic.consume (the frame is in its socket buffer),
 * and a consumer registered late takes what is still ready while the DLQ is being counted, holding it unacknowledged
 * until the broker has noticed the closed connection and requeued it: in neither queue meanwhile. rabbitmqctl asks
 * the broker's processes themselves (the management API's figures are a statistics interval old). Returns how many
 * of its looks still found the killed connection open.
 */
export async function rabbitSettled(queue: string, connections: number[]): Promise<number> {
  // No connection left open (the client exited by itself, closing them): its consumer was live until then, and a
  // classic queue drops a closed channel's consumer and requeues its unacked messages in one step.
  if (connections.length === 0) return rabbitConsumersGone(queue).then(() => 0)
  let unsettled = 0
  await waitFor(
    async () => {
      const open = new Set((await rabbitmqctl(['list_connections', 'peer_port'])).map(Number))
      const gone = connections.every((port) => !open.has(port))
      if (!gone) unsettled++
      return gone
    },
    {timeoutMs: 60_000, intervalMs: 100},
  )
  // Gone: no frame of it can register a consumer any more, and one it had was dropped with its unacked messages
  // requeued in the same step of the queue process (classic queues), which 0 consumers then says.
  await rabbitConsumersGone(queue)
  return unsettled
}

async function rabbitmqctl(args: string[]): Promise<string[]> {
  const {stdout} = await execFileAsync(
    'rabbitmqctl',
    [...args.slice(0, 1), '-q', '--no-table-headers', ...args.slice(1)],
    {encoding: 'utf8'},
  )
  return stdout.split('\n').filter((line) => line !== '')
}

/** The local ports of a process's TCP connections to `remotePort` (Linux /proc), read while it is alive. */
export function tcpClientPorts(pid: number, remotePort: number): number[] {
  const inodes = new Set(fdLinks(pid).flatMap((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1] ?? []))
  const ports: number[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/)
      if (f.length < 10 || !inodes.has(f[9]!)) continue
      if (parseInt(f[2]!.split(':')[1]!, 16) === remotePort) ports.push(parseInt(f[1]!.split(':')[1]!, 16))
    }
  }
  return ports
}

/** Where a process's descriptors point; none once it has exited. */
function fdLinks(pid: number): string[] {
  const links: string[] = []
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        links.push(readlinkSync(`/proc/${pid}/fd/${fd}`))
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // exited
  }
  return links
}

/** Waits until no consumer holds `queue` (after a kill, see rabbitSettled for what this does not prove). */
export async function rabbitConsumersGone(queue: string): Promise<void> {
  const c = await amqp.connect(AMQP_URL)
  try {
    const ch = await c.createChannel()
    await waitFor(async () => (await ch.checkQueue(queue)).consumerCount === 0, {timeoutMs: 30_000, intervalMs: 20})
  } finally {
    await c.close()
  }
}

/** Channels a queue is read through at once: one basic.get is a round trip, and a DLQ holds up to 4,000 here. */
const GET_CHANNELS = 8

/**
 * Every message a queue holds, as amqplib gets it, left in place: basic.get without ack until the queue answers
 * empty, on GET_CHANNELS channels at once (each message is handed to one of them, and held unacknowledged there until
 * the end), then the channels close (everything requeued). In no particular order.
 */
async function rabbitHeld(queue: string): Promise<amqp.GetMessage[]> {
  const c = await amqp.connect(AMQP_URL)
  try {
    const channels = await Promise.all(Array.from({length: GET_CHANNELS}, () => c.createChannel()))
    const held: amqp.GetMessage[] = []
    await Promise.all(
      channels.map(async (ch) => {
        for (let m = await ch.get(queue, {noAck: false}); m; m = await ch.get(queue, {noAck: false})) held.push(m)
      }),
    )
    await Promise.all(channels.map((ch) => ch.close()))
    return held
  } finally {
    await c.close()
  }
}

/** The ids a queue holds (id header, else message id), left in place (see rabbitHeld). */
export async function rabbitIds(queue: string): Promise<string[]> {
  return (await rabbitHeld(queue)).map((m) => String(m.properties.headers?.id ?? m.properties.messageId))
}

/** Every message a queue holds as an envelope (headers as name/value pairs, message id, body), left in place. */
export async function rabbitEnvelopes(queue: string): Promise<Envelope[]> {
  return (await rabbitHeld(queue)).map((m) => {
    const {headers = {}, messageId} = m.properties
    return {
      headers: Object.entries(headers).map(([name, value]) => [
        name,
        Buffer.isBuffer(value) ? value.toString() : value,
      ]),
      properties: {messageId},
      body: {utf8: m.content.toString('utf8')},
    } as Envelope
  })
}

export async function rabbitDelete(...queues: string[]): Promise<void> {
  const c = await amqp.connect(AMQP_URL)
  try {
    const ch = await c.createChannel()
    for (const q of queues) await ch.deleteQueue(q).catch(() => undefined)
  } finally {
    await c.close().catch(() => undefined)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Kafka

function kafkaClient() {
  return new Kafka({brokers: ['127.0.0.1:9092'], logLevel: logLevel.NOTHING})
}

/**
 * Creates the topics and waits until the broker names a leader for every partition. Not kafkajs's waitForLeaders: its
 * few metadata retries ran out on a loaded machine (load 10-25) while the new topics were still unknown to the broker
 * ("This server does not host this topic-partition"), failing the replay-kill Kafka trials before their first kill.
 */
export async function kafkaTopics(topics: {topic: string; partitions: number}[]): Promise<void> {
  const admin = kafkaClient().admin()
  await admin.connect()
  try {
    await admin.createTopics({topics: topics.map((t) => ({topic: t.topic, numPartitions: t.partitions}))})
    await waitFor(
      async () => {
        const metadata = await admin.fetchTopicMetadata({topics: topics.map((t) => t.topic)})
        return topics.every((t) => {
          const partitions = metadata.topics.find((m) => m.name === t.topic)?.partitions ?? []
          return partitions.length === t.partitions && partitions.every((p) => p.leader >= 0)
        })
      },
      {timeoutMs: 60_000, intervalMs: 200},
    )
  } finally {
    await admin.disconnect()
  }
}

export async function kafkaDelete(...topics: string[]): Promise<void> {
  const admin = kafkaClient().admin()
  await admin.connect()
  try {
    await admin.deleteTopics({topics}).catch(() => undefined)
  } finally {
    await admin.disconnect()
  }
}

/** n Spring-style DLT records (binary big-endian partition/offset headers) pointing at `origin`. */
export async function kafkaDeadLetters(origin: string, dlt: string, n: number): Promise<string[]> {
  // Idempotent: a resent request (kafkajs resends all of it when one partition failed) is not stored twice.
  const producer = kafkaClient().producer({idempotent: true, maxInFlightRequests: 1})
  await producer.connect()
  const int = (v: number) => Buffer.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255])
  const long = (v: number) => {
    const b = Buffer.alloc(8)
    b.writeBigInt64BE(BigInt(v))
    return b
  }
  const ids = Array.from({length: n}, (_, i) => `${dlt}-${i}`)
  try {
    for (let i = 0; i < n; i += 500) {
      await producer.send({
        topic: dlt,
        acks: -1,
        messages: ids.slice(i, i + 500).map((id, j) => ({
          key: `key-${(i + j) % 13}`,
          value: JSON.stringify({id}),
          headers: {
            id,
            'kafka_dlt-original-topic': origin,
            'kafka_dlt-original-partition': int((i + j) % 2),
            'kafka_dlt-original-offset': long(i + j),
            'kafka_dlt-exception-fqcn': 'java.lang.IllegalStateException',
            'kafka_dlt-exception-message': 'boom',
          },
        })),
      })
    }
  } finally {
    await producer.disconnect()
  }
  return ids
}

/**
 * Every record of a topic up to its end offsets now, read with kafkajs (never mailroom's reader), as envelopes with
 * UTF-8 headers and body. Kept by partition and offset, so a record its consumer is handed twice counts once.
 */
export async function kafkaEnvelopes(topic: string): Promise<Envelope[]> {
  const kafka = kafkaClient()
  const admin = kafka.admin()
  await admin.connect()
  const groupId = `test-read-${topic}-${Date.now()}`
  const consumer = kafka.consumer({groupId})
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]))
    const next = new Map<number, bigint>()
    const pending = () => [...ends].filter(([p, end]) => (next.get(p) ?? 0n) < end).length
    const records = new Map<string, Envelope>()
    if (pending() === 0) return []
    await consumer.connect()
    await consumer.subscribe({topics: [topic], fromBeginning: true})
    await consumer.run({
      eachMessage: async ({partition, message}) => {
        const offset = BigInt(message.offset)
        if (offset >= (ends.get(partition) ?? 0n)) return
        next.set(partition, offset + 1n)
        const headers = Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)] as [string, string])
        const body = {utf8: message.value?.toString('utf8') ?? ''}
        records.set(`${partition}:${offset}`, {headers, body, meta: {partition, offset: message.offset}} as Envelope)
      },
    })
    await waitFor(() => pending() === 0, {timeoutMs: 60_000, intervalMs: 20})
    return [...records.values()]
  } finally {
    await consumer.disconnect().catch(() => undefined)
    await admin.deleteGroups([groupId]).catch(() => undefined)
    await admin.disconnect()
  }
}

/** What the replay group has not yet passed: DLT records at or after its committed offsets. */
export async function kafkaUncommittedIds(dlt: string, all: Envelope[]): Promise<string[]> {
  const admin = kafkaClient().admin()
  await admin.connect()
  try {
    const [offsets] = await admin.fetchOffsets({groupId: `mailroom-replay.${dlt}`, topics: [dlt]})
    // A partition the group never committed on answers -1: nothing of it is passed.
    const committed = new Map(
      (offsets?.partitions ?? []).filter((p) => BigInt(p.offset) >= 0n).map((p) => [p.partition, p.offset]),
    )
    return all.filter((e) => BigInt(e.meta!.offset!) >= BigInt(committed.get(e.meta!.partition!) ?? '0')).map(idOf)
  } finally {
    await admin.disconnect()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// NATS

export async function natsDeadLetters(
  stream: string,
  subject: string,
  n: number,
  url = 'nats://127.0.0.1:4222',
): Promise<string[]> {
  const nc = await natsConnect({servers: url})
  try {
    const jsm = await nc.jetstreamManager()
    await jsm.streams.add({name: stream, subjects: [subject]})
    const js = nc.jetstream()
    const ids = Array.from({length: n}, (_, i) => `${stream}-${i}`)
    for (let i = 0; i < n; i += 200) {
      await Promise.all(
        ids.slice(i, i + 200).map((id) => {
          const h = natsHeaders()
          h.set('id', id)
          return js.publish(subject, Buffer.from(JSON.stringify({id})), {headers: h})
        }),
      )
    }
    return ids
  } finally {
    await nc.close()
  }
}

export async function natsStream(stream: string, subject: string, url = 'nats://127.0.0.1:4222'): Promise<void> {
  const nc = await natsConnect({servers: url})
  try {
    await (await nc.jetstreamManager()).streams.add({name: stream, subjects: [subject]})
  } finally {
    await nc.close()
  }
}

/** A message a stream holds, as nats.js reads it by sequence from the server. */
export interface StoredNatsMessage {
  seq: number
  subject: string
  /** Header value by name ('' when absent). */
  header(name: string): string
  text: string
}

/** Every message the stream holds, in sequence order, asked of the server with nats.js (never mailroom's reader). */
export async function natsMessages(
  stream: string,
  servers: string | string[] = 'nats://127.0.0.1:4222',
): Promise<StoredNatsMessage[]> {
  const nc = await natsConnect({servers})
  try {
    const jsm = await nc.jetstreamManager()
    const {state} = await jsm.streams.info(stream)
    const out: StoredNatsMessage[] = []
    for (let from = state.first_seq; from <= state.last_seq && state.messages > 0; from += 100) {
      const seqs = Array.from({length: Math.min(100, state.last_seq - from + 1)}, (_, i) => from + i)
      // A deleted sequence answers "no message found": it holds nothing.
      const got = await Promise.all(seqs.map((seq) => jsm.streams.getMessage(stream, {seq}).catch(() => undefined)))
      for (const m of got) {
        if (!m) continue
        const text = new TextDecoder().decode(m.data)
        out.push({seq: m.seq, subject: m.subject, header: (name) => m.header?.get(name) ?? '', text})
      }
    }
    return out
  } finally {
    await nc.close()
  }
}

/** The id header of every message the stream holds, in sequence order (see natsMessages). */
export async function natsIds(stream: string, servers: string | string[] = 'nats://127.0.0.1:4222'): Promise<string[]> {
  return (await natsMessages(stream, servers)).map((m) => m.header('id') || `?${m.text}`)
}

export async function natsDelete(...streams: string[]): Promise<void> {
  const nc = await natsConnect({servers: 'nats://127.0.0.1:4222'})
  try {
    const jsm = await nc.jetstreamManager()
    for (const s of streams) await jsm.streams.delete(s).catch(() => undefined)
  } finally {
    await nc.close()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Running and killing the CLI

export const CLI = process.env.MAILROOM_BIN ?? BIN

export function stateHome(): string {
  return mkdtempSync(join(tmpdir(), 'mailroom-state-'))
}

export function journalIds(state: string): string[] {
  try {
    return readdirSync(join(state, 'mailroom', 'replays'))
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => f.slice(0, -6))
  } catch {
    return []
  }
}

/** A replay's journal, as written so far. */
export function journalText(state: string, replayId: string): string {
  return readFileSync(join(state, 'mailroom', 'replays', `${replayId}.jsonl`), 'utf8')
}

/** Confirmed ids recorded in a journal so far. */
export function journaledCount(state: string, replayId: string): number {
  try {
    const text = journalText(state, replayId)
    return [...text.matchAll(/"t":"ok","ids":\[([^\]]*)\]/g)].reduce(
      (n, m) => n + (m[1] ? m[1].split('","').length : 0),
      0,
    )
  } catch {
    return 0
  }
}

/** True when the journal records the run's end (a kill can land after that, while the process exits). */
export function journalEnded(state: string, replayId: string): boolean {
  try {
    return journalText(state, replayId).includes('"t":"end"')
  } catch {
    return false
  }
}

export interface Spawned {
  pid: number
  done: Promise<CliResult>
  kill(): void
  /** What it printed on stdout so far. */
  stdoutSoFar(): string
  /** What it printed on stderr so far. */
  stderrSoFar(): string
  exited(): boolean
}

/** Starts the built CLI with its own state directory (journals, audit log) and config directory. */
export function startCli(args: string[], state: string, env: Record<string, string> = {}): Spawned {
  const started = Date.now()
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {...process.env, NO_COLOR: '1', XDG_STATE_HOME: state, XDG_CONFIG_HOME: join(state, 'config'), ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<CliResult>((resolve) => {
    child.on('exit', (code, signal) =>
      resolve({code: code ?? (signal === 'SIGKILL' ? 137 : -1), stdout, stderr, ms: Date.now() - started}),
    )
  })
  let exited = false
  void done.then(() => (exited = true))
  return {
    pid: child.pid!,
    done,
    kill: () => child.kill('SIGKILL'),
    stdoutSoFar: () => stdout,
    stderrSoFar: () => stderr,
    exited: () => exited,
  }
}

/** Kills the run (-9) once ready() holds, or lets it be if it has exited by then; resolves to how it ended. */
export async function killWhen(run: Spawned, ready: () => boolean, {timeoutMs = 120_000} = {}): Promise<CliResult> {
  await waitFor(() => run.exited() || ready(), {timeoutMs, intervalMs: 5})
  run.kill()
  return run.done
}

export function runCliWithState(args: string[], state: string, env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, state, env).done
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The ids found in none of the places: lost. */
export function missing(ids: string[], ...places: string[][]): string[] {
  const seen = new Set(places.flat())
  return ids.filter((id) => !seen.has(id))
}

export function duplicates(ids: string[]): number {
  return ids.length - new Set(ids).size
}
