// The client's CPU per message on a replay's RabbitMQ message path, without sockets or broker (not a test): an amqplib
// delivery mapped to an envelope, its content id, the replay's decision (provenance stamped), the publish options
// and the frames amqplib encodes for it. Medians of 7 rounds of 20,000 messages after 3 warm-up rounds.
//   node bench/rabbitmq-message-path.mjs                 # the build in dist/
//   DIST=.baseline-dist node bench/rabbitmq-message-path.mjs   # another build, to compare (run both interleaved)
import {dirname, join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
const dist = resolve(process.env.DIST ?? 'dist')
const imp = (p) => import(pathToFileURL(join(dist, p)).href)
await imp('adapters/rabbitmq/driver.js')
const {createRequire} = await import('node:module')
const require = createRequire(import.meta.url)
const defs = require(join(dirname(require.resolve('amqplib')), 'lib/defs.js'))
const args = require(join(dirname(require.resolve('amqplib')), 'lib/api_args.js'))
const {envelopeFromMessage, publishOptionsFromEnvelope} = await imp('adapters/rabbitmq/map.js')
const {messageIdentity} = await imp('core/replay/identity.js')
const {Selector} = await imp('core/replay/select.js')
const {bodyToBytes} = await imp('model/envelope/body.js')
const request = {
  source: {broker: 'rabbitmq', name: 'bench-src-abcdefgh-1234'},
  to: {broker: 'rabbitmq', name: 'bench-dst-abcdefgh-1234'},
  mode: 'move',
  maxReplays: 3,
  force: false,
  keepPartition: false,
  window: 1000,
}
const selector = new Selector({request, replayId: '20261207T043007-bf02ef', source: {kind: 'rabbitmq'}})
const N = 20000
const msgs = () =>
  Array.from({length: N}, (_, i) => ({
    fields: {
      deliveryTag: i + 1,
      redelivered: false,
      exchange: '',
      routingKey: 'bench-src-abcdefgh-1234',
      consumerTag: 'x',
    },
    properties: {
      contentType: undefined,
      contentEncoding: undefined,
      headers: {id: String(i)},
      deliveryMode: 2,
      priority: undefined,
      correlationId: undefined,
      replyTo: undefined,
      expiration: undefined,
      messageId: String(i),
      timestamp: undefined,
      type: undefined,
      userId: undefined,
      appId: undefined,
      clusterId: undefined,
    },
    content: Buffer.from('x'.repeat(128)),
  }))
/** Bytes encoded, printed so the work cannot be optimized away. */
let encoded = 0
async function round() {
  const batch = msgs()
  const t = process.cpuUsage()
  for (const m of batch) {
    const e = envelopeFromMessage(m, {target: request.source.name, queueType: 'classic'})
    const id = messageIdentity(e, 'rabbitmq', request.source.name)
    const d = await selector.decide(e, id)
    const o = publishOptionsFromEnvelope(d.envelope)
    const fields = args.publish('', request.to.name, o)
    const content = bodyToBytes(d.envelope.body)
    const buf = defs.encodeMethod(defs.BasicPublish, 1, fields)
    const props = defs.encodeProperties(defs.BasicProperties, 1, content.length, fields)
    encoded += buf.length + props.length
  }
  const u = process.cpuUsage(t)
  return (u.user + u.system) / N
}
for (let i = 0; i < 3; i++) await round()
const xs = []
for (let i = 0; i < 7; i++) xs.push(await round())
xs.sort((a, b) => a - b)
console.log(
  `${process.env.DIST ?? 'dist'}: ${xs[3].toFixed(2)} µs/msg median, ${xs[0].toFixed(2)} min (${encoded} bytes encoded)`,
)
