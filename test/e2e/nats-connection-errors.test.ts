// A NATS connection that is really refused still fails as a connection error (exit 3, one line naming the server),
// now that only network failures map to CONNECTION. The refusal is established with a raw socket first, and the same
// command against the running server succeeds, so the exit code is the refusal's, not the command's.
import {connect as connectSocket, createServer} from 'node:net'
import {connect as connectNats} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {uniqueName} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'

vi.setConfig({testTimeout: 90_000})

const stream = uniqueName('followups-refused')

/** A local port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** What a raw socket gets from the port: the error code of a refused connection, or 'open'. */
function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectSocket(port, '127.0.0.1')
    socket.once('connect', () => socket.destroy() && resolve('open'))
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
  })
}

beforeAll(async () => {
  const nc = await connectNats({servers: '127.0.0.1:4222'})
  await (await nc.jetstreamManager()).streams.add({name: stream, subjects: [`${stream}.>`]})
  await nc.close()
})

afterAll(async () => {
  const nc = await connectNats({servers: '127.0.0.1:4222'})
  await (await nc.jetstreamManager()).streams.delete(stream).catch(() => undefined)
  await nc.close()
})

describe('NATS connection errors', () => {
  it('a refused connection exits 3 with one line naming the server; the running server answers', async () => {
    const port = await closedPort()
    expect(await probe(port)).toBe('ECONNREFUSED')
    const refused = await runCli(['peek', `nats:${stream}`, '--nats-url', `nats://127.0.0.1:${port}`])
    expect(refused.code, refused.stderr).toBe(3)
    expect(refused.stderr).toContain(`connection refused at 127.0.0.1:${port}`)
    expect(refused.stderr).not.toMatch(/\n\s+at /)

    const json = await runCli(['peek', `nats:${stream}`, '--nats-url', `nats://127.0.0.1:${port}`, '--json'])
    expect(json.code).toBe(3)
    expect(jsonOf(json).error?.code).toBe('CONNECTION')

    const running = await runCli(['peek', `nats:${stream}`, '--nats-url', 'nats://127.0.0.1:4222'])
    expect(running.code, running.stderr).toBe(0)
  })
})
