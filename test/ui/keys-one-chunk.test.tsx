// Keys that reach the dashboard in one stdin read: a terminal hands over everything typed since the last read, so
// on a busy machine (or from tmux send-keys with several keys) Tab, Enter and letters arrive as one chunk. Each key
// must have its effect, as if typed alone.
import {afterEach, test} from 'vitest'

import {App} from '../../src/ui/components/App.js'
import {KEYS, type Rendered, renderInk} from '../helpers/ink.js'
import {fakeServices} from './fake-services.js'

let r: Rendered | undefined
afterEach(() => r?.unmount())

test('Tab and Enter in one chunk: the DLQ pane gets the focus and Enter opens the DLQ', async () => {
  r = renderInk(<App services={fakeServices().services} intervalMs={50} />)
  await r.waitFor((f) => f.includes('rejected 2'))
  await r.press(`${KEYS.tab}${KEYS.enter}`)
  await r.waitFor((f) => f.includes('Messages (3)'), 10_000)
})

test('a filter typed and kept in one chunk, then the next key in the same chunk as Enter', async () => {
  r = renderInk(<App services={fakeServices().services} intervalMs={50} />)
  await r.waitFor((f) => f.includes('rejected 2'))
  await r.press(`/orders.dlq${KEYS.enter}${KEYS.tab}`)
  await r.waitFor(
    (f) => f.includes('filter: orders.dlq') && f.includes('▸ Dead-letter queues (1)') && !f.includes('Enter keeps'),
    10_000,
  )
  await r.press(`${KEYS.enter}x`)
  await r.waitFor((f) => f.includes('Type "orders.dlq" to confirm'), 10_000)
  // The typed name, a slip, Backspace and Enter in one chunk: confirmed as if typed key by key.
  await r.press(`orders.dlqq${KEYS.backspace}${KEYS.enter}`)
  await r.waitFor((f) => f.includes('0 dead letter(s)'), 10_000)
})
