// bin/run.js: once a command has ended and its output is out, a handle some library left open (seen: kafkajs's socket
// after a metadata failure) does not keep the process alive. Here the handle is a real TCP connection, opened by a
// preloaded script to a server of this test that never closes it: without the grace-period exit the CLI never ends.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer, type Server, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {jsonOf, runCli} from '../helpers/cli.js'

const GRACE_MS = 2000

describe('the CLI exits after its command even when a socket is left open', {timeout: 60_000}, () => {
  let server: Server
  const held: Socket[] = []
  let nodeOptions: string

  beforeAll(async () => {
    server = createServer((socket) => held.push(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as {port: number}
    const preload = join(mkdtempSync(join(tmpdir(), 'mailroom-hold-')), 'hold-socket.cjs')
    writeFileSync(preload, `require('node:net').connect(${port}, '127.0.0.1').on('error', () => {})\n`)
    nodeOptions = `--require ${preload}`
  })

  afterAll(async () => {
    for (const socket of held) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })

  it('ends with its full output and exit 0 once the grace period is over', async () => {
    const heldBefore = held.length
    const r = await runCli(['context', 'list', '--json'], {env: {NODE_OPTIONS: nodeOptions}, timeoutMs: 20_000})
    expect(r.code).toBe(0)
    expect(jsonOf(r).status).toBe(0)
    expect(held.length).toBe(heldBefore + 1)
    // It waited for the grace period (the socket was really open), and not for the socket.
    expect(r.ms).toBeGreaterThanOrEqual(GRACE_MS)
    expect(r.ms).toBeLessThan(GRACE_MS + 8000)
  })

  it('keeps the exit code of the command (3: a broker that does not answer)', async () => {
    const r = await runCli(['ping', '--broker', 'nats', '--json'], {
      env: {NODE_OPTIONS: nodeOptions, MAILROOM_NATS_URL: 'nats://127.0.0.1:1'},
      timeoutMs: 20_000,
    })
    expect(r.code).toBe(3)
    expect(jsonOf<{brokers: {up: boolean}[]}>(r).result.brokers[0].up).toBe(false)
    expect(r.ms).toBeLessThan(GRACE_MS + 8000)
  })
})
