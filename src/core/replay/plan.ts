// The dry run: what a replay would do, changing nothing. Topics and streams are read in full within the bound
// (without committing or deleting); classic / quorum queues cannot be read without taking messages, so their plan
// is the depth plus a bounded sample peeked from the head (which RabbitMQ marks redelivered; quorum queues with a
// delivery limit are not peeked at all).
import {readOf} from '../../adapters/batched.js'
import type {BrokerAdapter} from '../../adapters/types.js'
import {MailroomError} from '../../model/errors.js'
import type {DecodedParts, Envelope} from '../../model/envelope/types.js'
import type {EnvelopeDecoder} from '../schema/envelope-decoder.js'
import {formatTargetRef} from '../target-ref.js'
import {laneKey} from './destination.js'
import {describeChanges, type HeaderChanges, replayCountOf} from './headers.js'
import {messageIdentity} from './identity.js'
import type {Selector} from './select.js'
import {type InspectedSource, withinBound} from './source.js'
import type {ReplayRequest, SkipReason, SnapshotBound, SourceFacts, SourceStrategy} from './types.js'

const SAMPLES = 3

export interface PlanSample {
  id: string
  destination: string
  key?: Envelope['key']
  replayCount: number
  changes: HeaderChanges
  /** The key and value as the schema registry decodes them (with decoding on); the replay moves the bytes. */
  decoded?: DecodedParts
}

export interface ReplayPlan {
  source: string
  strategy: SourceStrategy
  bound: SnapshotBound
  /** Messages within the bound (as far as known). */
  total?: number
  examined: number
  /** False when the plan rests on a sample (queues). */
  complete: boolean
  wouldReplay: number
  filtered: number
  skippedBy: Partial<Record<SkipReason, number>>
  destinations: {destination: string; count: number}[]
  samples: PlanSample[]
  /** Every header name removed / added / carried over across the examined messages. */
  headerChanges: HeaderChanges
  /** The marked messages the plan is for (--select, the dashboard's marks), and how many of them it did not find. */
  selection?: {ids: string[]; notFound: number}
  notes: string[]
}

export async function planReplay(
  adapter: BrokerAdapter,
  source: InspectedSource,
  request: ReplayRequest,
  selector: Selector,
  o: {sample: number; signal?: AbortSignal; decoder?: EnvelopeDecoder},
): Promise<ReplayPlan> {
  const {facts} = source
  const plan: ReplayPlan = {
    source: formatTargetRef(request.source),
    strategy: facts.strategy,
    bound: facts.bound,
    ...(facts.count === undefined ? {} : {total: facts.count}),
    examined: 0,
    complete: true,
    wouldReplay: 0,
    filtered: 0,
    skippedBy: {},
    destinations: [],
    samples: [],
    headerChanges: {removed: [], added: [], carried: []},
    notes: [],
  }
  const counts = new Map<string, number>()
  const changes = {removed: new Set<string>(), added: new Set<string>(), carried: new Set<string>()}
  for await (const {envelope: e, replayed} of planMessages(adapter, source, plan, o)) {
    if ((request.limit !== undefined && plan.wouldReplay >= request.limit) || selector.exhausted) break
    plan.examined++
    const identity = messageIdentity(e, facts.broker, facts.target)
    const decision = await selector.decide(e, identity)
    if (decision.action === 'filtered') plan.filtered++
    else if (decision.action === 'skip') plan.skippedBy[decision.reason] = (plan.skippedBy[decision.reason] ?? 0) + 1
    else {
      plan.wouldReplay++
      replayed?.()
      const label = laneKey(decision.dest)
      counts.set(label, (counts.get(label) ?? 0) + 1)
      const c = describeChanges(decision.original, decision.envelope)
      for (const k of ['removed', 'added', 'carried'] as const) for (const n of c[k]) changes[k].add(n)
      if (plan.samples.length < SAMPLES) {
        plan.samples.push({
          id: identity.id,
          destination: label,
          key: decision.envelope.key ?? decision.original.key,
          replayCount: replayCountOf(decision.original),
          changes: c,
          ...(o.decoder ? {decoded: await o.decoder.partsOf(decision.original)} : {}),
        })
      }
    }
  }
  plan.destinations = [...counts]
    .map(([destination, count]) => ({destination, count}))
    .sort((a, b) => b.count - a.count)
  plan.headerChanges = {removed: [...changes.removed], added: [...changes.added], carried: [...changes.carried]}
  if (request.select) plan.selection = selectionOutcome(request.select, selector.missingSelected, plan)
  else if (!plan.complete && plan.total !== undefined && plan.examined > 0 && plan.examined < plan.total) {
    plan.notes.push(`estimated from ${plan.examined} of ${plan.total} messages: a replay examines all ${plan.total}`)
  }
  return plan
}

function selectionOutcome(ids: string[], notFound: number, plan: ReplayPlan): ReplayPlan['selection'] {
  if (notFound > 0) {
    const where = plan.complete ? 'in the DLQ' : `in the ${plan.examined} messages sampled (a replay reads all of them)`
    plan.notes.push(
      `${notFound} of the ${ids.length} selected message(s) not found ${where}: moved, purged or aged out since they were marked`,
    )
  }
  return {ids, notFound}
}

/** A message to plan for; `replayed()` tells a Kafka cursor the run would replay it (its floor moves on). */
interface PlanItem {
  envelope: Envelope
  replayed?(): void
}

async function* planMessages(
  adapter: BrokerAdapter,
  {facts, offer}: InspectedSource,
  plan: ReplayPlan,
  o: {sample: number; signal?: AbortSignal},
): AsyncGenerator<PlanItem> {
  if (facts.strategy === 'consume-queue') {
    for await (const envelope of peekedSample(adapter, facts, plan, o.sample)) yield {envelope}
    return
  }
  // The run's own cursor, never committed: what it would pass over, and what it would leave beyond its span.
  const cursor = facts.strategy === 'commit-group' && offer.kind === 'group-cursor' ? await offer.cursor() : undefined
  if (cursor?.committedBefore)
    plan.notes.push(`skips what earlier replays moved (the cursor of the replay group ${cursor.group})`)
  for await (const d of readOf(adapter)(facts.target, {untilEnd: true, from: {kind: 'earliest'}, signal: o.signal})) {
    if (!withinBound(d, facts.bound)) continue
    if (cursor && cursor.admit(d) !== 'new') continue
    yield {envelope: d.envelope, replayed: () => cursor?.mark(d)}
  }
  const shortfall = cursor?.shortfall()
  if (shortfall) plan.notes.push(`a replay would stop short: ${shortfall}`)
}

async function* peekedSample(
  adapter: BrokerAdapter,
  facts: SourceFacts,
  plan: ReplayPlan,
  sample: number,
): AsyncGenerator<Envelope> {
  const total = facts.count ?? 0
  plan.complete = false
  if (total === 0) {
    plan.complete = true
    return
  }
  if (!adapter.peek) {
    plan.notes.push(`${facts.target} cannot be read without taking messages: planned from its depth (${total}) only`)
    return
  }
  try {
    const peeked = await adapter.peek(facts.target, {count: Math.min(total, sample)})
    plan.notes.push(...peeked.warnings)
    if (peeked.messages.length >= total) plan.complete = true
    yield* peeked.messages
  } catch (error) {
    if (!(error instanceof MailroomError) || !['UNSUPPORTED', 'REFUSED'].includes(error.code)) throw error
    plan.notes.push(`not sampled (${error.message}): planned from the depth (${total}) only`)
  }
}
