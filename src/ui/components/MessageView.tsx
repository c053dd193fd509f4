import {Box, Text} from 'ink'
import {useMemo, useState} from 'react'

import type {DeathRecord, Envelope} from '../../model/envelope/types.js'
import {type BodyFormat, escapeControl, renderMessage} from '../../core/output/message.js'
import {clamp} from '../format.js'
import {useScreenKeys} from '../hooks/use-screen-keys.js'

export interface MessageViewProps {
  envelope: Envelope
  active: boolean
  width: number
  height: number
}

/** One message: headers, properties, death record, body (b: pretty / hex). ↑↓ j k scroll. */
export function MessageView({envelope, active, width, height}: MessageViewProps) {
  const [format, setFormat] = useState<BodyFormat>('auto')
  const [top, setTop] = useState(0)
  const lines = useMemo(() => messageLines(envelope, format), [envelope, format])
  const page = Math.max(1, height - 1)
  const maxTop = Math.max(0, lines.length - page)
  useScreenKeys((input, key) => {
    if (input === 'b') setFormat((f) => (f === 'hex' ? 'auto' : 'hex'))
    else if (key.downArrow || input === 'j') setTop((t) => clamp(t + 1, 0, maxTop))
    else if (key.upArrow || input === 'k') setTop((t) => clamp(t - 1, 0, maxTop))
    else if (key.pageDown || input === ' ') setTop((t) => clamp(t + page, 0, maxTop))
    else if (key.pageUp) setTop((t) => clamp(t - page, 0, maxTop))
    else if (input === 'g') setTop(0)
    else if (input === 'G') setTop(maxTop)
    return false
  }, active)
  const shown = lines.slice(clamp(top, 0, maxTop), clamp(top, 0, maxTop) + page)
  return (
    <Box flexDirection="column" height={height}>
      <Text dimColor wrap="truncate-end">
        body: {format === 'hex' ? 'hex' : 'pretty'} (b toggles) · lines {Math.min(lines.length, top + 1)}-
        {Math.min(lines.length, top + page)} of {lines.length}
      </Text>
      {shown.map((line, i) => (
        <Text key={top + i} wrap="truncate-end">
          {line.length > width ? line.slice(0, width) : line || ' '}
        </Text>
      ))}
    </Box>
  )
}

export function messageLines(e: Envelope, format: BodyFormat): string[] {
  const text = renderMessage(e, {bodyFormat: format})
  const [title, ...rest] = text.split('\n')
  return [title, ...deathLines(e.death), ...rest].flatMap((l) => l.split('\n'))
}

/** The death record field by field (the rendered message has it on one line). */
export function deathLines(death: DeathRecord | undefined): string[] {
  if (!death) return []
  const lines = ['  Death record:']
  const add = (name: string, value: unknown) => {
    if (value !== undefined && value !== '') lines.push(`    ${name}: ${escapeControl(String(value))}`)
  }
  add('reason', death.reason)
  add('count', death.count)
  add('first', death.firstTime)
  add('last', death.lastTime)
  const o = death.origin ?? {}
  add('origin', [o.broker, o.target].filter(Boolean).join(':'))
  add('exchange', o.exchange)
  add('routing keys', o.routingKeys?.join(', '))
  add('partition', o.partition)
  add('offset', o.offset)
  add('sequence', o.sequence)
  add('subject', o.subject)
  add('consumer', o.consumer)
  add('error', [death.error?.class, death.error?.message].filter(Boolean).join(': '))
  add('wrapped in', death.error?.wrapper?.class)
  add('failed in', death.error?.component)
  add('from', death.source)
  return lines
}
