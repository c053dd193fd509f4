import {Text} from 'ink'

import {tint, useTheme} from '../theme.js'

export interface ProgressBarProps {
  done: number
  total?: number
  width: number
  label?: string
}

/** `[#######-------]  45%  12/30` (or a count alone when the total is unknown). */
export function ProgressBar({done, total, width, label = ''}: ProgressBarProps) {
  const theme = useTheme()
  const tail = total ? ` ${String(Math.floor(fraction(done, total) * 100)).padStart(3)}% ${done}/${total}` : ` ${done}`
  const barWidth = Math.max(5, width - tail.length - label.length - 3)
  const filled = total ? Math.round(fraction(done, total) * barWidth) : 0
  const [full, empty] = theme.unicode ? ['█', '░'] : ['#', '-']
  return (
    <Text>
      {label}
      {label ? ' ' : ''}[<Text color={tint(theme, 'green')}>{full.repeat(filled)}</Text>
      {empty.repeat(barWidth - filled)}]{tail}
    </Text>
  )
}

function fraction(done: number, total: number): number {
  return total > 0 ? Math.min(1, done / total) : 0
}
