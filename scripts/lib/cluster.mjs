// Shared plumbing for the three-node clusters (`brokers.mjs up cluster`): the topology (ports of every node, also read
// by the tests), per-node pid files and the common down/status. Each node's process is recorded as
// `<broker>-<n>.pid`, so a test can SIGKILL one node and a later `up` restarts just that node.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {forgetStarted, isLiveProcess, isPortOpen, readStartedPid, repoRoot, stopProcess} from './harness.mjs'

export const topology = JSON.parse(readFileSync(join(repoRoot, 'scripts', 'lib', 'cluster-topology.json'), 'utf8'))

/** The pid-file name of node index (0-based) of a cluster broker: rabbitmq-cluster-1, kafka-cluster-2 ... */
export const nodePidName = (broker, index) => `${broker}-${index + 1}`

/** The recorded pid of a node when that process is still alive, else undefined. */
export function liveNodePid(broker, index, marker) {
  const pid = readStartedPid(nodePidName(broker, index))
  return isLiveProcess(pid, marker) ? pid : undefined
}

/** One status line for a cluster: how many nodes listen, and their pids. */
export async function clusterStatus(broker, ports, markerOf) {
  const nodes = await Promise.all(
    ports.map(async (port, index) => ({
      port,
      open: await isPortOpen(port),
      pid: liveNodePid(broker, index, markerOf(index)),
    })),
  )
  const open = nodes.filter((node) => node.open).length
  const pids = nodes.map((node) => node.pid ?? '-').join(',')
  return {
    up: open === nodes.length,
    startedByMailroom: nodes.some((node) => node.pid),
    detail: `${open}/${nodes.length} nodes up, pids ${pids}`,
  }
}

/** Stops every node this harness started (SIGTERM, then SIGKILL after graceMs), all at once. */
export async function stopNodes(broker, count, markerOf, graceMs) {
  const stopOne = async (index) => {
    const pid = liveNodePid(broker, index, markerOf(index))
    if (pid) await stopProcess(pid, markerOf(index), graceMs)
    forgetStarted(nodePidName(broker, index))
    return pid
  }
  const pids = (await Promise.all(Array.from({length: count}, (_, index) => stopOne(index)))).filter(Boolean)
  return pids.length === 0 ? 'not started by mailroom, left alone' : `stopped (pids ${pids.join(', ')})`
}
