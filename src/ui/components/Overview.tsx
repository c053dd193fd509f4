import {Box, Text} from 'ink'
import {useMemo} from 'react'

import type {DlqRow, OverviewState} from '../hooks/use-overview.js'
import {useScreenKeys} from '../hooks/use-screen-keys.js'
import {useListNavigation} from '../hooks/use-list-navigation.js'
import {useSyncedState} from '../hooks/use-synced-state.js'
import {type OverviewRow, SORT_KEYS, type SortKey, filterGroups, flattenGroups, sortGroups} from '../model.js'
import {tint, useTheme} from '../theme.js'
import {DlqTable} from './DlqTable.js'
import {TargetsTable} from './TargetsTable.js'

export type OverviewPane = 'targets' | 'dlqs'

export interface OverviewProps {
  state: OverviewState
  filter: string
  active: boolean
  width: number
  height: number
  onOpenTarget(row: OverviewRow): void
  onOpenDlq(dlq: DlqRow): void
}

/** Targets and consumers above, DLQs below; Tab moves between them, Enter drills down, s sorts. */
export function Overview({state, filter, active, width, height, onOpenTarget, onOpenDlq}: OverviewProps) {
  const theme = useTheme()
  const pane = useSyncedState<OverviewPane>('targets')
  const sort = useSyncedState<SortKey>('name')
  const rows = useMemo(
    () => flattenGroups(sortGroups(filterGroups(state.groups, filter), sort.value)),
    [state.groups, filter, sort.value],
  )
  const dlqs = useMemo(
    () => state.dlqs.filter((d) => `${d.broker}:${d.name}`.toLowerCase().includes(filter.trim().toLowerCase())),
    [state.dlqs, filter],
  )
  // Title + header per pane; the DLQ pane takes what it needs up to a third of the screen.
  const dlqRows = Math.max(1, Math.min(Math.max(dlqs.length, 1), Math.floor(height / 3)))
  const targetRows = Math.max(1, height - dlqRows - 4)
  const targets = useListNavigation(rows.length, {active: active && pane.value === 'targets', page: targetRows})
  const dlqNav = useListNavigation(dlqs.length, {active: active && pane.value === 'dlqs', page: dlqRows})
  useScreenKeys((input, key) => {
    if (key.tab) pane.set((p) => (p === 'targets' ? 'dlqs' : 'targets'))
    else if (input === 's') sort.set((s) => SORT_KEYS[(SORT_KEYS.indexOf(s) + 1) % SORT_KEYS.length])
    else if (key.return && pane.get() === 'targets' && rows[targets.current()]) onOpenTarget(rows[targets.current()])
    else if (key.return && pane.get() === 'dlqs' && dlqs[dlqNav.current()]) onOpenDlq(dlqs[dlqNav.current()])
    return false
  }, active)
  const title = (text: string, focused: boolean) => (
    <Text bold color={tint(theme, focused ? 'cyan' : undefined)}>
      {focused ? '▸ ' : '  '}
      {text}
    </Text>
  )
  return (
    <Box flexDirection="column" height={height}>
      {title(
        `Targets and consumers (${rows.length}) · sort: ${sort.value}${filter ? ` · filter: ${filter}` : ''}`,
        pane.value === 'targets',
      )}
      <TargetsTable
        rows={rows}
        history={state.history}
        selected={targets.selected}
        focused={pane.value === 'targets'}
        width={width}
        height={targetRows}
      />
      <Box flexGrow={1} />
      {title(`Dead-letter queues (${dlqs.length})`, pane.value === 'dlqs')}
      <DlqTable dlqs={dlqs} selected={dlqNav.selected} focused={pane.value === 'dlqs'} width={width} height={dlqRows} />
    </Box>
  )
}
