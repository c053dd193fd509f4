// The DLQ view's actions as a small state machine: dry-run plan -> typed confirmation -> live progress -> result
// for replay; typed confirmation for purge; a file name for export. The work itself is the core services'. With
// marked messages, each action takes exactly those (their ids, as --select on the command line).
import type {Key} from 'ink'
import {useCallback, useRef, useState} from 'react'

import type {BrokerKind} from '../../model/broker.js'
import {asMailroomError} from '../../model/errors.js'
import type {PurgeResult} from '../../core/dlq/purge.js'
import {heldElsewhereWarning} from '../../core/dlq/purge-report.js'
import type {ReplayPlan} from '../../core/replay/plan.js'
import type {ReplayCounts, ReplayReport, ReplayRequest, SourceFacts} from '../../core/replay/types.js'
import {isConfirmed} from '../../core/guard.js'
import {isPrintable} from '../components/TextInput.js'
import type {DashboardServices} from '../services.js'

export type ActionState =
  | {kind: 'idle'}
  | {kind: 'busy'; title: string}
  | {kind: 'plan'; plan: ReplayPlan; request: ReplayRequest; next?: 'replay'}
  | {
      kind: 'confirm'
      title: string
      detail: string[]
      word: string
      typed: string
      mismatch?: boolean
      confirm(typed: string): void
      cancel(): void
    }
  | {kind: 'input'; title: string; typed: string; submit(value: string): void; cancel(): void}
  | {kind: 'progress'; title: string; counts?: ReplayCounts; total?: number}
  | {kind: 'result'; title: string; lines: string[]; ok: boolean}

export interface DlqActions {
  state: ActionState
  /**
   * The keys of an open dialog (typing, Enter, Esc); true when the key was for it. The view's one key handler
   * calls this first, reading the latest state, so keys typed faster than renders are never misrouted.
   */
  handleKey(input: string, key: Key): boolean
  plan(): void
  replay(): void
  purge(): void
  exportFile(): void
  /** Esc: cancels a prompt, stops a running replay, or closes the panel. */
  dismiss(): void
  /** Enter on a plan: go on to the replay. */
  proceed(): void
}

/**
 * @param marked the ids of the marked messages at the moment a key is pressed (undefined: none marked, the whole DLQ).
 */
