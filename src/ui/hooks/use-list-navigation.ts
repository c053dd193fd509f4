// Selection in a list with arrows, j/k, PgUp/PgDn, g/G; stays in range when the list shrinks. Its keys come through
// the app's one key handler (use-screen-keys.ts), after the screen's, while the list is active.
import type {Key} from 'ink'
import {useContext, useRef} from 'react'

import {clamp} from '../format.js'
import {KeyRouterContext} from './use-screen-keys.js'
import {useSyncedState} from './use-synced-state.js'

export interface ListNavigation {
  selected: number
  /** The selection including keys not rendered yet (for key handlers). */
  current(): number
  setSelected(index: number): void
  /** Applies a navigation key (for a screen that routes its keys itself, in order with its other keys); true if it was one. */
  handle(input: string, key: Key): boolean
}

/** Applies a navigation key to an index; returns undefined when the key is not a navigation key. */
export function navigate(index: number, input: string, key: Key, length: number, page: number): number | undefined {
  const last = Math.max(0, length - 1)
  if (key.upArrow || input === 'k') return clamp(index - 1, 0, last)
  if (key.downArrow || input === 'j') return clamp(index + 1, 0, last)
  if (key.pageUp) return clamp(index - page, 0, last)
  if (key.pageDown) return clamp(index + page, 0, last)
  if (input === 'g' || key.home) return 0
  if (input === 'G' || key.end) return last
  return undefined
}

/** @param o.active whether the list reads the keyboard itself (false: the screen passes keys to handle()). */
export function useListNavigation(length: number, o: {active: boolean; page: number}): ListNavigation {
  const selection = useSyncedState(0)
  const inRange = (i: number) => clamp(i, 0, Math.max(0, length - 1))
  const router = useContext(KeyRouterContext)
  const owner = useRef({}).current
  // Keys can arrive faster than renders: each builds on the latest selection.
  const handle = (input: string, key: Key) => {
    const next = navigate(inRange(selection.get()), input, key, length, o.page)
    if (next !== undefined) selection.set(next)
    return next !== undefined
  }
  if (o.active) router.list = {owner, handle}
  else if (router.list?.owner === owner) router.list = undefined
  return {
    selected: inRange(selection.value),
    current: () => inRange(selection.get()),
    setSelected: selection.set,
    handle,
  }
}
