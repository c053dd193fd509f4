// State whose latest value key handlers can read at once: keys typed faster than React renders (a paste, tmux
// send-keys, a slow machine) must see the effect of the previous key, not the last rendered value.
import {useRef, useState} from 'react'

export interface SyncedState<T> {
  value: T
  /** The latest value, updated synchronously by set(). */
  get(): T
  set(next: T | ((current: T) => T)): void
}

export function useSyncedState<T>(initial: T): SyncedState<T> {
  const [value, setValue] = useState(initial)
  const latest = useRef(initial)
  const set = (next: T | ((current: T) => T)) => {
    latest.current = typeof next === 'function' ? (next as (current: T) => T)(latest.current) : next
    setValue(latest.current)
  }
  return {value, get: () => latest.current, set}
}
