// A live tail pane through the core tail service (non-destructive, from now on); redraws at most 4 times a second.
import {useEffect, useState} from 'react'

import type {BrokerKind} from '../../model/broker.js'
import type {Envelope} from '../../model/envelope/types.js'
import {asMailroomError} from '../../model/errors.js'
import type {DashboardServices} from '../services.js'

const KEEP = 200
const FLUSH_MS = 250

export interface TailState {
  messages: Envelope[]
  received: number
  error?: string
}

export function useTail(services: DashboardServices, broker: BrokerKind, target: string, paused: boolean): TailState {
  const [state, setState] = useState<TailState>({messages: [], received: 0})
  useEffect(() => {
    if (paused) return
    const controller = new AbortController()
    let pending: Envelope[] = []
    const flush = () => {
      if (pending.length === 0) return
      const batch = pending
      pending = []
      setState((s) => ({...s, messages: [...s.messages, ...batch].slice(-KEEP), received: s.received + batch.length}))
    }
    const timer = setInterval(flush, FLUSH_MS)
    const run = async () => {
      try {
        for await (const delivery of services.tail(broker, target, controller.signal)) pending.push(delivery.envelope)
      } catch (error) {
        if (!controller.signal.aborted) setState((s) => ({...s, error: asMailroomError(error).message}))
      }
    }
    void run()
    return () => {
      controller.abort()
      clearInterval(timer)
    }
  }, [broker, target, paused])
  return state
}
