// The replay journal: JSON lines under $XDG_STATE_HOME/mailroom/replays/<replay-id>.jsonl. The first line holds the
// job (source, destination, filter and how it decodes values, bound); then batches of confirmed message ids, each written BEFORE those
// messages are settled at the source (and fsync'd at checkpoints), so a killed run knows what reached the destination. Never a secret:
// the job holds target names and the filter, and the servers only as the context's name and hashed addresses.
import {type FileHandle, open, readFile, readdir, rename, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {MailroomError} from '../../model/errors.js'
import {makeDirectory} from '../files.js'
import {redactValue} from '../../model/redact.js'
import type {ServerIdentity} from './servers.js'
import type {ReplayCounts, ReplayRequest, SourceFacts} from './types.js'

const SYNC_INTERVAL_MS = 1000

export interface JournalStart {
  t: 'start'
  v: 1
  replayId: string
  createdAt: string
  request: ReplayRequest
  source: SourceFacts
  /** Where the job reads and publishes (absent in journals of mailroom versions before it was recorded). */
  servers?: ServerIdentity
}

export type JournalRecord =
  | JournalStart
  | {t: 'resume'; at: string}
  /** Confirmed at the destination (written before the source copies are settled). */
  | {t: 'ok'; ids: string[]}
  /** Confirmed again: re-read messages an earlier attempt had confirmed and not settled (queue resumes). */
  | {t: 'again'; ids: string[]}
  | {t: 'fail'; id: string; code: string; message: string}
  | {t: 'end'; at: string; outcome: string; counts: ReplayCounts}

export function replaysDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state')
  return join(base, 'mailroom', 'replays')
}

export function journalPath(replayId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(replaysDir(env), `${replayId}.jsonl`)
}

export class JournalWriter {
  private buffered: string[] = []
  private chain: Promise<void> = Promise.resolve()
  private syncedAt = -Infinity
  private syncing?: Promise<void>

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** A new journal; its first line (the job) is on disk when this resolves. */
  static async create(path: string, start: JournalStart): Promise<JournalWriter> {
    await makeDirectory(join(path, '..'))
    // Written aside and renamed into place: a journal that exists always names its job, even after a kill.
    const partial = `${path}.partial`
    await writeFile(partial, `${JSON.stringify(redactValue(start))}\n`, {mode: 0o600, flag: 'wx'})
    await rename(partial, path)
    const writer = new JournalWriter(path, await open(path, 'a', 0o600))
    await writer.sync()
    return writer
  }

  /** Appends to an existing journal (resume). */
  static async reopen(path: string): Promise<JournalWriter> {
    const writer = new JournalWriter(path, await open(path, 'a', 0o600))
    // A run killed in the middle of a write leaves a torn last line: end it, so it stays the only bad line.
    const text = await readFile(path, 'utf8')
    if (text.length > 0 && !text.endsWith('\n')) writer.buffered.push('\n')
    writer.append({t: 'resume', at: new Date().toISOString()})
    return writer
  }

  /** Buffered until the next checkpoint. */
  append(record: JournalRecord): void {
    this.buffered.push(`${JSON.stringify(redactValue(record))}\n`)
  }

  /**
   * Writes what is buffered (in call order). That is enough for a killed process: the kernel keeps what was
   * written. fsync (against a machine crash) runs at most every SYNC_INTERVAL_MS and on close; losing the last
   * second of records to a machine crash costs duplicates on resume, never a message, because records only ever
   * say "this one reached its destination".
   */
  checkpoint(): Promise<void> {
    const text = this.buffered.join('')
    this.buffered = []
    this.chain = this.chain.then(async () => {
      if (text) await this.handle.write(text)
      // In the background: settling does not wait for the disk.
      if (!this.syncing && performance.now() - this.syncedAt >= SYNC_INTERVAL_MS) this.syncing = this.sync()
    })
    return this.chain
  }

  private async sync(): Promise<void> {
    this.syncedAt = performance.now()
    try {
      await this.handle.datasync()
    } finally {
      this.syncing = undefined
    }
  }

  async close(): Promise<void> {
    await this.checkpoint().catch(() => {})
    await this.syncing?.catch(() => {})
    await this.sync().catch(() => {})
    await this.handle.close().catch(() => {})
  }
}

export interface JournalState {
  start: JournalStart
  /** Confirmed ids with how often each was confirmed (content ids of identical twins repeat). */
  confirmed: Map<string, number>
  confirmedTotal: number
  ended?: {outcome: string; counts: ReplayCounts}
  runs: number
  /** Attempts that ended without their end record (killed), each with up to a window of unrecorded publishes. */
  crashed: number
}

export async function readJournal(replayId: string, env: NodeJS.ProcessEnv = process.env): Promise<JournalState> {
  const path = journalPath(replayId, env)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    const known = await knownReplays(env)
    throw new MailroomError('NOT_FOUND', `no replay journal ${replayId} (looked in ${replaysDir(env)})`, {
      suggestions: known.length
        ? [`Known replays: ${known.slice(-5).join(', ')}`]
        : ['Replay ids are printed when a replay starts and in its report'],
    })
  }
  return parseJournal(text, path)
}

export function parseJournal(text: string, path = 'journal'): JournalState {
  const lines = text.split('\n')
  const records: JournalRecord[] = []
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue
    try {
      records.push(JSON.parse(line) as JournalRecord)
    } catch {
      // A torn line comes from a kill during a write (each resume ends it first): it recorded nothing settled.
      if (i === 0) throw new MailroomError('CONFIG', `${path}: line 1 is not JSON; the journal is damaged`)
    }
  }
  const start = records[0]
  if (start?.t !== 'start') throw new MailroomError('CONFIG', `${path} does not start with a replay job`)
  const state: JournalState = {start, confirmed: new Map(), confirmedTotal: 0, runs: 1, crashed: 0}
  for (const r of records.slice(1)) {
    if (r.t === 'ok') {
      for (const id of r.ids) state.confirmed.set(id, (state.confirmed.get(id) ?? 0) + 1)
      state.confirmedTotal += r.ids.length
    } else if (r.t === 'resume') {
      if (!state.ended) state.crashed++
      state.runs++
      state.ended = undefined
    } else if (r.t === 'end') {
      state.ended = {outcome: r.outcome, counts: r.counts}
    }
  }
  if (!state.ended) state.crashed++
  return state
}

async function knownReplays(env: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    return (await readdir(replaysDir(env)))
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => f.slice(0, -6))
      .sort()
  } catch {
    return []
  }
}
