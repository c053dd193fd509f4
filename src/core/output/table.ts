// Tables for humans (cli-table3 on a terminal; bare aligned columns for a pipe), and the same rows as JSON or YAML.
// cli-table3 and yaml load only when a table is drawn or YAML written: a command piped or in JSON mode starts without.

import type {ListFormat} from './list-format.js'
import {colorEnabled, isInteractive} from './terminal.js'

export interface Column<Row> {
  header: string
  value: (row: Row) => unknown
  /** Only shown with `-o wide`. */
  wide?: boolean
  align?: 'left' | 'right'
}

export {LIST_FORMATS, type ListFormat} from './list-format.js'

/**
 * A table: with box-drawing borders on a terminal; piped, columns padded with spaces and no borders (kubectl,
 * rabbitmqctl), so `awk '{print $2}'` picks a column. Lists are then joined with "," (no space: one field).
 */
export async function renderTable<Row>(
  rows: Row[],
  columns: Column<Row>[],
  o: {wide?: boolean; borders?: boolean} = {},
): Promise<string> {
  const shown = columns.filter((c) => o.wide || !c.wide)
  const borders = o.borders ?? isInteractive(process.stdout)
  const cells = rows.map((row) => shown.map((c) => cell(c.value(row), borders ? ', ' : ',')))
  return borders ? boxed(shown, cells) : bare(shown, cells)
}

async function boxed<Row>(shown: Column<Row>[], cells: string[][]): Promise<string> {
  // `default`, the CommonJS module's exports: the named exports of a dynamic import are missing once bundled.
  const {default: Table} = await import('cli-table3')
  const color = colorEnabled()
  const table = new Table({
    head: shown.map((c) => c.header),
    colAligns: shown.map((c) => c.align ?? 'left'),
    style: {head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
  })
  for (const row of cells) table.push(row)
  return table.toString()
}

function bare<Row>(shown: Column<Row>[], cells: string[][]): string {
  // An empty cell would leave its column out of awk's count: `-`, as for no value.
  const lines = [
    shown.map((c) => c.header),
    ...cells.map((row) => row.map((text) => text.replace(/\s*\n\s*/g, ' ') || '-')),
  ]
  const widths = shown.map((_, i) => Math.max(...lines.map((line) => [...line[i]].length)))
  const pad = (text: string, i: number) => {
    const fill = ' '.repeat(widths[i] - [...text].length)
    return shown[i].align === 'right' ? fill + text : text + fill
  }
  return lines.map((line) => line.map(pad).join('  ').trimEnd()).join('\n')
}

function cell(value: unknown, listSeparator: string): string {
  if (value === undefined || value === null) return '-'
  if (Array.isArray(value)) return value.join(listSeparator)
  return String(value)
}

/** Renders rows in a listing format; json/yaml print the data itself, not the table. */
export async function renderList<Row>(rows: Row[], columns: Column<Row>[], format: ListFormat): Promise<string> {
  switch (format) {
    case 'json':
      return JSON.stringify(rows, null, 2)
    case 'yaml':
      return (await import('yaml')).default.stringify(rows).trimEnd()
    default:
      return renderTable(rows, columns, {wide: format === 'wide'})
  }
}
