// Small text helpers for fixed-width terminal cells.

/** Pads or cuts text to exactly `width` cells; cut text ends with an ellipsis. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return ''
  const cut = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text
  return align === 'right' ? cut.padStart(width) : cut.padEnd(width)
}

/** Like fit, but cuts in the middle: names that share a long prefix stay distinguishable by their ends. */
export function fitMiddle(text: string, width: number): string {
  if (text.length <= width) return text.padEnd(Math.max(0, width))
  if (width < 5) return fit(text, width)
  const tail = Math.floor((width - 1) / 2)
  return `${text.slice(0, width - 1 - tail)}…${text.slice(text.length - tail)}`
}

/**
 * The width of a name column: as wide as its longest name (or its header), so names are cut only when the pane has
 * no room left; never more than `room` (what the other columns leave), never less than `least`.
 */
export function nameColumnWidth(names: readonly string[], header: string, room: number, least: number): number {
  const wanted = Math.max(header.length, ...names.map((n) => n.length))
  return Math.max(least, Math.min(wanted, room))
}

/** 1234 -> "1,234"; 1_234_567 -> "1.2M"; undefined -> "-". */
export function count(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-'
  const abs = Math.abs(n)
  if (abs >= 10_000_000) return `${(n / 1_000_000).toFixed(0)}M`
  if (abs >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`
  if (abs >= 100_000) return `${(n / 1000).toFixed(0)}k`
  return Math.round(n).toLocaleString('en-US')
}

export function rate(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '-'
  if (n === 0) return '0'
  if (Math.abs(n) < 10) return n.toFixed(1)
  return count(n)
}

export function seconds(s: number | undefined): string {
  if (s === undefined || Number.isNaN(s)) return '-'
  if (s < 60) return `${Math.round(s)}s`
  if (s < 3600) return `${Math.round(s / 60)}m`
  if (s < 86_400) return `${(s / 3600).toFixed(1)}h`
  return `${(s / 86_400).toFixed(1)}d`
}

export function clock(d: Date): string {
  return d.toTimeString().slice(0, 8)
}

/** Indexes [start, end) of the rows to show so that `selected` stays visible in `height` rows. */
export function visibleWindow(total: number, selected: number, height: number): {start: number; end: number} {
  if (height <= 0) return {start: 0, end: 0}
  if (total <= height) return {start: 0, end: total}
  const start = Math.min(Math.max(0, selected - Math.floor(height / 2)), total - height)
  return {start, end: start + height}
}

export function clamp(n: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, n))
}
