// What an idle dashboard writes to its terminal: nothing when a refresh changed nothing on screen, the new value when
// one did. Ink as the dashboard runs it (not its debug mode, which writes every render), with a spy for a terminal.
import {EventEmitter} from 'node:events'

import {render} from 'ink'
import {afterEach, expect, test, vi} from 'vitest'

import {App} from '../../src/ui/components/App.js'
import type {OverviewData} from '../../src/ui/services.js'
import {plainFrame} from '../helpers/ink.js'
import {fakeServices} from './fake-services.js'

// Ink writes only the final frame when CI is set (read once, on import); the dashboard command forgets CI in a
// terminal before loading Ink (src/commands/dashboard.ts), and so does this test, before its imports run.
vi.hoisted(() => {
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
})

class TerminalSpy extends EventEmitter {
  columns = 120
  rows = 40
  isTTY = true
  writes: string[] = []
  write = (data: string) => {
    this.writes.push(data)
    return true
  }
}

class IdleStdin extends EventEmitter {
  isTTY = true
  read = () => null
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

const INTERVAL_MS = 100
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let unmount: (() => void) | undefined
afterEach(() => unmount?.())

test('a refresh that changes nothing on screen writes nothing; a changed depth is written', async () => {
  const {services} = fakeServices({targets: 60})
  let depth = 1
  const overview = services.overview.bind(services)
  Object.assign(services, {
    overview: async (): Promise<OverviewData> => {
      const data = await overview()
      return {...data, targets: data.targets.map((t) => (t.name === 'topic-001' ? {...t, depth} : t))}
    },
  })
  const terminal = new TerminalSpy()
  const instance = render(<App services={services} intervalMs={INTERVAL_MS} />, {
    stdout: terminal as unknown as NodeJS.WriteStream,
    stdin: new IdleStdin() as unknown as NodeJS.ReadStream,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 20,
  })
  unmount = () => instance.unmount()
  const screen = () => plainFrame(terminal.writes.join(''))
  const lastFrame = () => screen().slice(screen().lastIndexOf('mailroom dev'))
  // Counted reasons, and trends as wide as their column (a trend grows by a cell per refresh until then).
  for (
    const deadline = Date.now() + 30_000;
    !/rejected 2/.test(lastFrame()) || !/kafka:topic-001 .* ▄{20}/.test(lastFrame());
    await sleep(20)
  )
    if (Date.now() > deadline) throw new Error(`no full overview:\n${screen().slice(-4000)}`)
  await sleep(INTERVAL_MS * 2)

  const before = terminal.writes.length
  await sleep(INTERVAL_MS * 20) // 20 refreshes (and the broker states' slower ones) with nothing new to show
  expect(terminal.writes.slice(before)).toEqual([])

  depth = 4321
  for (const deadline = Date.now() + 10_000; !terminal.writes.slice(before).join('').includes('4,321'); await sleep(20))
    if (Date.now() > deadline) throw new Error(`the new depth was never written:\n${lastFrame()}`)
  expect(plainFrame(terminal.writes.slice(before).join(''))).toMatch(/kafka:topic-001\s+4,321\s/)
}, 60_000)