export function useDlqAction(
  services: DashboardServices,
  broker: BrokerKind,
  name: string,
  onChanged: () => void,
  marked: () => string[] | undefined = () => undefined,
): DlqActions {
  const [state, setRendered] = useState<ActionState>({kind: 'idle'})
  const latest = useRef<ActionState>(state)
  const setState = (next: ActionState) => {
    latest.current = next
    setRendered(next)
  }
  const running = useRef<AbortController | undefined>(undefined)
  // The actions are memoised per DLQ: they read the marks through the latest render's function.
  const markedNow = useRef(marked)
  markedNow.current = marked
  const ref = `${broker}:${name}`
  /** What an action is for: the DLQ, or its marked messages. */
  const what = (select: string[] | undefined) => (select ? `the ${select.length} marked message(s) of ${ref}` : ref)

  const fail = (title: string, error: unknown) => {
    const e = asMailroomError(error)
    setState({
      kind: 'result',
      title,
      ok: false,
      lines: [`${e.code}: ${e.message}`, ...e.suggestions.map((s) => `Try: ${s}`)],
    })
  }

  const plan = useCallback(
    (next?: 'replay') => {
      const controller = new AbortController()
      running.current = controller
      const select = markedNow.current()
      const request = services.replayRequest(broker, name, select)
      setState({kind: 'busy', title: `Planning the replay of ${what(select)} (dry run)…`})
      services
        .planReplay(request, controller.signal)
        .then((p) => setState({kind: 'plan', plan: p, request, ...(next ? {next} : {})}))
        .catch((error) => fail('Dry run failed', error))
    },
    [broker, name],
  )

  const runReplay = useCallback(
    (request: ReplayRequest) => {
      const controller = new AbortController()
      running.current = controller
      const warnings: string[] = []
      let asked = false
      setState({kind: 'busy', title: `Capturing the bound of ${ref}…`})
      const confirm = (facts: SourceFacts) => {
        asked = true
        return confirmed({
          title: `Replay ${what(request.select)} to the origin of each message`,
          detail: [
            `${request.select ? `the ${request.select.length} marked` : `${facts.count ?? 'all'}`} message(s)${request.select ? '' : ' within the bound'}, moved safely: published with confirmation, then removed from the DLQ.`,
          ],
          word: facts.target,
          then: () => setState({kind: 'progress', title: `Replaying ${ref}`, total: facts.count}),
          cancelled: 'replay cancelled: nothing was changed',
        })
      }
      services
        .replay(request, {
          signal: controller.signal,
          confirm,
          onProgress: (counts, total) =>
            setState({kind: 'progress', title: `Replaying ${ref}`, counts: {...counts}, total}),
          onAuditFailure: (w) => warnings.push(w),
        })
        .then((report) => {
          const ok = report.leftBehind === 0 && !report.stopped && warnings.length === 0
          setState({
            kind: 'result',
            title: `Replay ${report.replayId}`,
            ok: ok && !report.selectedNotFound,
            lines: [...reportLines(report), ...warningLines(warnings)],
          })
          onChanged()
        })
        .catch((error) => {
          if ((error as {cancelled?: boolean}).cancelled) setState({kind: 'idle'})
          else fail(asked ? 'Replay failed' : 'Replay refused', error)
        })
    },
    [broker, name, onChanged],
  )

  const purge = useCallback(() => {
    const warnings: string[] = []
    let asked = false
    const select = markedNow.current()
    setState({kind: 'busy', title: `Counting ${what(select)}…`})
    const confirm = (dry: PurgeResult) => {
      asked = true
      return confirmed({
        title: `Purge ${what(select)}`,
        detail: [
          `${dry.purged ?? 'every'} message(s)${select ? ` of the ${select.length} marked` : ''} will be deleted for good.`,
          ...notFoundLines(dry.notFound),
        ],
        word: name,
        then: () => setState({kind: 'busy', title: `Purging ${ref}…`}),
        cancelled: 'purge cancelled: nothing was changed',
      })
    }
    services
      .purge(broker, name, {confirm, onAuditFailure: (w) => warnings.push(w)}, select)
      .then((r) => {
        const lines = [
          `${r.purged ?? 'all'} message(s) deleted (${r.method}).`,
          ...notFoundLines(r.notFound),
          ...[heldElsewhereWarning(r)].filter((line) => line !== undefined),
          ...warningLines(warnings),
        ]
        const ok = warnings.length === 0 && !r.notFound && !r.heldElsewhere
        setState({kind: 'result', title: `Purged ${what(select)}`, ok, lines})
        onChanged()
      })
      .catch((error) => {
        if ((error as {cancelled?: boolean}).cancelled) setState({kind: 'idle'})
        else fail(asked ? 'Purge failed' : 'Purge refused', error)
      })
  }, [broker, name, onChanged])

  /** The typed confirmation (the guard's, core/guard.ts): resolves with what was typed (after `then`), rejects as cancelled on Esc. */
  const confirmed = (o: {title: string; detail: string[]; word: string; then(): void; cancelled: string}) =>
    new Promise<string>((resolve, reject) => {
      setState({
        kind: 'confirm',
        title: o.title,
        detail: o.detail,
        word: o.word,
        typed: '',
        confirm: (typed) => {
          o.then()
          resolve(typed)
        },
        cancel: () => reject(Object.assign(new Error(o.cancelled), {cancelled: true})),
      })
    })

  const exportFile = useCallback(() => {
    const initial = `${broker}-${name.replace(/[^\w.-]+/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '').slice(0, 15)}.ndjson`
    const select = markedNow.current()
    setState({
      kind: 'input',
      title: `Export ${what(select)} as NDJSON envelopes to the file:`,
      typed: initial,
      cancel: () => setState({kind: 'idle'}),
      submit: (file) => {
        const controller = new AbortController()
        running.current = controller
        setState({kind: 'busy', title: `Exporting ${what(select)} to ${file}…`})
        services
          .exportDlq(broker, name, file, controller.signal, select)
          .then((stats) =>
            setState({
              kind: 'result',
              title: `Exported ${what(select)}`,
              ok: !stats.notFound,
              lines: [
                `${stats.matched} message(s) written to ${file}${stats.truncated ? ' (stopped at the peek limit)' : ''}; the DLQ is unchanged.`,
                ...notFoundLines(stats.notFound),
              ],
            }),
          )
          .catch((error) => fail('Export failed', error))
      },
    })
  }, [broker, name])

  const dismiss = () => {
    const current = latest.current
    if (current.kind === 'confirm' || current.kind === 'input') return current.cancel()
    if (current.kind === 'progress' || current.kind === 'busy') return running.current?.abort()
    setState({kind: 'idle'})
  }

  const proceed = () => {
    const current = latest.current
    if (current.kind === 'plan') runReplay(current.request)
  }

  const handleKey = (input: string, key: Key): boolean => {
    const current = latest.current
    if (current.kind === 'idle') return false
    if (key.escape) dismiss()
    else if (current.kind === 'confirm' || current.kind === 'input') typeInto(current, input, key)
    else if (key.return && current.kind === 'plan') proceed()
    else if (key.return && current.kind === 'result') dismiss()
    return true
  }

  const typeInto = (current: Extract<ActionState, {kind: 'confirm' | 'input'}>, input: string, key: Key) => {
    if (key.return) {
      if (current.kind === 'input') return current.typed.trim() && current.submit(current.typed.trim())
      return isConfirmed(current.typed, current.word)
        ? current.confirm(current.typed)
        : setState({...current, mismatch: true})
    }
    const typed =
      key.backspace || key.delete
        ? current.typed.slice(0, -1)
        : !key.ctrl && !key.meta && isPrintable(input)
          ? current.typed + input
          : current.typed
    setState(current.kind === 'confirm' ? {...current, typed, mismatch: false} : {...current, typed})
  }

  /** A read-only context offers no action at all: the key explains why instead. */
  const unlessReadOnly = (what: string, action: () => void) => () => {
    if (!services.readOnly) return action()
    setState({
      kind: 'result',
      title: `No ${what} here`,
      ok: false,
      lines: [`Context "${services.context.name ?? ''}" is read-only: no replay, purge or export from the dashboard.`],
    })
  }
  return {
    state,
    plan: unlessReadOnly('dry run', () => plan()),
    replay: unlessReadOnly('replay', () => plan('replay')),
    purge: unlessReadOnly('purge', purge),
    exportFile: unlessReadOnly('export', exportFile),
    handleKey,
    dismiss,
    proceed,
  }
}

