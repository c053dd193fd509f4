import {Box, Text} from 'ink'

import type {TailState} from '../hooks/use-tail.js'
import {tint, useTheme} from '../theme.js'
import {MessageList} from './MessageList.js'

export interface TailPaneProps {
  tail: TailState
  selected: number
  focused: boolean
  paused: boolean
  width: number
  height: number
}

/** New messages of the target as they arrive (read non-destructively). */
export function TailPane({tail, selected, focused, paused, width, height}: TailPaneProps) {
  const theme = useTheme()
  return (
    <Box flexDirection="column">
      <Text bold color={tint(theme, focused ? 'cyan' : undefined)} wrap="truncate-end">
        {focused ? '▸ ' : '  '}Live tail · {tail.received} received{paused ? ' · PAUSED (Space resumes)' : ''}
        {tail.error ? <Text color={tint(theme, 'red')}> · {tail.error}</Text> : null}
      </Text>
      <MessageList
        messages={tail.messages}
        selected={selected}
        focused={focused}
        width={width}
        height={height - 1}
        empty="(waiting for new messages…)"
      />
    </Box>
  )
}
