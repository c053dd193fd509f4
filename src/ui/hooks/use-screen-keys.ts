// Key routing: the app has ONE input handler. It offers each key to the current screen first (set synchronously
// during render, so it is never stale), then to the screen's focused list, then applies the global keys. Separate
// handlers per component would all see every key in an order that changes with each render: Esc could close a
// dialog and leave the screen at once, and of "j Enter" typed together the Enter could open a row before the j moved.
import type {Key} from 'ink'
import {createContext, useContext} from 'react'

/** Returns true when the screen used the key. */
export type ScreenKeyHandler = (input: string, key: Key) => boolean

export interface KeyRouter {
  screen?: ScreenKeyHandler
  /** The focused list's navigation keys; `owner` identifies the list that registered it. */
  list?: {owner: object; handle: ScreenKeyHandler}
}

export const KeyRouterContext = createContext<KeyRouter>({})

export function useScreenKeys(handler: ScreenKeyHandler, active: boolean): void {
  const router = useContext(KeyRouterContext)
  if (active) router.screen = handler
}
