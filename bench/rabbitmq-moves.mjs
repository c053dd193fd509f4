// What the RabbitMQ benchmarks share: filling a source queue, and the bare amqplib loop doing a safe move. Each takes
// the amqplib module from its caller, which decides whether mailroom's patches are loaded first.

export const AMQP = 'amqp://guest:guest@127.0.0.1:5672'

/** n persistent messages of `body` (each with an id header), confirmed, in a durable queue. */
export async function fillQueue(amqp, queue, n, body) {
  const c = await amqp.connect(AMQP)
  const ch = await c.createConfirmChannel()
  await ch.assertQueue(queue, {durable: true})
  for (let i = 0; i < n; i++) {
    if (!ch.sendToQueue(queue, body, {persistent: true, messageId: String(i), headers: {id: String(i)}})) await new Promise((r) => ch.once('drain', r))
    if (i % 5000 === 4999) await ch.waitForConfirms()
  }
  await ch.waitForConfirms()
  await c.close()
}

/**
 * The naive safe move of n messages: prefetch the window, publish each on a confirm channel, ack the source when its
 * confirm arrives. `stamp` gives the headers each message is published with.
 */
export async function bareMove(amqp, source, dest, {n, window, stamp = (m) => m.properties.headers}) {
  const c = await amqp.connect(AMQP)
  const sub = await c.createChannel()
  const pub = await c.createConfirmChannel()
  await sub.prefetch(window)
  let moved = 0
  await new Promise((resolve, reject) => {
    void sub.consume(source, (m) => {
      pub.sendToQueue(dest, m.content, {...m.properties, headers: stamp(m), mandatory: true}, (err) => {
        if (err) return reject(err)
        sub.ack(m)
        if (++moved === n) resolve()
      })
    })
  })
  // A round trip on the consuming channel: every ack sent before it has been processed.
  await sub.checkQueue(source)
  await c.close()
}
