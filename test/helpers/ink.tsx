// A rendering harness for Ink 6 components: a fake terminal of any size (resizable), keys written to stdin, and
// waitFor() polling the last frame. ink-testing-library works with Ink 6 and useInput, but its terminal is fixed at
// 100 columns with no rows and no resize, and the dashboard must be tested at 80x24.
import {EventEmitter} from 'node:events'

import {type Instance, render} from 'ink'
import type {ReactElement} from 'react'

class FakeStdout extends EventEmitter {
  frames: string[] = []
  isTTY = true
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super()
  }
  write = (frame: string) => {
    this.frames.push(frame)
    return true
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true
  private chunks: string[] = []
  write(data: string) {
    this.chunks.push(data)
    this.emit('readable')
  }
  read = () => this.chunks.shift() ?? null
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  enter: '\r',
  escape: '\u001B',
  tab: '\t',
  backspace: '\u007F',
} as const

export interface Rendered {
  lastFrame(): string
  /** Writes keys one at a time, letting Ink and React settle after each. */
  press(...keys: string[]): Promise<void>
  type(text: string): Promise<void>
  /** Writes keys as separate chunks in one tick: faster than any render. */
  burst(...keys: string[]): Promise<void>
  resize(columns: number, rows: number): void
  waitFor(predicate: (frame: string) => boolean, timeoutMs?: number): Promise<string>
  unmount(): void
  instance: Instance
}

export function renderInk(tree: ReactElement, o: {columns?: number; rows?: number} = {}): Rendered {
  const stdout = new FakeStdout(o.columns ?? 80, o.rows ?? 24)
  const stdin = new FakeStdin()
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  })
  const lastFrame = () => stdout.frames.at(-1) ?? ''
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20))
  return {
    instance,
    lastFrame,
    async press(...keys) {
      for (const key of keys) {
        stdin.write(key)
        await settle()
      }
    },
    async burst(...keys) {
      for (const key of keys) stdin.write(key)
      await settle()
    },
    async type(text) {
      for (const ch of text) {
        stdin.write(ch)
        await settle()
      }
    },
    resize(columns, rows) {
      stdout.columns = columns
      stdout.rows = rows
      stdout.emit('resize')
    },
    async waitFor(predicate, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        if (predicate(lastFrame())) return lastFrame()
        await settle()
      }
      throw new Error(`timed out waiting for the frame; last frame:\n${lastFrame()}`)
    },
    unmount() {
      instance.unmount()
    },
  }
}

/** A frame without its ANSI styles (colour, inverse, bold). */
// eslint-disable-next-line no-control-regex
export const plainFrame = (frame: string) => frame.replace(/\u001B\[[0-9;]*m/g, '')
