import {Box, Text} from 'ink'

import type {AttachedConsumer} from '../../adapters/types.js'
import {fit, fitMiddle, nameColumnWidth} from '../format.js'

export interface AttachedConsumersProps {
  consumers: AttachedConsumer[]
  width: number
  /** Rows available for consumers (the header line is extra). */
  height: number
}

const CLIENT_WIDTH = 21
const SETTINGS_WIDTH = 16

/** A queue's consumers by name: consumer tag, client address, channel, acknowledgement mode and prefetch. */
export function AttachedConsumers({consumers, width, height}: AttachedConsumersProps) {
  const tagWidth = nameColumnWidth(
    consumers.map((c) => c.tag),
    'CONSUMER TAG',
    width - CLIENT_WIDTH - SETTINGS_WIDTH - 24,
    12,
  )
  const channelWidth = Math.max(10, width - 4 - tagWidth - CLIENT_WIDTH - SETTINGS_WIDTH - 3)
  const shown = consumers.length > height ? consumers.slice(0, Math.max(1, height - 1)) : consumers
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {'    '}
        {fit('CONSUMER TAG', tagWidth)} {fit('CLIENT', CLIENT_WIDTH)} {fit('CHANNEL', channelWidth)}{' '}
        {fit('SETTINGS', SETTINGS_WIDTH)}
      </Text>
      {shown.map((c) => (
        <Text key={c.tag} wrap="truncate-end" dimColor={c.active === false}>
          {'  └ '}
          {fitMiddle(c.tag, tagWidth)} {fit(clientOf(c), CLIENT_WIDTH)}{' '}
          {fitMiddle(c.channel ?? c.connection ?? '-', channelWidth)} {fit(settingsOf(c), SETTINGS_WIDTH)}
        </Text>
      ))}
      {consumers.length > shown.length ? (
        <Text dimColor>{`    … and ${consumers.length - shown.length} more`}</Text>
      ) : null}
    </Box>
  )
}

function clientOf(c: AttachedConsumer): string {
  if (!c.host) return '-'
  return c.port === undefined ? c.host : `${c.host}:${c.port}`
}

function settingsOf(c: AttachedConsumer): string {
  const ack = c.ackRequired === false ? 'no-ack' : 'ack'
  const prefetch = c.prefetch ? ` prefetch ${c.prefetch}` : ''
  return `${ack}${prefetch}${c.active === false ? ' waiting' : ''}`
}
