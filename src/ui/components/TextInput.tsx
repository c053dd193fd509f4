// A one-line text input: printable keys append, Backspace deletes, Enter submits, Esc cancels.
import {type Key, Text, useInput} from 'ink'
import {useRef, useState} from 'react'

import {tint, useTheme} from '../theme.js'

export interface TextInputProps {
  label: string
  initial?: string
  active: boolean
  onSubmit(value: string): void
  onCancel(): void
  /** Called on every change (live filtering). */
  onChange?(value: string): void
}

export function TextInput({label, initial = '', active, onSubmit, onCancel, onChange}: TextInputProps) {
  const theme = useTheme()
  const [value, setValue] = useState(initial)
  // Keys can arrive faster than renders: each one builds on the latest value, not on the last rendered one.
  const latest = useRef(initial)
  const update = (next: string) => {
    latest.current = next
    setValue(next)
    onChange?.(next)
  }
  useInput(
    (chunk, chunkKey) =>
      eachKey(chunk, chunkKey, (input, key) => {
      if (key.escape) return onCancel()
      if (key.return) return onSubmit(latest.current)
      if (key.backspace || key.delete) return update(latest.current.slice(0, -1))
      if (key.ctrl && input === 'u') return update('')
      if (!key.ctrl && !key.meta && isPrintable(input)) update(latest.current + input)
    }),
    {isActive: active},
  )
  return (
    <Text>
      <Text color={tint(theme, 'cyan')}>{label}</Text>
      {value}
      <Text inverse> </Text>
    </Text>
  )
}

export function isPrintable(input: string): boolean {
  // eslint-disable-next-line no-control-regex
  return input !== '' && !/[\u0000-\u001f\u007f]/.test(input)
}

/**
 * Ink hands over one chunk per stdin read: keys typed fast (or pasted, or sent by tmux) can arrive together, e.g.
 * "/orders" or "orders\r". Splits such a chunk into the keys it holds so each is handled as if typed alone.
 */
export function eachKey(input: string, key: Key, handle: (input: string, key: Key) => void): void {
  // eslint-disable-next-line no-control-regex -- a paste is plain when it holds no control character
  const plain = !key.ctrl && !key.meta && !key.escape && input.length > 1 && /^[^\u0000-\u001f\u007f]*\r?$/.test(input)
  if (!plain) return handle(input, key)
  for (const ch of input) {
    if (ch === '\r') handle('', {...key, return: true})
    else handle(ch, key)
  }
}
