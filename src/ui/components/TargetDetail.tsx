import {Box, Text} from 'ink'

import type {TargetInfo} from '../../adapters/types.js'
import type {Envelope} from '../../model/envelope/types.js'
import {count, rate, seconds} from '../format.js'
import {useAttachedConsumers} from '../hooks/use-attached-consumers.js'
import {useScreenKeys} from '../hooks/use-screen-keys.js'
import {useListNavigation} from '../hooks/use-list-navigation.js'
import {useSyncedState} from '../hooks/use-synced-state.js'
import {useTail} from '../hooks/use-tail.js'
import {type History, type OverviewGroup, groupLine} from '../model.js'
import type {DashboardServices} from '../services.js'
import {statusColor, tint, useTheme} from '../theme.js'
import {AttachedConsumers} from './AttachedConsumers.js'
import {Sparkline} from './Sparkline.js'
import {TailPane} from './TailPane.js'
import {TargetsTable} from './TargetsTable.js'

export interface TargetDetailProps {
  services: DashboardServices
  group: OverviewGroup
  info?: TargetInfo
  history: History
  active: boolean
  width: number
  height: number
  onOpenMessage(e: Envelope): void
}

/** A target's facts and history, its consumers, and a live tail. Tab: consumers / tail; Space pauses the tail. */
export function TargetDetail({
  services,
  group,
  info,
  history,
  active,
  width,
  height,
  onOpenMessage,
}: TargetDetailProps) {
  const theme = useTheme()
  const {row} = group
  const pane = useSyncedState<'consumers' | 'tail'>('tail')
  const paused = useSyncedState(false)
  const tail = useTail(services, row.broker, row.target, paused.value)
  // Consumers by name: lag rows (Kafka groups, JetStream consumers) or, where the broker lists them apart, the queue's.
  const attached = useAttachedConsumers(
    services,
    row.broker,
    row.target,
    group.consumers.length === 0 ? row.consumers : 0,
  )
  const listed = group.consumers.length || attached?.length || 0
  const consumerRows = Math.max(1, Math.min(listed || 1, Math.floor((height - 6) / 3)))
  const consumers = useListNavigation(group.consumers.length, {
    active: active && pane.value === 'consumers',
    page: consumerRows,
  })
  const selectedGroup = group.consumers[consumers.selected]?.group
  const tailHeight = Math.max(3, height - 6 - consumerRows - (selectedGroup ? 1 : 0))
  const messages = useListNavigation(tail.messages.length, {active: active && pane.value === 'tail', page: tailHeight})
  useScreenKeys((input, key) => {
    if (key.tab) pane.set((p) => (p === 'tail' ? 'consumers' : 'tail'))
    else if (input === ' ') paused.set((p) => !p)
    else if (key.return && pane.get() === 'tail' && tail.messages[messages.current()])
      onOpenMessage(tail.messages[messages.current()])
    return false
  }, active)
  const sparkWidth = Math.max(10, width - 34)
  const lagSeries = history.of(row.key, 'lag')
  const depthSeries = history.of(row.key, 'depth')
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end">
        <Text bold>
          {row.broker}:{row.target}
        </Text>{' '}
        {info?.kind ?? ''} {info?.partitions ? `· ${info.partitions} partitions ` : ''}· depth {count(row.depth)} · lag{' '}
        {count(row.lag)}
        {row.lagSeconds !== undefined ? ` (${seconds(row.lagSeconds)})` : ''} · in {rate(row.inRate)}/s · out{' '}
        {rate(row.outRate)}/s · <Text color={statusColor(theme, row.status)}>{row.status ?? '-'}</Text>
      </Text>
      <Text wrap="truncate-end" dimColor>
        {row.reason ?? ' '}
      </Text>
      <Text wrap="truncate-end">
        {'depth  '}
        <Sparkline values={depthSeries} width={sparkWidth} /> {range(depthSeries)}
      </Text>
      <Text wrap="truncate-end">
        {'lag    '}
        <Sparkline values={lagSeries} width={sparkWidth} />{' '}
        {lagSeries.length ? range(lagSeries) : 'no consumer: no lag'}
      </Text>
      <Text bold color={tint(theme, pane.value === 'consumers' ? 'cyan' : undefined)}>
        {pane.value === 'consumers' ? '▸ ' : '  '}Consumers ({listed || (row.consumers ?? 0)})
      </Text>
      {group.consumers.length > 0 ? (
        <TargetsTable
          rows={group.consumers}
          history={history}
          selected={consumers.selected}
          focused={pane.value === 'consumers'}
          width={width}
          height={consumerRows}
        />
      ) : attached?.length ? (
        <AttachedConsumers consumers={attached} width={width} height={consumerRows} />
      ) : (
        <Text dimColor>{row.consumers ? `  ${row.consumers} attached` : '  (none)'}</Text>
      )}
      {selectedGroup ? (
        <Text wrap="truncate-end" dimColor>
          {'  '}
          {groupLine(selectedGroup)}
        </Text>
      ) : null}
      <TailPane
        tail={tail}
        selected={messages.selected}
        focused={pane.value === 'tail'}
        paused={paused.value}
        width={width}
        height={tailHeight}
      />
    </Box>
  )
}

function range(series: readonly number[]): string {
  if (series.length === 0) return ''
  return `${count(Math.min(...series))}..${count(Math.max(...series))} (${series.length} samples)`
}
