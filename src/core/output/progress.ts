// The one live progress line of long CLI runs (replay, export, import, publish, tail --until-end): done/total, rate
// over a sliding window, ETA and failures, rewritten in place on stderr at most 10 times a second and erased before
// the summary. Nothing at all when the stream is not a terminal, so logs and CI output hold only the summary.
import {formatDurationSeconds} from './human-units.js'
import {colorEnabled} from './terminal.js'

const REDRAW_MS = 100
const RATE_WINDOW_MS = 5000

export interface ProgressCounts {
  done: number
  failed?: number
  /** A few words more, e.g. "480 replayed"; a function is called only when the line is drawn. */
  detail?: string | (() => string)
}

export interface ProgressReporter {
  update(counts: ProgressCounts): void
  /** Erases the line (e.g. before a warning); the next update draws it again. */
  clear(): void
  /** Erases the line for good: the summary follows. */
  end(): void
}

export interface ProgressOptions {
  /** What is counted, e.g. "exported", "published". */
  label: string
  total?: number
  /** False when the line must not be drawn even on a terminal (the results are being printed to it). */
  enabled?: boolean
  stream?: NodeJS.WriteStream
  env?: NodeJS.ProcessEnv
  now?: () => number
}

const SILENT: ProgressReporter = {update() {}, clear() {}, end() {}}

export function progressReporter(o: ProgressOptions): ProgressReporter {
  const stream = o.stream ?? process.stderr
  if (o.enabled === false || !stream.isTTY) return SILENT
  const now = o.now ?? (() => performance.now())
  const color = colorEnabled(stream, o.env)
  const rate = new SlidingRate(now)
  let lastDraw = -Infinity
  let drawn = false
  let ended = false
  const erase = () => {
    if (drawn) stream.write('\r\x1b[K')
    drawn = false
  }
  return {
    update(counts) {
      if (ended) return
      rate.add(counts.done)
      if (now() - lastDraw < REDRAW_MS) return
      lastDraw = now()
      stream.write(`\r${progressText(o.label, counts, o.total, rate.perSecond(), color)}\x1b[K`)
      drawn = true
    },
    clear: erase,
    end() {
      erase()
      ended = true
    },
  }
}

/** `exported 1,200/5,000 (24%), 850/s, ETA 5s, 2 failed`; a detail goes after the count. */
export function progressText(
  label: string,
  counts: ProgressCounts,
  total: number | undefined,
  perSecond: number | undefined,
  color = false,
): string {
  // A total from stale broker statistics (RabbitMQ's are up to 5 s old) is dropped once it is exceeded.
  const of = total && counts.done <= total ? total : undefined
  const parts = [
    `${label} ${number(counts.done)}${of === undefined ? '' : `/${number(of)} (${percent(counts.done, of)}%)`}`,
  ]
  const detail = typeof counts.detail === 'function' ? counts.detail() : counts.detail
  if (detail) parts.push(detail)
  if (perSecond !== undefined) parts.push(`${number(Math.round(perSecond))}/s`)
  if (of !== undefined && perSecond && counts.done < of)
    parts.push(`ETA ${formatDurationSeconds(Math.ceil((of - counts.done) / perSecond))}`)
  if (counts.failed)
    parts.push(color ? `\x1b[31m${number(counts.failed)} failed\x1b[39m` : `${number(counts.failed)} failed`)
  return parts.join(', ')
}

/** Messages per second over the last few seconds, so the ETA follows a run that speeds up or slows down. */
class SlidingRate {
  private readonly samples: {at: number; done: number}[] = []

  /** Starts at 0 done now: a run shorter than one redraw still gets its rate. */
  constructor(private readonly now: () => number) {
    this.samples.push({at: now(), done: 0})
  }

  add(done: number): void {
    const at = this.now()
    const previous = this.samples.at(-2)
    // About one sample per redraw: a replay updates per message.
    if (previous && at - previous.at < REDRAW_MS) this.samples[this.samples.length - 1] = {at, done}
    else this.samples.push({at, done})
    while (this.samples.length > 2 && at - this.samples[1].at >= RATE_WINDOW_MS) this.samples.shift()
  }

  /** Undefined until time has passed since the start. */
  perSecond(): number | undefined {
    const first = this.samples[0]
    const last = this.samples.at(-1)
    if (!first || !last || last.at <= first.at) return undefined
    return ((last.done - first.done) * 1000) / (last.at - first.at)
  }
}

const GROUPED = new Intl.NumberFormat('en-US')

/** `12,345`: one formatter for every call (toLocaleString builds one each time). */
export function formatCount(n: number): string {
  return GROUPED.format(n)
}

const number = formatCount

function percent(done: number, total: number): number {
  return Math.floor((done / total) * 100)
}
