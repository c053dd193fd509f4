import {Box, Text} from 'ink'

import {fit} from '../format.js'
import {KEY_SECTIONS} from '../keys.js'
import {tint, useTheme} from '../theme.js'

/** Every key of the dashboard (from the one key table), over the current screen. */
export function HelpOverlay({width, height}: {width: number; height: number}) {
  const theme = useTheme()
  const keyWidth = 10
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" paddingX={1} overflow="hidden">
      <Text bold>Keys — Esc or ? closes this help</Text>
      {KEY_SECTIONS.map((section) => (
        <Box key={section.title} flexDirection="column">
          <Text color={tint(theme, 'cyan')} bold>
            {section.title}
          </Text>
          {section.keys.map((k) => (
            <Text key={k.keys} wrap="truncate-end">
              {'  '}
              <Text bold>{fit(k.keys, keyWidth)}</Text> {k.action}
            </Text>
          ))}
        </Box>
      ))}
    </Box>
  )
}
