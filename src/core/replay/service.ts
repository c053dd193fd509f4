// Replay as a service for the command and the dashboard: plan (dry run), run, resume. It captures the bound,
// asks the guard, journals, runs the engine and appends the audit line.
import type {BrokerAdapter, ReplaySourceCapability} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import {MailroomError} from '../../model/errors.js'
import {type AuditEntry, auditedChange} from '../audit.js'
import type {ConnectionSettings} from '../../model/settings.js'
import type {DetectDeathOptions} from '../dlq/death.js'
import {compileFilter, type MessageFilter} from '../filter.js'
import {requirePublishTarget} from '../publish-target.js'
import {type EnvelopeDecoder, envelopeDecoderFor} from '../schema/envelope-decoder.js'
import type {SchemaRegistrySettings} from '../../model/settings.js'
import {formatTargetRef} from '../target-ref.js'
import {ReplayEngine} from './engine.js'
import {newReplayId} from './identity.js'
import {type JournalState, JournalWriter, journalPath, readJournal} from './journal.js'
import {planReplay, type ReplayPlan} from './plan.js'
import type {Progress} from './progress.js'
import {Selector} from './select.js'
import {Selection} from './selection.js'
import {checkResumeServers, serverIdentity} from './servers.js'
import {inspectSource, openSource} from './source.js'
import type {ReplayReport, ReplayRequest, SourceFacts} from './types.js'

export interface ReplayDeps {
  /** The connected source adapter. */
  source: BrokerAdapter
  /** A connected adapter for a destination broker (may return the source adapter for the same kind). */
  destination(kind: BrokerKind): Promise<BrokerAdapter>
  signal: AbortSignal
  death?: DetectDeathOptions
  env?: NodeJS.ProcessEnv
  /** Runs after the bound is known and before anything changes; throws to refuse (guard rails). */
  confirm(facts: SourceFacts, request: ReplayRequest): Promise<void>
  /** The job exists (journal written): tell the user its id. */
  onStart?(replayId: string, facts: SourceFacts, journal: string): void
  progress?(total: number | undefined): Progress
  /** Context name for the audit line and the journal. */
  context?: string
  /** The replay ran but its audit line was not written: tell the user and end non-zero. */
  onAuditFailure(warning: string): void
  /** The resolved connection settings: the journal records (and a resume compares) which servers the job uses. */
  settings?: ConnectionSettings
  /** The destination context's settings, when the request names one (`toContext`). */
  destinationSettings?: ConnectionSettings
  /** A warning for the user (stderr), not a failure. */
  warn?(message: string): void
  /** The schema registry a filter that decodes (request.decode) reads values through. */
  schemaRegistry?: SchemaRegistrySettings
}

export interface ResumeOptions {
  /** Resume even against other servers than the job started with. */
  force?: boolean
}

/** @param decoder shows the samples' keys and values decoded (a view: a replay moves the bytes as they are). */
export async function dryRunReplay(
  request: ReplayRequest,
  deps: ReplayDeps,
  sample: number,
  decoder?: EnvelopeDecoder,
): Promise<ReplayPlan> {
  const [source] = await inOrder(
    inspectSource(deps.source, request.source.name, request.mode),
    requireDestination(request, deps),
  )
  const filter = await compiledFilter(request, deps)
  const selector = selectorFor(request, 'dry-run', deps, filter)
  return planReplay(deps.source, source, request, selector, {
    sample,
    signal: deps.signal,
    decoder: decoder ?? filter?.decoder,
  })
}

export async function startReplay(request: ReplayRequest, deps: ReplayDeps): Promise<ReplayReport> {
  const filter = await compiledFilter(request, deps) // an invalid filter fails before anything happens
  const [{facts, offer}] = await inOrder(
    inspectSource(deps.source, request.source.name, request.mode),
    requireDestination(request, deps),
  )
  const replayId = newReplayId()
  return audited({replayId, request, facts, offer, filter, deps, resumed: undefined}, async (shown) => {
    const path = journalPath(replayId, deps.env)
    const servers = deps.settings
      ? {servers: serverIdentity(deps.context, deps.settings, request, deps.destinationSettings)}
      : {}
    const journal = await JournalWriter.create(path, {
      t: 'start',
      v: 1,
      replayId,
      createdAt: new Date().toISOString(),
      request,
      source: facts,
      ...servers,
    })
    deps.onStart?.(replayId, shown, path)
    return journal
  })
}

