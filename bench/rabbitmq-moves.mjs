// What the RabbitMQ benchmarks share: filling a source queue, and the bare amqplib loop doing a safe move. Each takes
// the amqplib module from its caller, which decides whether mailroom's patches are loaded first.

export const AMQP = 'amqp://guest:guest@127.0.0.1:5672'

/** n persistent messages of `body` (each with an id header), confirmed, in a durable queue. */
export async function fillQueue(amqp, queue, n, body) {
  const c = await amqp.connect(AMQP)
  const ch = await c.createConfirmChannel()
  await ch.assertQueue(queue, {durable: true})
  for (let i = 0; i < n; i++) {
    if (!ch.sendToQueue(queue, body, {persistent: true, messageId: String(i), headers: {id: String(i)}}))
      await new Promise((r) => ch.once('drain', r))
    if (i % 5000 === 4999) await ch.waitForConfirms()
  }
  await ch.waitForConfirms()
  await c.close()
}

/**
 * The ways a bare amqplib loop can keep `window` messages between "delivered" and "acked at the source", each
 * acking a message only once the destination confirmed it (prefetch = window on the consuming channel):
 * - per-message: each confirm callback acks its own delivery (one basic.ack per message);
 * - multiple: confirms are collected and one basic.ack with `multiple` covers every delivery up to the newest whose
 *   predecessors are all confirmed, once per turn of the event loop;
 * - two-connections: `multiple`, with publishing on a connection of its own (the consumer's acks no longer share a
 *   socket, nor RabbitMQ's per-connection flow control, with the publishes);
 * - batches: take a window's worth, publish it, waitForConfirms, ack the last with `multiple` (stop and wait).
 * bench/replay.mjs runs the fastest (BARE_STYLE, measured there); BARE_STYLES=all adds a row for each.
 */
export const BARE_STYLES = ['per-message', 'multiple', 'two-connections', 'batches']

/** The safe move of n messages in one of BARE_STYLES; `stamp` gives the headers each message is published with. */
export async function bareMove(
  amqp,
  source,
  dest,
  {n, window, style = 'per-message', stamp = (m) => m.properties.headers},
) {
  const c = await amqp.connect(AMQP)
  const pc = style === 'two-connections' ? await amqp.connect(AMQP) : c
  const sub = await c.createChannel()
  const pub = await pc.createConfirmChannel()
  await sub.prefetch(window)
  const publish = (m, done) =>
    pub.sendToQueue(dest, m.content, {...m.properties, headers: stamp(m), mandatory: true}, done)
  const loop = {'per-message': perMessage, multiple: multipleAcks, 'two-connections': multipleAcks, batches}[style]
  await new Promise((resolve, reject) => loop({sub, publish, pub, source, n, window, resolve, reject}))
  // A round trip on the consuming channel: every ack sent before it has been processed.
  await sub.checkQueue(source)
  if (pc !== c) await pc.close()
  await c.close()
}

function perMessage({sub, publish, source, n, resolve, reject}) {
  let moved = 0
  void sub.consume(source, (m) => {
    publish(m, (err) => {
      if (err) return reject(err)
      sub.ack(m)
      if (++moved === n) resolve()
    })
  })
}

function multipleAcks({sub, publish, source, n, resolve, reject}) {
  const unsettled = [] // deliveries in tag order, each with its confirm flag
  let moved = 0
  let scheduled = false
  const flush = () => {
    scheduled = false
    let last
    while (unsettled.length > 0 && unsettled[0].confirmed) last = unsettled.shift()
    if (!last) return
    sub.ack(last.m, true)
    moved = last.m.fields.deliveryTag
    if (moved >= n) resolve()
  }
  void sub.consume(source, (m) => {
    const entry = {m, confirmed: false}
    unsettled.push(entry)
    publish(m, (err) => {
      if (err) return reject(err)
      entry.confirmed = true
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
  })
}

function batches({sub, publish, pub, source, n, window, resolve, reject}) {
  let taken = []
  let moved = 0
  void sub.consume(source, (m) => {
    taken.push(m)
    publish(m, () => {})
    if (taken.length < Math.min(window, n - moved)) return
    const batch = taken
    taken = []
    pub.waitForConfirms().then(() => {
      sub.ack(batch.at(-1), true)
      moved += batch.length
      if (moved === n) resolve()
    }, reject)
  })
}
