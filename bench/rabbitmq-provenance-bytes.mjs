// What provenance headers cost a RabbitMQ move (not a test): the same bare amqplib safe move (prefetch = window,
// publish with confirms, one multiple-ack per event-loop turn of confirms) of N persistent 128-byte messages, with no
// headers, with the five provenance headers mailroom stamped before (235 bytes: replay id, message id, time, origin,
// count), with the same bytes in one header, and with the three it stamps now (replay id, message id, count). Prints
// the time and the broker's CPU per message of each, medians of RUNS interleaved runs. It showed that the broker's
// cost follows the bytes, not the number of headers, hence three headers instead of five (src/core/replay/headers.ts).
//
//   node bench/rabbitmq-provenance-bytes.mjs            # N=30000, RUNS=5
//   N=10000 RUNS=3 node bench/rabbitmq-provenance-bytes.mjs
import {readdirSync} from 'node:fs'
import {loadavg} from 'node:os'

import amqp from 'amqplib'

import {procStat} from './proc-stat.mjs'

const N = Number(process.env.N ?? 30_000)
const RUNS = Number(process.env.RUNS ?? 5)
const WINDOW = 1000
const URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1'
const SOURCE = 'bench.provenance.src'
const FROM = `rabbitmq:${SOURCE}`
const REPLAY_ID = '20261207T162719-3f9a1c'

const messageId = (i) => `${FROM}/${String(i).padStart(24, '0')}`
const STAMPS = {
  'no headers': () => undefined,
  'five headers (before)': (i) => ({
    'mailroom-replay-id': REPLAY_ID,
    'mailroom-replay-msg-id': messageId(i),
    'mailroom-replayed-at': new Date().toISOString(),
    'mailroom-replayed-from': FROM,
    'mailroom-replay-count': '1',
  }),
  'the same bytes, one header': (i) => ({
    'mailroom-replay': `${REPLAY_ID} ${messageId(i)} ${new Date().toISOString()} ${FROM} 1`,
  }),
  'three headers (now)': (i) => ({
    'mailroom-replay-id': REPLAY_ID,
    'mailroom-replay-msg-id': messageId(i),
    'mailroom-replay-count': '1',
  }),
}

function brokerCpuMs() {
  let total = 0
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const {name, cpuMs} = procStat(pid)
      if (name === 'beam.smp') total += cpuMs
    } catch {}
  }
  return total
}

async function fill(channel) {
  for (const queue of [SOURCE, `${SOURCE}.dst`]) {
    await channel.deleteQueue(queue)
    await channel.assertQueue(queue, {durable: true})
  }
  const body = Buffer.alloc(128, 'x')
  for (let i = 0; i < N; i++) {
    if (!channel.sendToQueue(SOURCE, body, {persistent: true, messageId: `m${i}`}))
      await new Promise((resolve) => channel.once('drain', resolve))
    if (i % 1000 === 999) await channel.waitForConfirms()
  }
  await channel.waitForConfirms()
}

async function move(stamp) {
  const connection = await amqp.connect(URL)
  const filler = await connection.createConfirmChannel()
  await fill(filler)
  await filler.close()
  const [brokerBefore, started] = [brokerCpuMs(), performance.now()]
  const source = await connection.createChannel()
  await source.prefetch(WINDOW)
  const publisher = await connection.createConfirmChannel()
  let confirmed = 0
  let read = 0
  await new Promise((resolve, reject) => {
    let settled = []
    let scheduled = false
    const ackRound = () => {
      scheduled = false
      const last = settled.at(-1)
      settled = []
      if (last) source.ack(last, true)
    }
    void source.consume(SOURCE, (m) => {
      const headers = stamp(read++)
      const properties = {...m.properties, headers: {...m.properties.headers, ...headers}, mandatory: true}
      publisher.publish('', `${SOURCE}.dst`, m.content, properties, (error) => {
        if (error) return reject(error)
        settled.push(m)
        if (!scheduled) {
          scheduled = true
          setImmediate(ackRound)
        }
        if (++confirmed === N) setImmediate(resolve)
      })
    })
  })
  const result = {ms: performance.now() - started, brokerCpuMs: brokerCpuMs() - brokerBefore}
  await connection.close()
  return result
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const results = Object.fromEntries(Object.keys(STAMPS).map((name) => [name, []]))
for (let run = 0; run < RUNS; run++)
  for (const [name, stamp] of Object.entries(STAMPS)) results[name].push(await move(stamp))

const cleanup = await amqp.connect(URL)
const channel = await cleanup.createChannel()
for (const queue of [SOURCE, `${SOURCE}.dst`]) await channel.deleteQueue(queue)
await cleanup.close()

console.log(
  `rabbitmq provenance bytes: ${N} x 128 B per run, median of ${RUNS} (load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')})`,
)
const none = median(results['no headers'].map((r) => r.ms))
for (const [name, runs] of Object.entries(results)) {
  const ms = median(runs.map((r) => r.ms))
  const broker = (median(runs.map((r) => r.brokerCpuMs)) * 1000) / N
  console.log(
    `${name.padEnd(28)} ${ms.toFixed(0).padStart(7)} ms  x${(ms / none).toFixed(2)} the time without  broker ${broker.toFixed(0)} µs/msg`,
  )
}