export async function resumeReplay(replayId: string, deps: ReplayDeps, o: ResumeOptions = {}): Promise<ReplayReport> {
  const state = await readJournal(replayId, deps.env)
  const {request, source: facts} = state.start
  if (facts.broker !== deps.source.kind) {
    throw new MailroomError(
      'USAGE',
      `replay ${replayId} reads from ${facts.broker}:${facts.target}, not from ${deps.source.kind}`,
    )
  }
  if (deps.settings) {
    const warning = checkResumeServers(
      replayId,
      state.start.servers,
      serverIdentity(deps.context, deps.settings, request, deps.destinationSettings),
      o.force ?? false,
    )
    if (warning) deps.warn?.(warning)
  }
  const complete = completedBefore(state)
  if (complete) return completeReport(replayId, state, complete, journalPath(replayId, deps.env))
  const filter = await compiledFilter(request, deps, replayId)
  return audited({replayId, request, facts, filter, deps, resumed: state}, async (shown) => {
    const journal = await JournalWriter.reopen(journalPath(replayId, deps.env))
    deps.onStart?.(replayId, shown, journal.path)
    return journal
  })
}

/** Why a job has nothing left to do: its last attempt replayed everything it chose, or its --limit is used up. */
function completedBefore(state: JournalState): string | undefined {
  const {limit} = state.start.request
  if (limit !== undefined && state.confirmedTotal >= limit)
    return `it replayed ${state.confirmedTotal} message(s), its --limit of ${limit}`
  if (state.ended?.outcome === 'ok') return 'its last run replayed everything it chose'
  return undefined
}

function completeReport(replayId: string, state: JournalState, why: string, journal: string): ReplayReport {
  const {request} = state.start
  return {
    replayId,
    source: formatTargetRef(request.source),
    ...destinationOf(request),
    mode: request.mode,
    resumed: true,
    alreadyComplete: why,
    counts: {examined: 0, replayed: 0, filtered: 0, skipped: 0, failed: 0, possibleDuplicates: 0, deduplicated: 0},
    skippedBy: {},
    byDestination: {},
    failures: [],
    ...crashCost(state),
    leftBehind: 0,
    journal,
    elapsedMs: 0,
    perSecond: 0,
  }
}

/** The run under the audit policy: the log is writable before the guard asks and before anything changes. */
function audited(
  job: Omit<Job, 'journal' | 'selector'>,
  openJournal: (shown: SourceFacts) => Promise<JournalWriter>,
): Promise<ReplayReport> {
  const {request, deps} = job
  // The guard and the start line name what this attempt may still move, not what the job's first attempt could.
  const facts = {...job.facts, ...optionalCount(remainingCount(job))}
  return auditedChange({
    env: deps.env,
    confirm: () => deps.confirm(facts, request),
    change: async () =>
      execute({
        ...job,
        journal: await openJournal(facts),
        selector: selectorFor(request, job.replayId, deps, job.filter, job.resumed?.confirmed),
      }),
    entry: (report) => (report ? auditEntry(report, deps.context, request) : failedEntry(job)),
    onAuditFailure: deps.onAuditFailure,
  })
}

/**
 * Both answers, asked side by side (each is a round trip before the first message moves); when both fail, the first
 * one's error, as if they had been asked one after the other.
 */
async function inOrder<A, B>(first: Promise<A>, second: Promise<B>): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([first, second])
  if (a.status === 'rejected') throw a.reason
  if (b.status === 'rejected') throw b.reason
  return [a.value, b.value]
}

