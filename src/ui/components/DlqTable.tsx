import {Box, Text} from 'ink'

import {count, fit, fitMiddle, visibleWindow} from '../format.js'
import type {DlqRow} from '../hooks/use-overview.js'
import {tint, useTheme} from '../theme.js'

export interface DlqTableProps {
  dlqs: DlqRow[]
  selected: number
  focused: boolean
  width: number
  height: number
}

/** The DLQs found on every broker, with their depth and how many died for which reason. */
export function DlqTable({dlqs, selected, focused, width, height}: DlqTableProps) {
  const theme = useTheme()
  const nameWidth = Math.min(34, Math.max(20, Math.floor(width * 0.4)))
  const reasonsWidth = Math.max(10, width - nameWidth - 9)
  const {start, end} = visibleWindow(dlqs.length, selected, height)
  return (
    <Box flexDirection="column">
      <Text bold color={tint(theme, focused ? 'cyan' : undefined)}>
        {fit('DEAD-LETTER QUEUE', nameWidth)} {fit('DEPTH', 7, 'right')} {fit('BY REASON', reasonsWidth)}
      </Text>
      {dlqs.length === 0 ? <Text dimColor>(no dead-letter queues found)</Text> : null}
      {dlqs.slice(start, end).map((d, i) => {
        const isSelected = start + i === selected
        return (
          <Text key={`${d.broker}:${d.name}`} inverse={isSelected && focused} bold={isSelected && !focused} wrap="truncate-end">
            {fitMiddle(`${d.broker}:${d.name}`, nameWidth)} <Text color={tint(theme, d.depth ? 'red' : undefined)}>{fit(count(d.depth), 7, 'right')}</Text> {fit(reasonsText(d), reasonsWidth)}
          </Text>
        )
      })}
    </Box>
  )
}

export function reasonsText(d: DlqRow): string {
  if (!d.depth) return ''
  if (!d.reasons) return '…'
  if (d.reasons.length === 0) return 'unknown'
  return d.reasons.map((r) => `${r.reason} ${r.count}`).join(' · ') + (d.reasonsPartial ? ' (first msgs)' : '')
}
