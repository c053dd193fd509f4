// A sparkline of recent samples, as text: one cell per bucket, eight levels (or ASCII when unicode is off).
const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█']
const ASCII = ['_', '.', '-', '~', '=', '+', '*', '#']

/**
 * The last `width` samples, scaled from 0 to the maximum. A series that does not change is a flat line: at the
 * bottom when it is zero, half way up otherwise (scaled, a constant would fill every cell and read as "maxed out").
 */
export function sparkline(values: readonly number[], width: number, o: {ascii?: boolean} = {}): string {
  if (width <= 0) return ''
  const levels = o.ascii ? ASCII : BLOCKS
  const recent = values.slice(-width)
  if (recent.length === 0) return ' '.repeat(width)
  const max = Math.max(...recent)
  if (recent.every((v) => v === max)) return levels[max === 0 ? 0 : 3].repeat(recent.length).padStart(width)
  const min = Math.min(0, ...recent)
  const span = max - min
  const cells = recent.map((v) => levels[Math.round(((v - min) / span) * (levels.length - 1))])
  return cells.join('').padStart(width)
}
