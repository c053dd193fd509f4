// Shell completion: the candidates for the word under the cursor, computed from the oclif manifest (commands, flags,
// flag values) and the config file (context names). bin/run.js answers `mailroom __complete <shell> <words…>` with
// this module alone, without booting oclif: a Tab press costs one short Node start.
import {readFile} from 'node:fs/promises'

import {BROKER_KINDS} from '../model/broker.js'
import {listContexts} from '../core/config/contexts.js'

export type Shell = 'bash' | 'zsh' | 'fish'

interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  options?: string[]
  multiple?: boolean
  hidden?: boolean
}

interface ManifestCommand {
  id: string
  hidden?: boolean
  args: Record<string, {name: string; options?: string[]}>
  flags: Record<string, ManifestFlag>
}

export interface Manifest {
  commands: Record<string, ManifestCommand>
}

/** Where values come from that the manifest does not list. */
export interface CompletionSources {
  contexts: () => Promise<string[]>
}

const ROOT_FLAGS = ['--help', '--version']
const TARGET_PREFIXES = BROKER_KINDS.map((kind) => `${kind}:`)

/** Candidates for `current`, the word under the cursor, after the command line's `words`. */
export async function candidates(
  manifest: Manifest,
  words: string[],
  current: string,
  sources: CompletionSources,
): Promise<string[]> {
  const commands = Object.values(manifest.commands).filter((c) => !c.hidden)
  const ids = commands.map((c) => c.id.split(':'))
  const path: string[] = []
  let command: ManifestCommand | undefined
  for (const word of words) {
    if (word.startsWith('-')) break
    const next = [...path, word]
    if (!ids.some((id) => startsWith(id, next))) return []
    path.push(word)
    command = commands.find((c) => c.id === next.join(':'))
    if (command) break
  }
  if (!command) {
    if (current.startsWith('-')) return matching(ROOT_FLAGS, current)
    return matching(namesUnder(ids, path), current)
  }
  return commandCandidates(command, words.slice(path.length), current, sources)
}

async function commandCandidates(
  command: ManifestCommand,
  rest: string[],
  current: string,
  sources: CompletionSources,
): Promise<string[]> {
  const flags = Object.values(command.flags).filter((f) => !f.hidden)
  const inline = /^(--[^=]+)=(.*)$/.exec(current)
  if (inline) {
    const flag = flagNamed(flags, inline[1])
    return flag ? (await flagValues(flag, inline[2], sources)).map((value) => `${inline[1]}=${value}`) : []
  }
  const previous = flagNamed(flags, rest.at(-1) ?? '')
  if (previous?.type === 'option') return flagValues(previous, current, sources)
  if (current.startsWith('-')) {
    const used = new Set(rest.map((word) => flagNamed(flags, word.split('=')[0])?.name))
    return matching(
      flags
        .filter((f) => f.multiple || !used.has(f.name))
        .map((f) => `--${f.name}`)
        .concat('--help'),
      current,
    )
  }
  const position = positionals(flags, rest)
  const arg = Object.values(command.args)[position]
  if (arg?.options) return matching(arg.options, current)
  if (arg?.name === 'target' || arg?.name === 'stream') return matching(TARGET_PREFIXES, current)
  if (arg?.name === 'name' && command.id.startsWith('context:')) return matching(await sources.contexts(), current)
  return []
}

async function flagValues(flag: ManifestFlag, current: string, sources: CompletionSources): Promise<string[]> {
  if (flag.options) return matching(flag.options, current)
  if (flag.name === 'context') return matching(await sources.contexts(), current)
  return []
}

/** How many positional arguments precede the cursor (flag values are not arguments). */
function positionals(flags: ManifestFlag[], rest: string[]): number {
  let count = 0
  for (let i = 0; i < rest.length; i++) {
    const flag = flagNamed(flags, rest[i])
    if (flag) {
      if (flag.type === 'option' && !rest[i].includes('=')) i++
    } else if (!rest[i].startsWith('-')) count++
  }
  return count
}

function flagNamed(flags: ManifestFlag[], word: string): ManifestFlag | undefined {
  if (word.startsWith('--')) return flags.find((f) => f.name === word.slice(2))
  if (/^-[^-]$/.test(word)) return flags.find((f) => f.char === word.slice(1))
  return undefined
}

function namesUnder(ids: string[][], path: string[]): string[] {
  return [...new Set(ids.filter((id) => id.length > path.length && startsWith(id, path)).map((id) => id[path.length]))]
}

function startsWith(id: string[], prefix: string[]): boolean {
  return prefix.every((word, i) => id[i] === word)
}

function matching(values: string[], current: string): string[] {
  return values.filter((value) => value.startsWith(current)).sort()
}

/**
 * Bash splits `kafka:orders` and `--output=json` at `:` and `=` (COMP_WORDBREAKS): the words are joined back for
 * the lookup, and the candidates given without what precedes the last break, which bash keeps on the line.
 */
export function bashWords(split: string[]): string[] {
  const words: string[] = []
  for (const token of split) {
    const last = words.length - 1
    if (last >= 0 && (token === ':' || token === '=' || /[:=]$/.test(words[last]))) words[last] += token
    else words.push(token)
  }
  return words
}

function trimToWordBreak(values: string[], current: string): string[] {
  const cut = Math.max(current.lastIndexOf(':'), current.lastIndexOf('='))
  return cut < 0 ? values : values.map((value) => value.slice(cut + 1))
}

/** `mailroom __complete <shell> <word>… <current>`: one candidate a line. */
export async function complete(argv: string[], manifestUrl: URL): Promise<string> {
  const [shell, ...rest] = argv as [Shell, ...string[]]
  const line = shell === 'bash' ? bashWords(rest) : rest
  const current = line.at(-1) ?? ''
  const manifest = JSON.parse(await readFile(manifestUrl, 'utf8')) as Manifest
  const contexts = async () => (await listContexts().catch(() => [])).map((c) => c.name)
  const values = await candidates(manifest, line.slice(0, -1), current, {contexts})
  const shown = shell === 'bash' ? trimToWordBreak(values, current) : values
  return shown.map((value) => `${value}\n`).join('')
}
