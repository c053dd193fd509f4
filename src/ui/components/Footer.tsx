import {Text} from 'ink'

import {tint, useTheme} from '../theme.js'

/** The keys that matter on this screen, or a message (an error, a note) when there is one. */
export function Footer({hints, message, error}: {hints: string; message?: string; error?: boolean}) {
  const theme = useTheme()
  if (message) {
    return (
      <Text wrap="truncate-end" color={tint(theme, error ? 'red' : 'yellow')}>
        {message}
      </Text>
    )
  }
  return (
    <Text wrap="truncate-end" dimColor>
      {hints}
    </Text>
  )
}
