// The decision for one DLQ message, shared by the dry-run plan and the run: not chosen by the filter, refused
// (replayed too often, no origin), or replayed to a destination with its prepared envelope.
import type {BrokerAdapter} from '../../adapters/types.js'
import {detectDeath, type DetectDeathOptions} from '../dlq/death.js'
import {deadMessageOf} from '../dlq/read.js'
import type {Envelope} from '../../model/envelope/types.js'
import type {MessageFilter} from '../filter.js'
import type {EnvelopeDecoder} from '../schema/envelope-decoder.js'
import {type Destination, resolveDestination} from './destination.js'
import {prepareForDestination, replayCountOf} from './headers.js'
import type {MessageIdentity} from './identity.js'
import type {Selection} from './selection.js'
import type {ReplayRequest, SkipReason} from './types.js'

export type Decision =
  | {action: 'filtered'}
  | {action: 'skip'; reason: SkipReason; detail: string}
  | {action: 'replay'; dest: Destination; envelope: Envelope; original: Envelope}

export interface SelectorOptions {
  request: ReplayRequest
  replayId: string
  filter?: MessageFilter
  /** Decodes what the filter reads (json.<field>, schema.<field>) through the schema registry; the bytes move as they are. */
  filterDecoder?: EnvelopeDecoder
  /** The marked messages (--select, the dashboard's marks): only these, each once. */
  selection?: Selection
  death?: DetectDeathOptions
  /** The source adapter, to fetch the message a JetStream advisory points at. */
  source: BrokerAdapter
}

export class Selector {
  constructor(private readonly o: SelectorOptions) {}

  async decide(e: Envelope, identity: MessageIdentity): Promise<Decision> {
    const death = e.death ?? (this.needsDeath(e) ? detectDeath(e, this.o.death) : undefined)
    const entry = death && !e.death ? {...e, death} : e
    // Judged as inspect and purge show it: a JetStream advisory entry by the dead message it points at.
    const shown = await this.deadMessage(entry)
    const judged = 'problem' in shown ? entry : shown
    if (this.o.filter && !this.o.filter(await this.filtered(judged))) return {action: 'filtered'}
    if (this.o.selection && !this.o.selection.take(identity.id)) return {action: 'filtered'}
    const {request} = this.o
    const count = replayCountOf(judged)
    if (!request.force && count >= request.maxReplays) {
      return {
        action: 'skip',
        reason: 'max-replays',
        detail: `already replayed ${count} times (--max-replays ${request.maxReplays}; --force to replay anyway)`,
      }
    }
    if ('problem' in shown) return {action: 'skip', reason: 'no-origin', detail: shown.problem}
    const original = shown === entry ? e : withoutNatsHeaders(shown)
    const resolution = resolveDestination(original, shown.death, {to: request.to, keepPartition: request.keepPartition})
    if ('problem' in resolution)
      return {action: 'skip', reason: 'no-origin', detail: `${resolution.problem}; give a destination with --to`}
    const stamp = {replayId: this.o.replayId, messageId: identity.id}
    return {
      action: 'replay',
      dest: resolution.dest,
      envelope: prepareForDestination(original, resolution.dest, stamp),
      original,
    }
  }

  /** What the filter sees: with decoding on, a copy carrying the decoded key and value (what is replayed is not it). */
  private async filtered(e: Envelope): Promise<Envelope> {
    const decoder = this.o.filterDecoder
    return decoder ? {...e, decoded: await decoder.partsOf(e)} : e
  }

  /** Every marked message was found: the rest of the DLQ need not be read. */
  get exhausted(): boolean {
    return this.o.selection?.exhausted ?? false
  }

  /** Marked messages not found among those read. */
  get missingSelected(): number {
    return this.o.selection?.missing ?? 0
  }

  /** The death record matters for the filter, for the origin, and for JetStream advisory entries (JSON bodies). */
  private needsDeath(e: Envelope): boolean {
    return (
      this.o.filter !== undefined ||
      this.o.request.to === undefined ||
      ('utf8' in e.body && e.body.utf8.startsWith('{') && e.body.utf8.includes('"io.nats.jetstream.advisory.'))
    )
  }

  /** The message the entry stands for (the dead message a JetStream advisory points at), or why it cannot be read. */
  private async deadMessage(entry: Envelope): Promise<Envelope | {problem: string}> {
    const {target, sequence} = entry.death?.source === 'jetstream-advisory' ? (entry.death.origin ?? {}) : {}
    try {
      const shown = await deadMessageOf(this.o.source, entry)
      if (shown !== 'gone') return shown
    } catch (error) {
      return {problem: `the dead message ${target} #${sequence} cannot be read: ${(error as Error).message}`}
    }
    return {
      problem: `the dead message ${target} #${sequence} can no longer be read (acknowledged, deleted or aged out)`,
    }
  }
}

/** NATS headers of the stored message (Nats-Msg-Id, Nats-Expected-*) belong to its first publication. */
function withoutNatsHeaders(m: Envelope): Envelope {
  return {...m, headers: m.headers.filter(([name]) => !name.startsWith('Nats-'))}
}
