// Message timestamps as ISO 8601 text, the envelope's form.

/**
 * A converter from millisecond timestamps to ISO time that keeps its last conversion. Messages of a burst share
 * their millisecond, and toISOString costs about a microsecond per call on a hot path. Each hot path keeps its own,
 * so that two of them interleaving do not evict each other's.
 */
export function isoConverter(): (millis: number) => string {
  let lastMillis = Number.NaN
  let lastIso = ''
  return (millis) => {
    if (millis !== lastMillis) {
      lastIso = new Date(millis).toISOString()
      lastMillis = millis
    }
    return lastIso
  }
}

/** The ISO time of a millisecond timestamp (message timestamps on the read paths). */
export const isoFromMillis = isoConverter()
