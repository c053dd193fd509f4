import {Text, useInput} from 'ink'
import {useRef} from 'react'
import {afterEach, expect, test} from 'vitest'

import {eachKey} from '../../src/ui/components/TextInput.js'
import {useListNavigation} from '../../src/ui/hooks/use-list-navigation.js'
import {type KeyRouter, KeyRouterContext} from '../../src/ui/hooks/use-screen-keys.js'
import {usePoll} from '../../src/ui/hooks/use-poll.js'
import {useTerminalSize} from '../../src/ui/hooks/use-terminal-size.js'
import {KEYS, type Rendered, renderInk} from '../helpers/ink.js'

let r: Rendered | undefined
afterEach(() => r?.unmount())

function List({length}: {length: number}) {
  const {selected} = useListNavigation(length, {active: true, page: 5})
  return <Text>selected={selected}</Text>
}

/** The list under a key router, as the app routes its keys (one handler; chunks split into keys). */
function Nav({length}: {length: number}) {
  const router = useRef<KeyRouter>({}).current
  useInput((input, key) => eachKey(input, key, (i, k) => void router.list?.handle(i, k)))
  return (
    <KeyRouterContext.Provider value={router}>
      <List length={length} />
    </KeyRouterContext.Provider>
  )
}

test('list navigation: arrows, j/k, page keys, g/G, clamped to the list', async () => {
  r = renderInk(<Nav length={12} />)
  await r.press('j', 'j', KEYS.down)
  expect(r.lastFrame()).toBe('selected=3')
  await r.press('k', KEYS.up)
  expect(r.lastFrame()).toBe('selected=1')
  await r.press('G')
  expect(r.lastFrame()).toBe('selected=11')
  await r.press('j')
  expect(r.lastFrame()).toBe('selected=11')
  await r.press('\u001B[5~') // PgUp
  expect(r.lastFrame()).toBe('selected=6')
  await r.press('g', 'k')
  expect(r.lastFrame()).toBe('selected=0')
  r.instance.rerender(<Nav length={0} />)
  await r.waitFor((f) => f === 'selected=0')
})

test('usePoll: calls the service on the interval, never overlapping, and stops on unmount', async () => {
  let calls = 0
  let running = 0
  let overlapped = false
  const load = async () => {
    calls++
    running++
    if (running > 1) overlapped = true
    await new Promise((resolve) => setTimeout(resolve, 30))
    running--
    return calls
  }
  function Poller() {
    const state = usePoll(load, 10)
    return (
      <Text>
        ticks={state.ticks} data={state.data ?? '-'}
      </Text>
    )
  }
  r = renderInk(<Poller />)
  await r.waitFor((f) => /ticks=3 /.test(f))
  expect(overlapped).toBe(false)
  r.unmount()
  const after = calls
  await new Promise((resolve) => setTimeout(resolve, 100))
  expect(calls).toBe(after)
})

test('usePoll reports a failure and keeps polling', async () => {
  let n = 0
  function Poller() {
    const state = usePoll(async () => {
      if (++n === 1) throw new Error('broker down')
      return n
    }, 150)
    return (
      <Text>
        {state.error?.message ?? ''} data={state.data ?? '-'}
      </Text>
    )
  }
  r = renderInk(<Poller />)
  await r.waitFor((f) => f.includes('broker down'))
  await r.waitFor((f) => /data=[2-9]/.test(f))
})

test('useTerminalSize follows resizes', async () => {
  function Size() {
    const {columns, rows} = useTerminalSize()
    return (
      <Text>
        {columns}x{rows}
      </Text>
    )
  }
  r = renderInk(<Size />, {columns: 80, rows: 24})
  expect(r.lastFrame()).toBe('80x24')
  r.resize(120, 40)
  await r.waitFor((f) => f === '120x40')
})
