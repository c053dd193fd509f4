import {Box, Text} from 'ink'
import {useEffect, useMemo} from 'react'

import type {BrokerKind} from '../../model/broker.js'
import {type DeathGroup, errorText, originLabel} from '../../core/dlq/inspect.js'
import type {Envelope} from '../../model/envelope/types.js'
import {messageIdentity} from '../../core/replay/identity.js'
import {count, fit, visibleWindow} from '../format.js'
import {useDlq} from '../hooks/use-dlq.js'
import {useDlqAction} from '../hooks/use-dlq-action.js'
import {useScreenKeys} from '../hooks/use-screen-keys.js'
import {useListNavigation} from '../hooks/use-list-navigation.js'
import {useSyncedState} from '../hooks/use-synced-state.js'
import type {DashboardServices} from '../services.js'
import {tint, useTheme} from '../theme.js'
import {ActionPanel} from './ActionPanel.js'
import {MessageList, messageLine} from './MessageList.js'

export interface DlqViewProps {
  services: DashboardServices
  broker: BrokerKind
  name: string
  /** The DLQ's depth from the target listing: the view reads at most its first DLQ_VIEW_LIMIT messages. */
  depth?: number
  filter: string
  active: boolean
  width: number
  height: number
  onOpenMessage(e: Envelope): void
}

/**
 * A DLQ's dead letters grouped by origin and reason (Enter on a group narrows the messages to it), the messages,
 * and the actions: d dry run, r replay to origin, x purge, e export. Space marks a message (or every message of a
 * group); with marks, the actions act on exactly the marked messages (by their ids, as --select), c clears them.
 */
export function DlqView({services, broker, name, depth, filter, active, width, height, onOpenMessage}: DlqViewProps) {
  const theme = useTheme()
  const dlq = useDlq(services, broker, name)
  // Marked messages (the read's own objects: twins in a queue share an id, yet are marked one by one).
  const marks = useSyncedState<ReadonlySet<Envelope>>(new Set())
  // A re-read (after an action) brings other messages: the marks were for the ones that are gone.
  useEffect(() => marks.set(new Set()), [dlq.contents])
  const markedIds = () => {
    const marked = marks.get()
    const all = dlq.contents?.messages ?? []
    return marked.size === 0
      ? undefined
      : all.filter((m) => marked.has(m)).map((m) => messageIdentity(m, broker, name).id)
  }
  const actions = useDlqAction(services, broker, name, dlq.reload, markedIds)
  const modal = actions.state.kind !== 'idle'
  const pane = useSyncedState<'groups' | 'messages'>('groups')
  const group = useSyncedState<DeathGroup | undefined>(undefined)
  const groups = dlq.contents?.groups ?? []
  const messages = useMemo(() => {
    const all = dlq.contents?.messages ?? []
    const needle = filter.trim().toLowerCase()
    return all.filter(
      (m, i) =>
        (!group.value || inGroup(m, group.value)) && (!needle || messageLine(m, i).toLowerCase().includes(needle)),
    )
  }, [dlq.contents, group.value, filter])
  const groupRows = Math.max(1, Math.min(groups.length || 1, Math.floor(height / 3)))
  const messageRows = Math.max(1, height - groupRows - 5)
  // The view routes the lists' keys itself, in order with Space: "j Space" typed faster than a render marks the next message.
  const groupNav = useListNavigation(groups.length, {active: false, page: groupRows})
  const messageNav = useListNavigation(messages.length, {active: false, page: messageRows})
  useScreenKeys((input, key) => {
    if (actions.handleKey(input, key)) return true
    if ((pane.get() === 'groups' ? groupNav : messageNav).handle(input, key)) return true
    if (key.tab) pane.set((p) => (p === 'groups' ? 'messages' : 'groups'))
    else if (key.return && pane.get() === 'groups' && groups[groupNav.current()]) {
      const chosen = groups[groupNav.current()]
      group.set((g) => (g === chosen ? undefined : chosen))
      pane.set('messages')
    } else if (key.return && pane.get() === 'messages' && messages[messageNav.current()])
      onOpenMessage(messages[messageNav.current()])
    else if (input === ' ')
      marks.set((m) =>
        toggled(
          m,
          pane.get() === 'groups' ? groupMessages(groups[groupNav.current()]) : [messages[messageNav.current()]],
        ),
      )
    else if (input === 'c') marks.set(new Set())
    else if (input === 'd') actions.plan()
    else if (input === 'r') actions.replay()
    else if (input === 'x') actions.purge()
    else if (input === 'e') actions.exportFile()
    return false
  }, active)
  const groupMessages = (g: DeathGroup | undefined) =>
    g ? (dlq.contents?.messages ?? []).filter((m) => inGroup(m, g)) : []
  const stats = dlq.contents?.stats
  const readOnly = services.readOnly
  const marked = marks.value.size
  return (
    <Box flexDirection="column" height={height}>
      <Text wrap="truncate-end">
        <Text bold>
          {broker}:{name}
        </Text>
        {dlq.loading ? ' · reading…' : ` · ${readText(stats?.read ?? 0, depth, stats?.truncated ?? false)}`}
        {marked ? <Text color={tint(theme, 'yellow')}> · {marked} marked</Text> : null}
        {dlq.error ? <Text color={tint(theme, 'red')}> · {dlq.error}</Text> : null}
      </Text>
      <Text bold color={tint(theme, pane.value === 'groups' ? 'cyan' : undefined)}>
        {pane.value === 'groups' ? '▸ ' : '  '}
        {fit('ORIGIN', 28)} {fit('REASON', 16)} {fit('COUNT', 6, 'right')} ERROR
      </Text>
      <GroupTable
        groups={groups}
        selected={groupNav.selected}
        focused={pane.value === 'groups'}
        chosen={group.value}
        markOf={(g) => markOf(groupMessages(g), marks.value)}
        width={width}
        height={groupRows}
      />
      <Text bold color={tint(theme, pane.value === 'messages' ? 'cyan' : undefined)} wrap="truncate-end">
        {pane.value === 'messages' ? '▸ ' : '  '}Messages ({messages.length})
        {group.value ? ` of ${group.value.origin} · ${group.value.reason} (Enter on the group again: all)` : ''}
      </Text>
      {modal ? (
        <ActionPanel state={actions.state} width={width} />
      ) : (
        <MessageList
          messages={messages}
          selected={messageNav.selected}
          focused={pane.value === 'messages'}
          marked={marks.value}
          width={width}
          height={messageRows}
          empty={dlq.loading ? '' : '(empty)'}
        />
      )}
      <Box flexGrow={1} />
      <Text dimColor wrap="truncate-end">
        {readOnly
          ? 'read-only context: no actions'
          : marked
            ? `${marked} marked: d dry run · r replay · x purge · e export just these · Space mark · c clear marks`
            : 'd dry run · r replay to origin · x purge · e export · Space mark'}
      </Text>
    </Box>
  )
}

