// What a purge's result says beyond its counts, for the command and the dashboard alike (which loads the purge
// itself only when asked to purge).
import {HELD_WAIT_MS} from '../../adapters/types.js'
import type {PurgeResult} from './purge.js'

/** Messages other readers held, left unexamined: a partial purge (exit 8 on the command line). */
export function heldElsewhereWarning(r: Pick<PurgeResult, 'target' | 'heldElsewhere' | 'method'>): string | undefined {
  if (!r.heldElsewhere) return undefined
  const left = r.method === 'purge' ? 'not purged' : 'not examined'
  return `${r.heldElsewhere} message(s) of ${r.target} stayed held unacknowledged by another reader (a consumer, or a peek) for ${HELD_WAIT_MS / 1000} s and were ${left}: they stay in the DLQ; purge again once they are back`
}
