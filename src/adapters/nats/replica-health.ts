// Replicated JetStream streams short of replicas, from the stream listing (STREAM.LIST, paged; what `nats stream
// report` shows): a stream with no leader, replicas missing from its cluster info, or replicas offline or behind
// (not current).
import type {StreamInfo} from 'nats'

import type {ReplicaHealth, ReplicaProblem} from '../types.js'

export function streamHealth(streams: StreamInfo[]): ReplicaHealth {
  const replicated = streams.filter((si) => si.config.num_replicas > 1)
  return {checked: {streams: replicated.length}, problems: replicated.flatMap(streamProblems)}
}

function streamProblems(si: StreamInfo): ReplicaProblem[] {
  const name = si.config.name
  const wanted = si.config.num_replicas
  const peers = si.cluster?.replicas ?? []
  const leader = si.cluster?.leader
  const healthy = peers.filter((p) => p.current && !p.offline).length + (leader ? 1 : 0)
  const base = {broker: 'nats' as const, target: name, replicas: wanted, inSync: healthy}
  const problems: ReplicaProblem[] = []
  if (!leader) problems.push({...base, kind: 'no-leader', message: `stream ${name} has no leader`})
  if (healthy < wanted) {
    const down = peers
      .filter((p) => p.offline || !p.current)
      .map((p) => `${p.name} (${p.offline ? 'offline' : 'not current'})`)
    const missing = wanted - peers.length - (leader ? 1 : 0)
    const why = [...down, ...(missing > 0 ? [`${missing} missing`] : [])].join(', ')
    problems.push({
      ...base,
      kind: 'under-replicated',
      message: `stream ${name} has ${healthy} of ${wanted} replicas current (${why})`,
    })
  }
  return problems
}
