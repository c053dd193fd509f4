// Kafka offsets travel as decimal strings (they may exceed 2^53). Comparing them as text spares a replay two BigInts
// per message: for canonical non-negative integers the shorter one is smaller, and equal lengths compare as text.

export function offsetBelow(a: string, b: string): boolean {
  if (a.startsWith('-') || b.startsWith('-')) return BigInt(a) < BigInt(b)
  return a.length === b.length ? a < b : a.length < b.length
}

export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString()
}
