import {Box, Text} from 'ink'

import type {Envelope} from '../../model/envelope/types.js'
import {decodedJson, decodedValueOf} from '../../core/schema/decoded-view.js'
import {fit, visibleWindow} from '../format.js'

export interface MessageListProps {
  messages: Envelope[]
  selected: number
  focused: boolean
  /** Marked messages (the DLQ view's multi-select): a mark in front of each. */
  marked?: ReadonlySet<Envelope>
  width: number
  height: number
  empty: string
}

/** One line per message: where it sits, its key, why it died (if it did) and a body preview. */
export function MessageList({messages, selected, focused, marked, width, height, empty}: MessageListProps) {
  const {start, end} = visibleWindow(messages.length, selected, height)
  if (messages.length === 0) return <Text dimColor>{empty}</Text>
  return (
    <Box flexDirection="column">
      {messages.slice(start, end).map((m, i) => {
        const isSelected = start + i === selected
        return (
          <Text key={start + i} inverse={isSelected && focused} bold={isSelected && !focused} wrap="truncate-end">
            {marked ? (marked.has(m) ? '● ' : '  ') : ''}
            {fit(messageLine(m, start + i), marked ? width - 2 : width)}
          </Text>
        )
      })}
    </Box>
  )
}

export function messageLine(m: Envelope, index: number): string {
  const where =
    m.meta?.offset !== undefined
      ? `p${m.meta.partition ?? 0}@${m.meta.offset}`
      : m.meta?.sequence !== undefined
        ? `#${m.meta.sequence}`
        : `#${index + 1}`
  const key = typeof m.key === 'string' ? m.key : m.key ? '(binary key)' : ''
  const reason = m.death?.reason ? `[${m.death.reason}] ` : ''
  return `${fit(where, 12)} ${fit(key, 22)} ${reason}${bodyPreview(m).replace(/\s+/g, ' ')}`
}

/** The decoded value with its schema id when a registry decoded it, else the body text (or its size when binary). */
function bodyPreview(m: Envelope): string {
  const decoded = decodedValueOf(m)
  if (decoded) return `${decoded.schemaId === undefined ? '' : `#${decoded.schemaId} `}${decodedJson(decoded.value)}`
  return 'utf8' in m.body ? m.body.utf8 : `(${Buffer.from(m.body.base64, 'base64').length} binary bytes)`
}
