import {Box, Text} from 'ink'

import {fit} from '../format.js'
import {KEY_SECTIONS, type KeySection} from '../keys.js'
import {tint, useTheme} from '../theme.js'

/** The help's closing hint, shown in the footer line while the help is open (the help itself takes the body). */
export const HELP_HINT = 'Keys — Esc or ? closes this help'
const KEY_WIDTH = 10
const COLUMN_GAP = 2

/**
 * Every key of the dashboard (from the one key table), in place of the current screen. It takes exactly the body's
 * height, so the header stays on screen; sections flow into a second column when one is not tall enough.
 */
export function HelpOverlay({width, height}: {width: number; height: number}) {
  const theme = useTheme()
  const columns = helpColumns(KEY_SECTIONS, height)
  const columnWidth = Math.floor((width - COLUMN_GAP * (columns.length - 1)) / columns.length)
  return (
    <Box width={width} height={height} overflow="hidden">
      {columns.map((sections, i) => (
        <Box key={sections[0].title} flexDirection="column" width={columnWidth} marginLeft={i ? COLUMN_GAP : 0}>
          {sections.map((section) => (
            <Box key={section.title} flexDirection="column">
              <Text color={tint(theme, 'cyan')} bold wrap="truncate-end">
                {section.title}
              </Text>
              {section.keys.map((k) => (
                <Text key={k.keys} wrap="truncate-end">
                  {'  '}
                  <Text bold>{fit(k.keys, KEY_WIDTH)}</Text> {k.action}
                </Text>
              ))}
            </Box>
          ))}
        </Box>
      ))}
    </Box>
  )
}

/** Sections in order, a new column whenever the next section would not fit under the last one. */
export function helpColumns(sections: KeySection[], height: number): KeySection[][] {
  const columns: KeySection[][] = [[]]
  let used = 0
  for (const section of sections) {
    const lines = 1 + section.keys.length
    if (used > 0 && used + lines > height) {
      columns.push([])
      used = 0
    }
    columns[columns.length - 1].push(section)
    used += lines
  }
  return columns
}