/** `--to` must name something that exists (and be reachable) before anything is asked or moved. */
async function requireDestination(request: ReplayRequest, deps: ReplayDeps): Promise<void> {
  if (request.to) await requirePublishTarget(await deps.destination(request.to.broker), request.to)
}

/** The job's filter, and the decoder it reads values through when the job decodes (request.decode). */
interface JobFilter {
  matches: MessageFilter
  decoder?: EnvelopeDecoder
}

/** @param resumed the id of the job a resume continues (it reads values as the job started to, or not at all). */
async function compiledFilter(
  request: ReplayRequest,
  deps: Pick<ReplayDeps, 'schemaRegistry'>,
  resumed?: string,
): Promise<JobFilter | undefined> {
  if (!request.filter) return undefined
  const matches = compileFilter(request.filter)
  if (!request.decode) return {matches}
  if (!deps.schemaRegistry && resumed) throw registryNeededToResume(resumed, request)
  // A registry that refuses the credentials would leave every value undecoded, and the filter would select on that.
  const decoder = await envelopeDecoderFor(deps.schemaRegistry, request.decode, {checkCredentials: true})
  return decoder ? {matches, decoder} : {matches}
}

function registryNeededToResume(replayId: string, request: ReplayRequest): MailroomError {
  const subject = request.decode?.valueSubject ? ` --value-subject ${request.decode.valueSubject}` : ''
  return new MailroomError(
    'USAGE',
    `replay ${replayId} filters on values decoded through a schema registry (--decode ${request.decode?.mode}${subject}), and none is configured`,
    {suggestions: ['Resume with --schema-registry <url> (or in the context that has schemaRegistry.url)']},
  )
}

/** @param confirmed what earlier attempts of the job replayed: their marks are used up. */
function selectorFor(
  request: ReplayRequest,
  replayId: string,
  deps: ReplayDeps,
  filter: JobFilter | undefined,
  confirmed?: ReadonlyMap<string, number>,
): Selector {
  const selection = request.select ? new Selection(request.select, confirmed) : undefined
  return new Selector({
    request,
    replayId,
    ...(filter ? {filter: filter.matches} : {}),
    ...(filter?.decoder ? {filterDecoder: filter.decoder} : {}),
    ...(selection ? {selection} : {}),
    death: deps.death,
    source: deps.source,
  })
}

interface Job {
  replayId: string
  request: ReplayRequest
  facts: SourceFacts
  /** What the adapter offered when this run inspected its source (a resume asks it again on open). */
  offer?: ReplaySourceCapability
  filter: JobFilter | undefined
  journal: JournalWriter
  selector: Selector
  deps: ReplayDeps
  resumed: JournalState | undefined
}

async function execute(job: Job): Promise<ReplayReport> {
  const {request, facts, journal, deps} = job
  const started = performance.now()
  const progress = deps.progress?.(remainingCount(job))
  const source = await openSource(
    deps.source,
    facts,
    {window: request.window, confirmedBefore: job.resumed?.confirmed},
    job.offer,
  )
  const engine = new ReplayEngine({
    request,
    facts,
    source,
    selector: job.selector,
    journal,
    destination: deps.destination,
    resume: job.resumed,
    signal: deps.signal,
    onProgress: (c) => progress?.update(c),
  })
  let result
  try {
    result = await engine.run()
  } finally {
    progress?.done()
  }
  const refused =
    (result.skippedBy['max-replays'] ?? 0) + (result.skippedBy['no-origin'] ?? 0) + (result.skippedBy['key-order'] ?? 0)
  const elapsedMs = Math.round(performance.now() - started)
  const report: ReplayReport = {
    replayId: job.replayId,
    source: formatTargetRef(request.source),
    ...destinationOf(request),
    mode: request.mode,
    resumed: job.resumed !== undefined,
    counts: result.counts,
    skippedBy: result.skippedBy,
    byDestination: result.byDestination,
    failures: result.failures,
    ...(result.stopped ? {stopped: result.stopped} : {}),
    ...crashCost(job.resumed),
    leftBehind: result.counts.failed + refused + (result.stopped?.left ?? 0),
    ...(request.select ? {selectedNotFound: job.selector.missingSelected} : {}),
    journal: journal.path,
    elapsedMs,
    perSecond: elapsedMs > 0 ? Math.round((result.counts.replayed * 1000) / elapsedMs) : result.counts.replayed,
  }
  const outcome = outcomeOf(report)
  journal.append({t: 'end', at: new Date().toISOString(), outcome, counts: report.counts})
  await journal.close()
  return report
}

