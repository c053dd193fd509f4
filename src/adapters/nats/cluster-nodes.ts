// The servers of a NATS cluster for `ping`. Any client learns the server it is on (INFO: name, version) and the
// client URLs of the others (connect_urls, gossiped by the cluster). Names, versions and the JetStream meta leader of
// every server come only from the system account ($SYS.REQ.SERVER.PING.JSZ): asked briefly, used when it answers.
import {type NatsConnection, RequestStrategy} from 'nats'
import type {ClusterNode} from '../types.js'

const SYSTEM_PING = '$SYS.REQ.SERVER.PING.JSZ'
const SYSTEM_WAIT_MS = 500

interface JszReply {
  server?: {name?: string; ver?: string; host?: string}
  data?: {meta_cluster?: {leader?: string}; config?: unknown}
}

export async function clusterNodes(nc: NatsConnection): Promise<ClusterNode[]> {
  return (await fromSystemAccount(nc)) ?? fromGossip(nc)
}

/** The connected server with its name and version, and the others by the client URL the cluster gossips. */
function fromGossip(nc: NatsConnection): ClusterNode[] {
  const info = nc.info
  if (!info) return []
  const here = nc.getServer()
  const others = (info.connect_urls ?? []).filter((url) => url !== here)
  return [
    {name: info.server_name, address: here, role: 'server', version: info.version, status: 'up', connected: true},
    ...others.map((address): ClusterNode => ({name: address, address, role: 'server', status: 'up'})),
  ]
}

/** Every server's own answer, when this user may ask the system account; undefined otherwise (no responders). */
async function fromSystemAccount(nc: NatsConnection): Promise<ClusterNode[] | undefined> {
  try {
    const replies = await nc.requestMany(SYSTEM_PING, undefined, {
      strategy: RequestStrategy.Timer,
      maxWait: SYSTEM_WAIT_MS,
    })
    const servers: JszReply[] = []
    for await (const reply of replies) servers.push(reply.json<JszReply>())
    if (servers.length === 0) return undefined
    const leader = servers.map((s) => s.data?.meta_cluster?.leader).find(Boolean)
    const here = nc.info?.server_name
    return servers
      .map((s): ClusterNode => ({
        name: s.server?.name ?? '?',
        role: s.server?.name === leader ? 'server, meta leader' : 'server',
        version: s.server?.ver,
        status: 'up',
        ...(s.server?.name === here ? {connected: true, address: nc.getServer()} : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name))
  } catch {
    return undefined
  }
}
