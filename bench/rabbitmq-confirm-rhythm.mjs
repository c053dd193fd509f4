// The rhythm of a RabbitMQ safe move (not a test): every TICK ms, how many messages were published, confirmed by the
// broker and acked at the source, for mailroom's replay and for the bare amqplib loop (bench/rabbitmq-moves.mjs).
// It shows whether a run is bound by its window (unconfirmed stays at the window) and how the broker's confirms
// arrive.
//
//   node bench/rabbitmq-confirm-rhythm.mjs                 # N=20000, WINDOW=1000 (mailroom's default), TICK=10, both contenders
//   CONTENDER=bare TICK=2 FROM=700 TO=900 node bench/rabbitmq-confirm-rhythm.mjs
//
// Counts come from amqplib's channel methods (publish with a confirm callback, ack), wrapped in this process.
import {createRequire} from 'node:module'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = process.env.MAILROOM_DIST ?? join(root, 'dist')
const N = Number(process.env.N ?? 20_000)
const WINDOW = Number(process.env.WINDOW ?? 1000)
const TICK = Number(process.env.TICK ?? 10)
const [FROM, TO] = [Number(process.env.FROM ?? 0), Number(process.env.TO ?? Number.POSITIVE_INFINITY)]
const CONTENDERS = (process.env.CONTENDER ?? 'mailroom,bare').split(',')

// mailroom's amqplib patches go in first, as in the CLI; the bare loop then runs on the same (patched) client.
await import(pathToFileURL(join(dist, 'adapters', 'rabbitmq', 'driver.js')).href)
const require = createRequire(join(root, 'package.json'))
const amqp = require('amqplib')
const {AMQP, bareMove, fillQueue} = await import('./rabbitmq-moves.mjs')
const model = require(join(root, 'node_modules', 'amqplib', 'lib', 'channel_model.js'))
const {mailroomMove} = await import('./mailroom-move.mjs')

const counts = {published: 0, confirmed: 0, acked: 0}
const publish = model.ConfirmChannel.prototype.publish
model.ConfirmChannel.prototype.publish = function (exchange, key, content, options, done) {
  counts.published++
  return publish.call(this, exchange, key, content, options, (err, ok) => {
    counts.confirmed++
    done?.(err, ok)
  })
}
const ack = model.Channel.prototype.ack
model.Channel.prototype.ack = function (message, allUpTo) {
  // A multiple ack covers every delivery up to its tag: count the highest tag acked.
  counts.acked = Math.max(counts.acked, message.fields.deliveryTag)
  return ack.call(this, message, allUpTo)
}

function mailroom(source, dest) {
  return mailroomMove({
    dist,
    kind: 'rabbitmq',
    settings: {rabbitmq: {url: AMQP, managementUrl: 'http://127.0.0.1:15672'}, connectTimeoutMs: 5000},
    source,
    to: dest,
    window: WINDOW,
    stateHome: mkdtempSync(join(tmpdir(), 'mailroom-rhythm-')),
  })
}

function bare(source, dest) {
  return bareMove(amqp, source, dest, {n: N, window: WINDOW})
}

for (const name of CONTENDERS) {
  const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
  const [source, dest] = [`bench-rhythm-src-${suffix}`, `bench-rhythm-dst-${suffix}`]
  await fillQueue(amqp, source, N, Buffer.alloc(128, 'x'))
  const c = await amqp.connect(AMQP)
  const ch = await c.createChannel()
  await ch.assertQueue(dest, {durable: true})
  Object.assign(counts, {published: 0, confirmed: 0, acked: 0})
  const started = performance.now()
  const rows = []
  const timer = setInterval(() => rows.push({at: performance.now() - started, ...counts}), TICK)
  await {mailroom, bare}[name](source, dest)
  clearInterval(timer)
  const ms = performance.now() - started
  console.log(`${name}: ${N} messages in ${ms.toFixed(0)} ms (${Math.round((N * 1000) / ms)} msg/s), window ${WINDOW}`)
  console.log('    ms  published  confirmed      acked  unconfirmed')
  for (const r of rows.filter((r) => r.at >= FROM && r.at <= TO)) {
    console.log(
      `${r.at.toFixed(0).padStart(6)} ${String(r.published).padStart(10)} ${String(r.confirmed).padStart(10)} ${String(r.acked).padStart(10)} ${String(r.published - r.confirmed).padStart(12)}`,
    )
  }
  await ch.deleteQueue(source)
  await ch.deleteQueue(dest)
  await c.close()
}
