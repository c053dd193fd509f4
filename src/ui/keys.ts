// Every key of the dashboard, in one table: the help overlay lists it, and the README mirrors it.
export interface KeyHelp {
  keys: string
  action: string
}

export interface KeySection {
  title: string
  keys: KeyHelp[]
}

export const KEY_SECTIONS: KeySection[] = [
  {
    title: 'Everywhere',
    keys: [
      {keys: '↑ ↓  j k', action: 'move the selection (PgUp PgDn, g G: page, top, bottom)'},
      {keys: 'Enter', action: 'open the selected target, DLQ or message'},
      {keys: 'Esc', action: 'back (closes help, a dialog or the filter first)'},
      {keys: 'Tab', action: 'next pane'},
      {keys: '/', action: 'filter the list (Enter keeps it, Esc clears it)'},
      {keys: '?', action: 'this help'},
      {keys: 'q', action: 'quit'},
    ],
  },
  {
    title: 'Overview',
    keys: [{keys: 's', action: 'sort targets: name, lag, depth, status'}],
  },
  {
    title: 'Target',
    keys: [{keys: 'Space', action: 'pause / resume the live tail'}],
  },
  {
    title: 'DLQ (not in a read-only context)',
    keys: [
      {keys: 'Space  c', action: "mark / unmark the message or the group's messages; c clears"},
      {keys: 'd', action: 'dry run: the replay plan (of the marked messages, if any)'},
      {keys: 'r', action: 'replay to origin (only the marked, if any): plan, typed confirmation, progress'},
      {keys: 'x', action: 'purge the DLQ, or only the marked messages (typed confirmation)'},
      {keys: 'e', action: 'export the DLQ, or only the marked messages, to an NDJSON file'},
    ],
  },
  {
    title: 'Message',
    keys: [{keys: 'b', action: 'body: pretty / hex'}],
  },
]