interface GroupTableProps {
  groups: DeathGroup[]
  selected: number
  focused: boolean
  chosen?: DeathGroup
  markOf(g: DeathGroup): string
  width: number
  height: number
}

function GroupTable({groups, selected, focused, chosen, markOf, width, height}: GroupTableProps) {
  const {start, end} = visibleWindow(groups.length, selected, height)
  if (groups.length === 0) return <Text dimColor> (no dead letters)</Text>
  return (
    <Box flexDirection="column">
      {groups.slice(start, end).map((g, i) => (
        <Text
          key={`${g.origin}|${g.reason}|${g.error}`}
          inverse={start + i === selected && focused}
          wrap="truncate-end"
        >
          {g === chosen ? '•' : ' '}
          {markOf(g)}
          {fit(g.origin, 28)} {fit(g.reason, 16)} {fit(String(g.count), 6, 'right')}{' '}
          {fit(g.error, Math.max(0, width - 56))}
        </Text>
      ))}
    </Box>
  )
}

/** How many dead letters the view read, and of how many when the read stopped at its limit in a deeper DLQ. */
function readText(read: number, depth: number | undefined, truncated: boolean): string {
  if (truncated && depth !== undefined && depth > read)
    return `${count(depth)} dead letter(s), the first ${count(read)} shown`
  return `${count(read)} dead letter(s)${truncated ? ' (first ones only)' : ''}`
}

/** Marks the messages, or unmarks them when all are marked already (Space on a message or a group). */
function toggled(marks: ReadonlySet<Envelope>, messages: (Envelope | undefined)[]): ReadonlySet<Envelope> {
  const chosen = messages.filter((m): m is Envelope => m !== undefined)
  const next = new Set(marks)
  const unmark = chosen.length > 0 && chosen.every((m) => marks.has(m))
  for (const m of chosen) {
    if (unmark) next.delete(m)
    else next.add(m)
  }
  return next
}

/** A group's mark: every message of it marked, some, or none. */
function markOf(messages: Envelope[], marks: ReadonlySet<Envelope>): string {
  const n = messages.filter((m) => marks.has(m)).length
  return n === 0 ? ' ' : n === messages.length ? '●' : '◐'
}

/** Whether a message belongs to an inspect group (same origin, reason and error label). */
function inGroup(m: Envelope, g: DeathGroup): boolean {
  const reason = m.death?.reason ?? (m.death ? 'unknown' : 'no death record')
  return originLabel(m) === g.origin && reason === g.reason && errorText(m).startsWith(g.error.replace(/…$/, ''))
}
