// A TLS connection to NATS that is reset during the handshake is reported as a reset, and blamed on a missing client
// certificate only when the server says it requires one (`tls_verify` in the INFO it sends before TLS). Seen under
// load: an overloaded nats-server drops handshakes past its TLS timeout, and mailroom called that "client certificate
// required". The truth comes from the servers themselves (a raw socket reads their INFO; a raw TLS client is refused)
// and from a tiny proxy in the test that resets the connection when the client's TLS ClientHello arrives.
import {connect as connectSocket, createServer, type Server, type Socket} from 'node:net'
import {connect as connectTls} from 'node:tls'
import {afterAll, describe, expect, it, vi} from 'vitest'

import type {ContextConfig} from '../../src/core/config/file.js'
import {jsonOf, runCli} from '../helpers/cli.js'
import {configHomeWith, NATS, PKI} from '../helpers/secure.js'

vi.setConfig({testTimeout: 60_000})

const MTLS_PORT = Number(new URL(NATS.mtls).port)
const USERS_PORT = Number(new URL(NATS.users).port)
const ca = {caFile: PKI.ca}

/** The INFO a nats-server sends on a raw socket before any TLS, read here without mailroom. */
function serverInfo(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = ''
    const socket = connectSocket(port, '127.0.0.1')
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      text += chunk
      const line = /^INFO (\{.*\}) *\r\n/.exec(text)
      if (line) {
        socket.destroy()
        resolve(JSON.parse(line[1]) as Record<string, unknown>)
      }
    })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error(`no INFO from 127.0.0.1:${port}: ${text}`)))
  })
}

/**
 * A proxy to a real server that passes the server's INFO through, and resets the client's connection (TCP RST) as
 * soon as the client sends its first bytes: the TLS ClientHello. Counts the ClientHellos it reset.
 */
async function resettingProxy(upstreamPort: number): Promise<{port: number; resets: () => number; server: Server}> {
  let resets = 0
  const server = createServer((client: Socket) => {
    const upstream = connectSocket(upstreamPort, '127.0.0.1')
    upstream.on('data', (d) => client.write(d))
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    client.on('close', () => upstream.destroy())
    client.once('data', (d: Buffer) => {
      if (d[0] === 0x16) resets++ // a TLS handshake record
      upstream.destroy()
      client.resetAndDestroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxies.push(server)
  return {port: (server.address() as {port: number}).port, resets: () => resets, server}
}

const proxies: Server[] = []
afterAll(async () => {
  await Promise.all(proxies.map((p) => new Promise((resolve) => p.close(resolve))))
})

async function pingNats(nats: ContextConfig['nats']) {
  const home = configHomeWith({probe: {nats}})
  const r = await runCli(['ping', '--json', '--context', 'probe'], {env: {XDG_CONFIG_HOME: home}, timeoutMs: 45_000})
  const rows = jsonOf(r).result?.brokers as {broker: string; up: boolean; error?: {code: string; message: string}}[]
  return {r, row: rows?.find((row) => row.broker === 'nats')}
}

describe('NATS TLS handshake failures', () => {
  it('the mTLS server without a client certificate: the server demands one, and the message says so', async () => {
    // Ground truth: the server announces that it verifies clients, and a raw TLS client without a certificate is
    // refused by the server (an alert, or the connection closed) before any NATS protocol line.
    expect((await serverInfo(MTLS_PORT)).tls_verify).toBe(true)
    const refused = await new Promise<string>((resolve) => {
      const raw = connectSocket(MTLS_PORT, '127.0.0.1')
      raw.once('data', () => {
        // Only what the server does about the client's certificate matters here, not the check of the server's.
        const tls = connectTls({socket: raw, rejectUnauthorized: false})
        tls.on('secureConnect', () => tls.write('PING\r\n'))
        tls.on('data', (d: Buffer) => resolve(`answered ${d.toString().trim()}`))
        tls.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
        tls.on('close', () => resolve('closed'))
      })
    })
    expect(refused).not.toMatch(/^answered/)

    const {r, row} = await pingNats({url: NATS.mtls, tls: ca})
    expect(r.code, r.stdout + r.stderr).toBe(3)
    expect(row?.up).toBe(false)
    expect(row?.error?.code).toBe('AUTH')
    expect(row?.error?.message).toMatch(/requires a client certificate/)
  })

  it('a reset during the handshake with a server that needs no client certificate is not blamed on one', async () => {
    expect((await serverInfo(USERS_PORT)).tls_verify).toBeUndefined()
    const proxy = await resettingProxy(USERS_PORT)
    const {r, row} = await pingNats({url: `tls://127.0.0.1:${proxy.port}`, tls: ca})
    expect(proxy.resets(), 'the proxy reset a TLS ClientHello').toBeGreaterThan(0)
    expect(r.code, r.stdout + r.stderr).toBe(3)
    expect(row?.error?.code).toBe('CONNECTION')
    expect(row?.error?.message).toMatch(/reset during the TLS handshake \((ECONNRESET|EPIPE)\)/)
    expect(row?.error?.message).not.toMatch(/certificate/)
  })

  it('a reset during the handshake with a server that requires a client certificate names both', async () => {
    const proxy = await resettingProxy(MTLS_PORT)
    const {r, row} = await pingNats({url: `tls://127.0.0.1:${proxy.port}`, tls: ca})
    expect(proxy.resets()).toBeGreaterThan(0)
    expect(r.code, r.stdout + r.stderr).toBe(3)
    expect(row?.error?.code).toBe('AUTH')
    expect(row?.error?.message).toMatch(
      /reset during the TLS handshake: the server requires a client certificate, and none is configured/,
    )
  })

  it('a reset during the handshake with a client certificate configured is a reset, not a certificate problem', async () => {
    const proxy = await resettingProxy(MTLS_PORT)
    const {r, row} = await pingNats({url: `tls://127.0.0.1:${proxy.port}`, tls: {...ca, ...PKI.client}})
    expect(proxy.resets()).toBeGreaterThan(0)
    expect(r.code, r.stdout + r.stderr).toBe(3)
    expect(row?.error?.code).toBe('CONNECTION')
    expect(row?.error?.message).toMatch(/reset during the TLS handshake/)
    expect(row?.error?.message).not.toMatch(/certificate/)
  })
})
