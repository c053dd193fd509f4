import {Box, Text} from 'ink'

import type {ReplicaProblem} from '../../adapters/types.js'
import {clock} from '../format.js'
import type {BrokerState} from '../services.js'
import {tint, useTheme} from '../theme.js'

export interface HeaderProps {
  contextName?: string
  readOnly: boolean
  brokers: BrokerState[]
  intervalMs: number
  at?: Date
  title: string
  /** Replication shortfalls of the last refresh (under-replicated partitions, queues below target, nodes down...). */
  replication?: ReplicaProblem[]
}

/** Two lines: where we are (context, screen, refresh) and every broker with its status. */
export function Header({contextName, readOnly, brokers, intervalMs, at, title, replication = []}: HeaderProps) {
  const theme = useTheme()
  return (
    <Box flexDirection="column">
      <Box justifyContent="space-between">
        <Text wrap="truncate-end">
          <Text bold color={tint(theme, 'cyan')}>
            mailroom
          </Text>{' '}
          {contextName ?? 'local brokers'}
          {readOnly ? <Text color={tint(theme, 'yellow')}> [read-only]</Text> : null} › <Text bold>{title}</Text>
        </Text>
        <Text>
          every {intervalMs >= 1000 ? `${intervalMs / 1000}s` : `${intervalMs}ms`} · {at ? clock(at) : '--:--:--'}
        </Text>
      </Box>
      <Text wrap="truncate-end">
        {brokers.map((b) => (
          <Text key={b.broker}>
            <Text color={tint(theme, b.up === undefined ? undefined : b.up ? 'green' : 'red')}>
              {b.up === undefined ? '◌' : b.up ? '●' : '○'}
            </Text>{' '}
            {b.broker}{' '}
            {b.up === undefined ? (
              <Text dimColor>connecting…</Text>
            ) : b.up ? (
              <Text dimColor>{b.info?.version ?? ''}</Text>
            ) : (
              <Text color={tint(theme, 'red')}>{b.error?.code ?? 'DOWN'}</Text>
            )}
            <ReplicationNote problems={replication.filter((p) => p.broker === b.broker)} />
            {'   '}
          </Text>
        ))}
      </Text>
    </Box>
  )
}

/** `⚠ 3 under-replicated, 1 node-down` beside a broker whose replication falls short; nothing when it does not. */
function ReplicationNote({problems}: {problems: ReplicaProblem[]}) {
  const theme = useTheme()
  if (problems.length === 0) return null
  const counts = new Map<string, number>()
  for (const p of problems) counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1)
  return <Text color={tint(theme, 'yellow')}> ⚠ {[...counts].map(([kind, n]) => `${n} ${kind}`).join(', ')}</Text>
}
