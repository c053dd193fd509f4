// A DLQ's dead letters for its view, read through the DLQ service; re-read on demand (after an action).
import {useCallback, useEffect, useState} from 'react'

import type {BrokerKind} from '../../model/broker.js'
import {asMailroomError} from '../../model/errors.js'
import type {DashboardServices, DlqContents} from '../services.js'

export interface DlqState {
  contents?: DlqContents
  loading: boolean
  error?: string
  reload(): void
}

export function useDlq(services: DashboardServices, broker: BrokerKind, name: string): DlqState {
  const [generation, setGeneration] = useState(0)
  const [state, setState] = useState<Omit<DlqState, 'reload'>>({loading: true})
  useEffect(() => {
    const controller = new AbortController()
    setState((s) => ({...s, loading: true}))
    services
      .readDlq(broker, name, {signal: controller.signal})
      .then((contents) => !controller.signal.aborted && setState({contents, loading: false}))
      .catch((error) => !controller.signal.aborted && setState({loading: false, error: asMailroomError(error).message}))
    return () => controller.abort()
  }, [broker, name, generation])
  const reload = useCallback(() => setGeneration((g) => g + 1), [])
  return {...state, reload}
}
