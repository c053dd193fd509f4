import {Box, type Key, Text, useApp, useInput, useStdin} from 'ink'
import {useEffect, useLayoutEffect, useMemo, useReducer, useRef} from 'react'

import type {Envelope} from '../../model/envelope/types.js'
import {debugLog} from '../debug.js'
import {useOverview} from '../hooks/use-overview.js'
import {type KeyRouter, KeyRouterContext} from '../hooks/use-screen-keys.js'
import {useSyncedState} from '../hooks/use-synced-state.js'
import {useTerminalSize} from '../hooks/use-terminal-size.js'
import {targetKey} from '../model.js'
import type {DashboardServices} from '../services.js'
import {DlqView} from './DlqView.js'
import {Footer} from './Footer.js'
import {Header} from './Header.js'
import {HELP_HINT, HelpOverlay} from './HelpOverlay.js'
import {MessageView} from './MessageView.js'
import {Overview} from './Overview.js'
import {TargetDetail} from './TargetDetail.js'
import {isPrintable, keysOf} from './TextInput.js'

export type Screen =
  | {kind: 'overview'}
  | {kind: 'target'; key: string}
  | {kind: 'dlq'; broker: DashboardServices['brokers'][number]; name: string}
  | {kind: 'message'; envelope: Envelope}

const HINTS: Record<Screen['kind'], string> = {
  overview: '↑↓ jk move · Enter open · Tab pane · / filter · s sort · ? help · q quit',
  target: '↑↓ jk move · Enter message · Tab pane · Space pause tail · Esc back · ? help · q quit',
  dlq: '↑↓ jk move · Enter open · Tab pane · / filter · Esc back · ? help · q quit',
  message: '↑↓ jk scroll · b pretty/hex · Esc back · ? help · q quit',
}

export interface AppProps {
  services: DashboardServices
  intervalMs: number
}