/** Each attempt killed before its end record may have published up to a window of messages it never recorded. */
function crashCost(resumed: JournalState | undefined): Pick<ReplayReport, 'crashWindow' | 'crashedAttempts'> {
  if (!resumed?.crashed) return {}
  return {crashWindow: resumed.crashed * resumed.start.request.window, crashedAttempts: resumed.crashed}
}

/** What this attempt may still move: the bound's count (less earlier confirmations on a queue), within --limit. */
function remainingCount(job: Pick<Job, 'facts' | 'request' | 'resumed'>): number | undefined {
  const count = job.facts.count
  const before = job.resumed?.confirmedTotal ?? 0
  const limitLeft = job.request.limit === undefined ? undefined : Math.max(0, job.request.limit - before)
  if (count === undefined) return limitLeft
  const bound = job.facts.strategy === 'consume-queue' ? Math.max(0, count - before) : count
  return limitLeft === undefined ? bound : Math.min(bound, limitLeft)
}

function optionalCount(count: number | undefined): {count?: number} {
  return count === undefined ? {} : {count}
}

export function outcomeOf(r: ReplayReport): AuditEntry['outcome'] {
  if (r.stopped?.code === 'INTERRUPTED') return 'interrupted'
  if (r.stopped || r.leftBehind > 0) return 'partial'
  return 'ok'
}

function auditEntry(r: ReplayReport, context: string | undefined, request: ReplayRequest): AuditEntry {
  const {replayed, failed, skipped, filtered, possibleDuplicates} = r.counts
  return {
    command: r.resumed ? 'dlq replay --resume' : 'dlq replay',
    target: r.source,
    ...(context ? {context} : {}),
    ...(r.toContext ? {toContext: r.toContext} : {}),
    replayId: r.replayId,
    counts: {replayed, failed, skipped, filtered, possibleDuplicates},
    outcome: outcomeOf(r),
    details: {
      destination: r.destination,
      mode: r.mode,
      byDestination: r.byDestination,
      ...selectionDetails(request),
      ...(r.stopped ? {stopped: r.stopped.message} : {}),
    },
  }
}

/** A run that ended in an error: what it was, without counts (the journal has what was confirmed). */
function failedEntry(job: Omit<Job, 'journal' | 'selector'>): AuditEntry {
  const {request, deps} = job
  return {
    command: job.resumed ? 'dlq replay --resume' : 'dlq replay',
    target: formatTargetRef(request.source),
    ...(deps.context ? {context: deps.context} : {}),
    ...(request.toContext ? {toContext: request.toContext} : {}),
    replayId: job.replayId,
    outcome: 'failed',
    details: {destination: destinationOf(request).destination, mode: request.mode, ...selectionDetails(request)},
  }
}

/** The audit line names what the job chose: its filter (and how it decoded values) and the marked messages by id. */
function selectionDetails(request: ReplayRequest): Record<string, unknown> {
  return {
    ...(request.filter ? {filter: request.filter} : {}),
    ...(request.decode ? {decode: request.decode} : {}),
    ...(request.select ? {select: request.select} : {}),
  }
}

function destinationOf(request: ReplayRequest): Pick<ReplayReport, 'destination' | 'toContext'> {
  const destination = request.to ? formatTargetRef(request.to) : 'origin'
  return request.toContext === undefined ? {destination} : {destination, toContext: request.toContext}
}
