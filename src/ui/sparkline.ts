// A sparkline of recent samples, as text: one cell per bucket, eight levels (or ASCII when unicode is off).
const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█']
const ASCII = ['_', '.', '-', '~', '=', '+', '*', '#']

/** The last `width` samples, scaled from 0 (or the minimum, when every value is large) to the maximum. */
export function sparkline(values: readonly number[], width: number, o: {ascii?: boolean} = {}): string {
  if (width <= 0) return ''
  const levels = o.ascii ? ASCII : BLOCKS
  const recent = values.slice(-width)
  if (recent.length === 0) return ' '.repeat(width)
  const max = Math.max(...recent)
  const min = Math.min(0, ...recent)
  const span = max - min
  const cells = recent.map((v) => (span === 0 ? (max === 0 ? levels[0] : levels[3]) : levels[Math.round(((v - min) / span) * (levels.length - 1))]))
  return cells.join('').padStart(width)
}
