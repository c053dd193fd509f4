// Tables for humans (cli-table3), and the same rows as JSON or YAML for scripts.
import Table from 'cli-table3'
import {stringify} from 'yaml'

import type {ListFormat} from './list-format.js'
import {colorEnabled} from './terminal.js'

export interface Column<Row> {
  header: string
  value: (row: Row) => unknown
  /** Only shown with `-o wide`. */
  wide?: boolean
  align?: 'left' | 'right'
}

export {LIST_FORMATS, type ListFormat} from './list-format.js'

export function renderTable<Row>(rows: Row[], columns: Column<Row>[], o: {wide?: boolean} = {}): string {
  const shown = columns.filter((c) => o.wide || !c.wide)
  const color = colorEnabled()
  const table = new Table({
    head: shown.map((c) => c.header),
    colAligns: shown.map((c) => c.align ?? 'left'),
    style: {head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
  })
  for (const row of rows) table.push(shown.map((c) => cell(c.value(row))))
  return table.toString()
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '-'
  if (Array.isArray(value)) return value.join(', ')
  return String(value)
}

/** Renders rows in a listing format; json/yaml print the data itself, not the table. */
export function renderList<Row>(rows: Row[], columns: Column<Row>[], format: ListFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(rows, null, 2)
    case 'yaml':
      return stringify(rows).trimEnd()
    default:
      return renderTable(rows, columns, {wide: format === 'wide'})
  }
}
