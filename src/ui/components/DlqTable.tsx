import {Box, Text} from 'ink'

import {count, fit, fitMiddle, nameColumnWidth, visibleWindow} from '../format.js'
import type {DlqRow} from '../hooks/use-overview.js'
import {tint, useTheme} from '../theme.js'

export interface DlqTableProps {
  dlqs: DlqRow[]
  selected: number
  focused: boolean
  width: number
  height: number
}

const NAME_HEADER = 'DEAD-LETTER QUEUE'
/** The reasons keep at least this much room when names are long. */
const REASONS_LEAST = 24

const refOf = (d: DlqRow) => `${d.broker}:${d.name}`

/** The DLQs found on every broker, with their depth and how many died for which reason. */
export function DlqTable({dlqs, selected, focused, width, height}: DlqTableProps) {
  const theme = useTheme()
  const nameWidth = nameColumnWidth(dlqs.map(refOf), NAME_HEADER, width - 9 - REASONS_LEAST, 20)
  const reasonsWidth = Math.max(10, width - nameWidth - 9)
  const {start, end} = visibleWindow(dlqs.length, selected, height)
  return (
    <Box flexDirection="column">
      <Text bold color={tint(theme, focused ? 'cyan' : undefined)}>
        {fit(NAME_HEADER, nameWidth)} {fit('DEPTH', 7, 'right')} {fit('BY REASON', reasonsWidth)}
      </Text>
      {dlqs.length === 0 ? <Text dimColor>(no dead-letter queues found)</Text> : null}
      {dlqs.slice(start, end).map((d, i) => {
        const isSelected = start + i === selected
        return (
          <Text
            key={`${d.broker}:${d.name}`}
            inverse={isSelected && focused}
            bold={isSelected && !focused}
            wrap="truncate-end"
          >
            {fitMiddle(refOf(d), nameWidth)}{' '}
            <Text color={tint(theme, d.depth ? 'red' : undefined)}>{fit(count(d.depth), 7, 'right')}</Text>{' '}
            {fit(reasonsText(d), reasonsWidth)}
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
  return (
    d.reasons.map((r) => `${r.reason} ${r.count}`).join(' · ') +
    (d.reasonsSample !== undefined ? ` (of the first ${count(d.reasonsSample)})` : '')
  )
}
