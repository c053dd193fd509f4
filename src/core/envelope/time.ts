// Message timestamps as ISO 8601 text, the envelope's form.

let lastMillis = Number.NaN
let lastIso = ''

/**
 * The ISO time of a millisecond timestamp. Messages of a burst share their millisecond, and toISOString costs about
 * a microsecond per call on the read hot path, so the last conversion is kept.
 */
export function isoFromMillis(millis: number): string {
  if (millis !== lastMillis) {
    lastIso = new Date(millis).toISOString()
    lastMillis = millis
  }
  return lastIso
}
