import {Box, Text} from 'ink'
import {memo} from 'react'

import {count, fit, fitMiddle, rate, visibleWindow} from '../format.js'
import type {History, OverviewRow} from '../model.js'
import {sparkline} from '../sparkline.js'
import {statusColor, tint, useTheme} from '../theme.js'

export interface TargetsTableProps {
  rows: OverviewRow[]
  history: History
  selected: number
  focused: boolean
  width: number
  /** Rows available for data (the header line is extra). */
  height: number
}

const NUMBER_COLUMNS = [
  {header: 'DEPTH', width: 7, value: (r: OverviewRow) => count(r.depth)},
  {header: 'LAG', width: 7, value: (r: OverviewRow) => (r.lagNotApplicable ? 'n/a' : count(r.lag))},
  {header: 'IN/s', width: 6, value: (r: OverviewRow) => rate(r.inRate)},
  {header: 'OUT/s', width: 6, value: (r: OverviewRow) => rate(r.outRate)},
]
const STATUS_WIDTH = 5

export function columnWidths(width: number): {name: number; spark: number} {
  const fixed = NUMBER_COLUMNS.reduce((sum, c) => sum + c.width + 1, 0) + STATUS_WIDTH + 1
  const spark = width >= 100 ? 20 : width >= 70 ? 12 : 0
  return {name: Math.max(12, width - fixed - spark - (spark ? 1 : 0)), spark}
}

/** Targets with their consumers beneath them: depth, lag, rates, status and a sparkline of recent lag (or depth). */
export function TargetsTable({rows, history, selected, focused, width, height}: TargetsTableProps) {
  const theme = useTheme()
  const {name, spark} = columnWidths(width)
  const {start, end} = visibleWindow(rows.length, selected, height)
  const header = `${fit('TARGET / CONSUMER', name)} ${NUMBER_COLUMNS.map((c) => fit(c.header, c.width, 'right')).join(' ')} ${fit('STAT', STATUS_WIDTH)}${spark ? ` ${fit('TREND', spark)}` : ''}`
  return (
    <Box flexDirection="column">
      <Text bold color={tint(theme, focused ? 'cyan' : undefined)}>
        {header}
      </Text>
      {rows.length === 0 ? <Text dimColor>(no targets)</Text> : null}
      {rows.slice(start, end).map((row, i) => {
        const isSelected = start + i === selected
        return (
          <TargetRow
            key={row.key}
            text={`${fitMiddle(labelOf(row), name)} ${NUMBER_COLUMNS.map((c) => fit(c.value(row), c.width, 'right')).join(' ')} `}
            status={fit(row.status ?? '-', STATUS_WIDTH)}
            statusColor={statusColor(theme, row.status)}
            trend={spark ? sparkline(history.of(row.key), spark, {ascii: !theme.unicode}) : undefined}
            trendColor={tint(theme, 'cyan')}
            inverse={isSelected && focused}
            bold={isSelected && !focused}
          />
        )
      })}
    </Box>
  )
}

interface TargetRowProps {
  text: string
  status: string
  statusColor?: string
  trend?: string
  trendColor?: string
  inverse: boolean
  bold: boolean
}

/**
 * One row as one line of text (one layout node, one truncation): drawn again only when what it shows changed, so a
 * refresh or a key redraws the rows that moved, not the table.
 */
const TargetRow = memo(function TargetRow({
  text,
  status,
  statusColor,
  trend,
  trendColor,
  inverse,
  bold,
}: TargetRowProps) {
  return (
    <Text wrap="truncate-end">
      <Text inverse={inverse} bold={bold}>
        {text}
      </Text>
      <Text color={statusColor}>{status}</Text>
      {trend === undefined ? null : <Text color={trendColor}> {trend}</Text>}
    </Text>
  )
})

function labelOf(row: OverviewRow): string {
  // Share and streams groups are named with their type: they are not consumer groups.
  if (row.level === 'consumer')
    return `  └ ${row.consumer}${row.group && !row.group.protocol ? ` (${row.group.type})` : ''}`
  return `${row.broker}:${row.target}`
}
