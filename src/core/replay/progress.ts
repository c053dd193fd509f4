// A one-line progress bar on stderr, redrawn at most 10 times a second; only on a terminal.
import type {ReplayCounts} from './types.js'

const WIDTH = 24
const REDRAW_MS = 100

export interface Progress {
  update(counts: ReplayCounts): void
  done(): void
}

export function progressBar(total: number | undefined, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return {update() {}, done() {}}
  const started = performance.now()
  let last = 0
  let drawn = false
  let latest: ReplayCounts | undefined
  const draw = (c: ReplayCounts) => {
    const seconds = (performance.now() - started) / 1000
    const rate = seconds > 0 ? Math.round(c.replayed / seconds) : 0
    const fraction = total ? Math.min(1, c.examined / total) : 0
    const filled = Math.round(fraction * WIDTH)
    const bar = total ? `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${Math.floor(fraction * 100)}% ` : ''
    const of = total ? `/${total.toLocaleString('en-US')}` : ''
    stream.write(
      `\r${bar}${c.examined.toLocaleString('en-US')}${of} read, ${c.replayed.toLocaleString('en-US')} replayed, ${c.skipped + c.filtered} skipped, ${c.failed} failed, ${rate}/s\x1b[K`,
    )
    drawn = true
  }
  return {
    update(counts) {
      latest = counts
      const now = performance.now()
      if (now - last < REDRAW_MS) return
      last = now
      draw(counts)
    },
    done() {
      if (latest) draw(latest)
      if (drawn) stream.write('\n')
    },
  }
}
