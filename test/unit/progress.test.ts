// The one progress line: silent off a terminal, at most 10 redraws a second, a rate over the last seconds (not the
// whole run's average), ETA, failures, colour only where allowed, erased at the end.
import {describe, expect, it} from 'vitest'

import {progressReporter, progressText} from '../../src/core/output/progress.js'

function fakeTerminal(isTTY = true): NodeJS.WriteStream & {written: string[]} {
  const written: string[] = []
  return {isTTY, written, write: (chunk: string) => written.push(chunk) > 0} as unknown as NodeJS.WriteStream & {
    written: string[]
  }
}

function clock(): {now: () => number; advance: (ms: number) => void} {
  let t = 0
  return {now: () => t, advance: (ms) => (t += ms)}
}

describe('progressReporter', () => {
  it('writes nothing at all when the stream is not a terminal', () => {
    const stream = fakeTerminal(false)
    const line = progressReporter({label: 'published', total: 10, stream})
    for (let i = 1; i <= 10; i++) line.update({done: i, failed: 1})
    line.end()
    expect(stream.written).toEqual([])
  })

  it('redraws at most 10 times a second, each time in place, and erases the line at the end', () => {
    const stream = fakeTerminal()
    const c = clock()
    const line = progressReporter({label: 'published', total: 1000, stream, now: c.now, env: {}})
    for (let i = 1; i <= 1000; i++) {
      line.update({done: i})
      c.advance(1)
    }
    expect(stream.written.length).toBeLessThanOrEqual(10)
    expect(stream.written.length).toBeGreaterThanOrEqual(9)
    // eslint-disable-next-line no-control-regex -- the terminal escapes are what is asserted
    for (const w of stream.written) expect(w).toMatch(/^\r.*\x1b\[K$/)
    line.end()
    expect(stream.written.at(-1)).toBe('\r\x1b[K')
    line.update({done: 1000})
    expect(stream.written.at(-1)).toBe('\r\x1b[K')
  })

  it('reports the recent rate and an ETA from it when the run slows down', () => {
    const stream = fakeTerminal()
    const c = clock()
    const line = progressReporter({label: 'exported', total: 2000, stream, now: c.now, env: {}})
    let done = 0
    // 10 s at 100/s, then 10 s at 10/s: the whole run averages 55/s, the last seconds 10/s.
    for (let s = 0; s < 100; s++, c.advance(100)) line.update({done: (done += 10)})
    for (let s = 0; s < 100; s++, c.advance(100)) line.update({done: (done += 1)})
    expect(stream.written.at(-1)).toBe('\rexported 1,100/2,000 (55%), 10/s, ETA 1m30s\x1b[K')
  })

  it('shows failures, in red only where colour is allowed', () => {
    const line = (env: NodeJS.ProcessEnv) => {
      const stream = fakeTerminal()
      progressReporter({label: 'imported', stream, env, now: () => 0}).update({done: 5, failed: 2})
      return stream.written[0]
    }
    expect(line({NO_COLOR: '1'})).toBe('\rimported 5, 2 failed\x1b[K')
    expect(line({TERM: 'xterm'})).toBe('\rimported 5, \x1b[31m2 failed\x1b[39m\x1b[K')
  })
})

describe('progressText', () => {
  it('drops a total the count has passed (broker statistics can be stale) and adds the detail after the count', () => {
    expect(progressText('exported', {done: 120}, 0, 40)).toBe('exported 120, 40/s')
    expect(progressText('exported', {done: 120}, 100, 40)).toBe('exported 120, 40/s')
    expect(progressText('replay: read', {done: 50, detail: '48 replayed', failed: 2}, 200, 25)).toBe(
      'replay: read 50/200 (25%), 48 replayed, 25/s, ETA 6s, 2 failed',
    )
    expect(progressText('published', {done: 200}, 200, 25)).toBe('published 200/200 (100%), 25/s')
  })
})
