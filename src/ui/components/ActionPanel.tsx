import {Box, Text} from 'ink'

import {confirmationPrompt} from '../../core/guard.js'
import {describeSelection} from '../../core/replay/selection.js'
import type {ActionState} from '../hooks/use-dlq-action.js'
import {tint, useTheme} from '../theme.js'
import {ProgressBar} from './ProgressBar.js'

export interface ActionPanelProps {
  state: ActionState
  width: number
}

/**
 * The DLQ view's dialog: a plan, a typed confirmation, a file name, live progress or the result. Only shows state:
 * its keys go through the view's handler (useDlqAction().handleKey).
 */
export function ActionPanel({state, width}: ActionPanelProps) {
  const theme = useTheme()
  if (state.kind === 'idle') return null
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={tint(theme, 'cyan')} paddingX={1} width={width}>
      {body(state, width - 4, theme.color)}
    </Box>
  )
}

function Typed({label, text}: {label: string; text: string}) {
  const theme = useTheme()
  return (
    <Text>
      <Text color={tint(theme, 'cyan')}>{label}</Text>
      {text}
      <Text inverse> </Text>
    </Text>
  )
}

function body(state: Exclude<ActionState, {kind: 'idle'}>, width: number, color: boolean) {
  const c = (name: string) => (color ? name : undefined)
  switch (state.kind) {
    case 'busy':
      return <Text>{state.title} (Esc stops)</Text>
    case 'plan': {
      const p = state.plan
      const skipped = Object.entries(p.skippedBy)
        .map(([why, n]) => `${n} ${why}`)
        .join(', ')
      return (
        <>
          <Text bold>Dry run of {p.source}: nothing was changed</Text>
          {p.selection ? (
            <>
              <Text wrap="truncate-end">selection: {describeSelection(p.selection.ids)}</Text>
              <Text dimColor wrap="truncate-end">
                as a command: mailroom dlq replay {p.source} {p.selection.ids.map((id) => `--select ${id}`).join(' ')}
              </Text>
            </>
          ) : null}
          <Text>
            would replay {p.wouldReplay} of{' '}
            {p.selection ? `the ${p.selection.ids.length} marked` : (p.total ?? p.examined)}
            {p.complete ? '' : ` (planned from a sample of ${p.examined})`}
            {skipped ? `, refuse ${skipped}` : ''}
          </Text>
          {p.destinations.slice(0, 4).map((d) => (
            <Text key={d.destination} wrap="truncate-end">
              {'  '}
              {String(d.count).padStart(6)} → {d.destination}
            </Text>
          ))}
          {p.headerChanges.removed.length ? (
            <Text wrap="truncate-end">headers removed: {p.headerChanges.removed.join(', ')}</Text>
          ) : null}
          {p.headerChanges.added.length ? (
            <Text wrap="truncate-end">headers added: {p.headerChanges.added.join(', ')}</Text>
          ) : null}
          {p.notes.slice(0, 2).map((n) => (
            <Text key={n} dimColor wrap="truncate-end">
              note: {n}
            </Text>
          ))}
          <Text color={c('cyan')}>
            {state.next === 'replay'
              ? `Enter: replay ${p.selection ? 'the marked messages ' : ''}to origin (you will type the name) · Esc: cancel`
              : 'Enter: replay · Esc: close'}
          </Text>
        </>
      )
    }
    case 'confirm':
      return (
        <>
          <Text bold color={c('yellow')}>
            {state.title}
          </Text>
          {state.detail.map((d) => (
            <Text key={d} wrap="truncate-end">
              {d}
            </Text>
          ))}
          <Typed label={`${confirmationPrompt(state.word)} (Esc cancels): `} text={state.typed} />
          {state.mismatch ? <Text color={c('red')}>That is not "{state.word}": nothing was changed.</Text> : null}
        </>
      )
    case 'input':
      return (
        <>
          <Text bold>{state.title}</Text>
          <Typed label="> " text={state.typed} />
        </>
      )
    case 'progress': {
      const counts = state.counts
      return (
        <>
          <Text bold>{state.title} (Esc stops safely)</Text>
          <ProgressBar done={counts?.examined ?? 0} total={state.total} width={width} />
          <Text>
            replayed {counts?.replayed ?? 0} · skipped {(counts?.skipped ?? 0) + (counts?.filtered ?? 0)} · failed{' '}
            {counts?.failed ?? 0}
          </Text>
        </>
      )
    }
    case 'result':
      return (
        <>
          <Text bold color={c(state.ok ? 'green' : 'red')}>
            {state.title}
          </Text>
          {state.lines.map((l) => (
            <Text key={l} wrap="truncate-end">
              {l}
            </Text>
          ))}
          <Text dimColor>Enter or Esc closes</Text>
        </>
      )
  }
}
