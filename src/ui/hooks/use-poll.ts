// Calls a core service on a timer: start to start, never overlapping, stopped on unmount.
import {useEffect, useRef, useState} from 'react'

import {type MailroomErrorInfo, asMailroomError} from '../../model/errors.js'

export interface PollState<T> {
  data?: T
  error?: MailroomErrorInfo
  /** Completed polls. */
  ticks: number
}

export interface PollOptions {
  paused?: boolean
  /**
   * An answer equal to the last one (as JSON) changes nothing: no render. For small answers that rarely change
   * (broker versions, the DLQ listing), whose every render would redraw the whole screen for nothing.
   */
  sameAsLast?: boolean
}

export function usePoll<T>(load: () => Promise<T>, intervalMs: number, o: PollOptions = {}): PollState<T> {
  const [state, setState] = useState<PollState<T>>({ticks: 0})
  const loadRef = useRef(load)
  loadRef.current = load
  useEffect(() => {
    if (o.paused) return
    let stopped = false
    let timer: NodeJS.Timeout | undefined
    const tick = async () => {
      const started = Date.now()
      try {
        const data = await loadRef.current()
        if (!stopped)
          setState((s) =>
            o.sameAsLast && !s.error && s.ticks > 0 && JSON.stringify(s.data) === JSON.stringify(data)
              ? s
              : {data, ticks: s.ticks + 1},
          )
      } catch (error) {
        if (!stopped) setState((s) => ({...s, error: asMailroomError(error).toInfo(), ticks: s.ticks + 1}))
      }
      if (!stopped) timer = setTimeout(tick, Math.max(0, intervalMs - (Date.now() - started)))
    }
    void tick()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [intervalMs, o.paused])
  return state
}