/** The dashboard: a stack of screens (overview → target / DLQ → message), help, filter and the global keys. */
export function App({services, intervalMs}: AppProps) {
  const {exit} = useApp()
  const {columns, rows} = useTerminalSize()
  const stack = useSyncedState<Screen[]>([{kind: 'overview'}])
  const help = useSyncedState(false)
  const filter = useSyncedState('')
  const editingFilter = useSyncedState(false)
  const router = useRef<KeyRouter>({}).current
  const screen = stack.value[stack.value.length - 1]
  // A new screen's list registers as it renders; the last screen's must not take keys meanwhile.
  const shown = useRef(screen)
  if (shown.current !== screen) {
    shown.current = screen
    router.list = undefined
  }
  const overview = useOverview(services, intervalMs, {quiet: stack.value.length > 1})

  const push = (s: Screen) => {
    stack.set((st) => [...st, s])
    filter.set('')
  }
  const pop = () => {
    stack.set((st) => (st.length > 1 ? st.slice(0, -1) : st))
    filter.set('')
  }

  // The one key handler (see use-screen-keys.ts): filter editing, help, the screen, its list, then the global keys.
  // Keys are handled in the order they came, from one queue. A key that may change who takes keys (a screen, a pane,
  // a dialog: any key but a list move or a typed character) forces a render and holds the queue until it is
  // committed, when the new screen, pane or dialog has registered its handler; keys read meanwhile wait behind it.
  const queue = useRef<[string, Key][]>([]).current
  const held = useRef(false)
  const [, forceRender] = useReducer((n: number) => n + 1, 0)
  const pump = () => {
    while (!held.current && queue.length > 0) {
      const [input, key] = queue.shift()!
      if (onKey(input, key) === 'rerender') held.current = true
    }
  }
  useLayoutEffect(() => {
    if (!held.current) return
    held.current = false
    pump()
  })
  const rawInput = useRawInput()
  useInput((chunk, chunkKey) => {
    queue.push(...keysOf(chunk, chunkKey, rawInput.current))
    pump()
  })
  /** Handles one key; 'rerender' when the keys after it must wait for the next render. */
  function onKey(input: string, key: Key): 'rerender' | undefined {
    if (handleKey(input, key) === 'in place') return undefined
    forceRender()
    return 'rerender'
  }
  /** 'in place' when the key moved a list or typed a character: the next key goes to the same place. */
  function handleKey(input: string, key: Key): 'in place' | undefined {
    debugLog('key', {
      input,
      key: pressed(key),
      screen: stack.get().at(-1)?.kind,
      filter: editingFilter.get(),
      help: help.get(),
    })
    const typed = !key.ctrl && !key.meta && isPrintable(input)
    if (editingFilter.get()) return editFilter(input, key) && typed ? 'in place' : undefined
    if (help.get()) {
      if (key.escape || input === '?' || input === 'q') help.set(false)
      return
    }
    if (router.screen?.(input, key)) return typed ? 'in place' : undefined
    if (router.list?.handle(input, key)) return 'in place'
    const top = stack.get()[stack.get().length - 1]
    if (input === '?') help.set(true)
    else if (input === 'q') exit()
    else if (input === '/' && (top.kind === 'overview' || top.kind === 'dlq')) editingFilter.set(true)
    else if (key.escape && filter.get()) filter.set('')
    else if (key.escape) pop()
  }
  /** True when the prompt stays open. */
  const editFilter = (input: string, key: Key): boolean => {
    if (key.escape) filter.set('')
    if (key.escape || key.return) editingFilter.set(false)
    else if (key.backspace || key.delete) filter.set((f) => f.slice(0, -1))
    else if (!key.ctrl && !key.meta && isPrintable(input)) filter.set((f) => f + input)
    return !key.escape && !key.return
  }

  const width = Math.max(40, columns)
  // The last terminal line stays free: a frame as tall as the terminal makes it scroll on every redraw.
  const bodyHeight = Math.max(5, rows - 4)
  // A screen with a dialog open (modal) keeps the keyboard; only the global keys step aside.
  const active = !help.value && !editingFilter.value
  const title = useMemo(() => screenTitle(screen), [screen])
  const group = screen.kind === 'target' ? overview.groups.find((g) => g.row.key === screen.key) : undefined
  return (
    <Box flexDirection="column" width={width} height={rows - 1}>
      <Header
        contextName={services.context.name}
        readOnly={services.readOnly}
        brokers={overview.brokers}
        intervalMs={intervalMs}
        at={overview.data?.at}
        title={title}
        replication={overview.data?.lag.replication?.problems}
      />
      {help.value ? <HelpOverlay width={width} height={bodyHeight} /> : null}
      {/* Hidden, not unmounted, under the help: the screen keeps its selection and what it read. */}
      <KeyRouterContext.Provider value={router}>
        <Box height={bodyHeight} flexDirection="column" display={help.value ? 'none' : 'flex'}>
          {screen.kind === 'overview' ? (
            <Overview
              state={overview}
              filter={filter.value}
              active={active}
              width={width}
              height={bodyHeight}
              onOpenTarget={(row) => push({kind: 'target', key: targetKey(row.broker, row.target)})}
              onOpenDlq={(d) => push({kind: 'dlq', broker: d.broker, name: d.name})}
            />
          ) : null}
          {screen.kind === 'target' && group ? (
            <TargetDetail
              services={services}
              group={group}
              info={overview.data?.targets.find((t) => targetKey(t.broker, t.name) === screen.key)}
              history={overview.history}
              active={active}
              width={width}
              height={bodyHeight}
              onOpenMessage={(envelope) => push({kind: 'message', envelope})}
            />
          ) : null}
          {screen.kind === 'dlq' ? (
            <DlqView
              services={services}
              broker={screen.broker}
              name={screen.name}
              depth={overview.data?.targets.find((t) => t.broker === screen.broker && t.name === screen.name)?.depth}
              filter={filter.value}
              active={active}
              width={width}
              height={bodyHeight}
              onOpenMessage={(envelope) => push({kind: 'message', envelope})}
            />
          ) : null}
          {screen.kind === 'message' ? (
            <MessageView envelope={screen.envelope} active={active} width={width} height={bodyHeight} />
          ) : null}
        </Box>
      </KeyRouterContext.Provider>
      {editingFilter.value ? (
        <Text>
          /{filter.value}
          <Text inverse> </Text>
          <Text dimColor> Enter keeps · Esc clears</Text>
        </Text>
      ) : (
        <Footer
          hints={help.value ? HELP_HINT : HINTS[screen.kind]}
          message={
            overview.error
              ? `refresh failed: ${overview.error}`
              : screen.kind === 'target' && !group
                ? 'this target is gone (Esc: back)'
                : undefined
          }
          error
        />
      )}
    </Box>
  )
}

/**
 * The latest input as Ink's parser cut it from stdin, before Ink interprets it (see eachKey: Esc glued to a key).
 * Its listener is added once, before useInput's (which Ink re-adds on every render), so it always runs first.
 */
function useRawInput(): {current: string | undefined} {
  const {internal_eventEmitter: events} = useStdin()
  const raw = useRef<string | undefined>(undefined)
  useEffect(() => {
    const record = (input: string) => {
      raw.current = input
    }
    events.on('input', record)
    return () => {
      events.off('input', record)
    }
  }, [events])
  return raw
}

/** The names of the flags set on a key, for the debug log. */
function pressed(key: Key): string[] {
  return Object.entries(key)
    .filter(([, on]) => on === true)
    .map(([name]) => name)
}

function screenTitle(s: Screen): string {
  switch (s.kind) {
    case 'overview':
      return 'overview'
    case 'target':
      return `target ${s.key}`
    case 'dlq':
      return `DLQ ${s.broker}:${s.name}`
    case 'message':
      return 'message'
  }
}
