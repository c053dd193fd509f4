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
 * Ink hands over one input per stdin read (escape sequences apart): every key typed since the last read arrives
 * together — a paste, tmux send-keys, fast typing, or any keys while the machine is busy — e.g. "/orders\r" or
 * "\t\r". Ink then reports the chunk as one unknown key, so all its keys would be lost. Splits such a chunk into its
 * keys, each with the flags Ink gives it when it arrives alone, and handles them in order. A handler that opened or
 * closed a screen returns 'rerender': the keys after it are handed to `defer`, to go on once that screen has rendered
 * and takes keys (the caller resumes them after its next commit).
 *
 * `raw` is the input as Ink's parser cut it from stdin: Esc followed by a key in the same read ("\x1b/", "\x1bq",
 * "\x1b\x1b") is one input to Ink, which reports only the second key (as Alt+key) and drops the Esc. The dashboard
 * has no Alt bindings, so such an input is Esc, then that key.
 */
export function eachKey(
  input: string,
  key: Key,
  handle: (input: string, key: Key) => 'rerender' | void,
  defer: (resume: () => void) => void = setImmediate,
  raw?: string,
): void {
  const keys = keysOf(input, key, raw)
  const from = (start: number) => {
    for (let i = start; i < keys.length; i++) {
      if (handle(...keys[i]) === 'rerender' && i + 1 < keys.length) {
        defer(() => from(i + 1))
        return
      }
    }
  }
  from(0)
}

/** The keys of one input from Ink (see eachKey), in order. */
export function keysOf(input: string, key: Key, raw?: string): [string, Key][] {
  const glued = raw !== undefined && escapeThenKey(raw)
  if (!glued && (input.length <= 1 || key.escape || key.meta || input.startsWith('\u001B'))) return [[input, key]]
  const none = Object.fromEntries(
    Object.entries(key).map(([name, value]) => [name, typeof value === 'boolean' ? false : value]),
  ) as Key
  return [...(glued ? raw : input)].map((ch): [string, Key] => {
    const [single, flags] = keyOf(ch)
    return [single, {...none, ...flags}]
  })
}

/** Esc and a plain key (or a second Esc) read together; escape sequences (arrows, PgUp…) start with Esc [ or Esc O. */
export function escapeThenKey(raw: string): boolean {
  return raw.length >= 2 && raw[0] === '\u001B' && raw[1] !== '[' && raw[1] !== 'O' && [...raw].length === 2
}

/** One character as Ink reports it when it arrives alone: control characters are named keys or Ctrl+letter. */
function keyOf(ch: string): [string, Partial<Key>] {
  if (ch === '\u001B') return ['', {escape: true, meta: true}]
  if (ch === '\r') return ['', {return: true}]
  if (ch === '\t') return ['', {tab: true}]
  if (ch === '\u007F') return ['', {delete: true}]
  if (ch === '\b') return ['', {backspace: true}]
  const code = ch.charCodeAt(0)
  if (code >= 1 && code <= 26 && ch !== '\n') return [String.fromCharCode(code + 96), {ctrl: true}]
  return [ch, /[A-Z]/.test(ch) ? {shift: true} : {}]
}
