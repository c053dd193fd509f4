// "Did you mean ...?" for names typed by hand: commands, topics and flags, config keys, filter fields.

/**
 * The candidate nearest to `word`, or undefined when none is close: the same letters in another case first, then a
 * candidate it starts (`repl` -> `replay`), then the fewest edits (at most a third of the word, at most 3).
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase()
  const allowed = Math.max(1, Math.min(3, Math.floor(word.length / 3)))
  let best: {name: string; distance: number} | undefined
  for (const candidate of candidates) {
    const distance = distanceTo(lower, candidate.toLowerCase())
    if (distance <= allowed && (!best || distance < best.distance)) best = {name: candidate, distance}
  }
  return best?.name
}

function distanceTo(word: string, candidate: string): number {
  if (word === candidate) return 0
  if (word.length >= 2 && candidate.startsWith(word)) return 0.5
  return editDistance(word, candidate)
}

/** Levenshtein distance, with a transposition counted as one edit (`tial` -> `tail`, "raeson" -> "reason"). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1)
    }
  }
  return rows[a.length][b.length]
}
