import {Text} from 'ink'

import {sparkline} from '../sparkline.js'
import {tint, useTheme} from '../theme.js'

export function Sparkline({values, width}: {values: readonly number[]; width: number}) {
  const theme = useTheme()
  return <Text color={tint(theme, 'cyan')}>{sparkline(values, width, {ascii: !theme.unicode})}</Text>
}