function notFoundLines(notFound: number | undefined): string[] {
  return notFound
    ? [`${notFound} marked message(s) not found in the DLQ: moved, purged or aged out since they were marked.`]
    : []
}

function warningLines(warnings: string[]): string[] {
  return warnings.map((w) => `warning: ${w}`)
}

export function reportLines(r: ReplayReport): string[] {
  const c = r.counts
  const to = Object.entries(r.byDestination)
    .map(([d, n]) => `${n} to ${d}`)
    .join(', ')
  const lines = [
    `replayed ${c.replayed} of ${c.examined} read${to ? ` (${to})` : ''} in ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `filtered ${c.filtered}, skipped ${c.skipped}, failed ${c.failed}, possible duplicates ${c.possibleDuplicates}`,
  ]
  for (const f of r.failures.slice(0, 3))
    lines.push(`not replayed ${f.id} -> ${f.destination}: ${f.code}: ${f.message}`)
  if (r.stopped) lines.push(`stopped early: ${r.stopped.message}`)
  if (r.selectedNotFound) lines.push(...notFoundLines(r.selectedNotFound))
  if (r.leftBehind > 0)
    lines.push(`${r.leftBehind} left in the DLQ; continue with: mailroom dlq replay --resume ${r.replayId}`)
  return lines
}
