// Asks a NATS server what it requires, from the INFO line it sends in plain text on every new connection (before
// any TLS): `tls_verify` says the server demands a client certificate. Used to explain a connection that was reset
// during the TLS handshake without guessing.
import {connect} from 'node:net'

export interface NatsServerInfo {
  tls_required?: boolean
  tls_verify?: boolean
}

const INFO_LINE = /^INFO\s+(\{.*\})\s*\r?\n/

/** The INFO a server sends on connect; undefined when it does not send one within timeoutMs (or TLS-first). */
export function peekServerInfo(hostPort: string, timeoutMs: number): Promise<NatsServerInfo | undefined> {
  const {host, port} = splitHostPort(hostPort)
  return new Promise((resolve) => {
    let text = ''
    const socket = connect({host, port})
    const done = (info: NatsServerInfo | undefined) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(info)
    }
    const timer = setTimeout(() => done(undefined), timeoutMs)
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      text += chunk
      const m = INFO_LINE.exec(text)
      if (m) {
        try {
          done(JSON.parse(m[1]) as NatsServerInfo)
        } catch {
          done(undefined)
        }
      } else if (text.includes('\n') || text.length > 64 * 1024) done(undefined)
    })
    socket.on('error', () => done(undefined))
    socket.on('close', () => done(undefined))
  })
}

/**
 * Whether the servers require a client certificate: true when one says so in its INFO, false when every one
 * answered without saying so, undefined when one could not be asked.
 */
export async function serversRequireClientCertificate(
  servers: string[],
  timeoutMs: number,
): Promise<boolean | undefined> {
  const infos = await Promise.all(servers.map((s) => peekServerInfo(s, timeoutMs)))
  if (infos.some((i) => i?.tls_verify === true)) return true
  return infos.every((i) => i !== undefined) ? false : undefined
}

function splitHostPort(hostPort: string): {host: string; port: number} {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort)
  if (bracketed) return {host: bracketed[1], port: Number(bracketed[2] ?? 4222)}
  const colon = hostPort.lastIndexOf(':')
  if (colon < 0 || hostPort.indexOf(':') !== colon) return {host: hostPort, port: 4222}
  return {host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1))}
}
