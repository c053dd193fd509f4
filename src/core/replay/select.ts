// The decision for one DLQ message, shared by the dry-run plan and the run: not chosen by the filter, refused
// (replayed too often, no origin), or replayed to a destination with its prepared envelope.
import type {BrokerAdapter} from '../../adapters/types.js'
import {detectDeath, type DetectDeathOptions} from '../dlq/death.js'
import {isoConverter} from '../envelope/time.js'
import type {DeathRecord, Envelope} from '../envelope/types.js'
import type {MessageFilter} from '../filter.js'
import {formatTargetRef} from '../target-ref.js'
import {type Destination, resolveDestination} from './destination.js'
import {prepareForDestination, replayCountOf} from './headers.js'
import type {MessageIdentity} from './identity.js'
import type {ReplayRequest, SkipReason} from './types.js'

export type Decision =
  | {action: 'filtered'}
  | {action: 'skip'; reason: SkipReason; detail: string}
  | {action: 'replay'; dest: Destination; envelope: Envelope; original: Envelope}

export interface SelectorOptions {
  request: ReplayRequest
  replayId: string
  filter?: MessageFilter
  death?: DetectDeathOptions
  /** The source adapter, to fetch the message a JetStream advisory points at. */
  source: BrokerAdapter
  now?: () => Date
}

export class Selector {
  private readonly from: string
  private readonly iso = isoConverter()

  constructor(private readonly o: SelectorOptions) {
    this.from = formatTargetRef(o.request.source)
  }

  async decide(e: Envelope, identity: MessageIdentity): Promise<Decision> {
    const death = e.death ?? (this.needsDeath(e) ? detectDeath(e, this.o.death) : undefined)
    const viewed = death && !e.death ? {...e, death} : e
    if (this.o.filter && !this.o.filter(viewed)) return {action: 'filtered'}
    const {request} = this.o
    const count = replayCountOf(e)
    if (!request.force && count >= request.maxReplays) {
      return {action: 'skip', reason: 'max-replays', detail: `already replayed ${count} times (--max-replays ${request.maxReplays}; --force to replay anyway)`}
    }
    const original = death?.source === 'jetstream-advisory' ? await this.advisedMessage(death) : e
    if ('problem' in original) return {action: 'skip', reason: 'no-origin', detail: original.problem}
    const resolution = resolveDestination(original, death, {to: request.to, keepPartition: request.keepPartition})
    if ('problem' in resolution) return {action: 'skip', reason: 'no-origin', detail: `${resolution.problem}; give a destination with --to`}
    const stamp = {replayId: this.o.replayId, messageId: identity.id, replayedAt: this.iso(this.o.now ? this.o.now().getTime() : Date.now()), replayedFrom: this.from}
    return {action: 'replay', dest: resolution.dest, envelope: prepareForDestination(original, resolution.dest, stamp), original}
  }

  /** The death record matters for the filter, for the origin, and for JetStream advisory entries (JSON bodies). */
  private needsDeath(e: Envelope): boolean {
    return this.o.filter !== undefined || this.o.request.to === undefined || ('utf8' in e.body && e.body.utf8.startsWith('{') && e.body.utf8.includes('"io.nats.jetstream.advisory.'))
  }

  /** A JetStream advisory DLQ entry only points at the dead message: fetch it from its stream by sequence. */
  private async advisedMessage(death: DeathRecord): Promise<Envelope | {problem: string}> {
    const {target, sequence} = death.origin ?? {}
    if (!target || sequence === undefined || !this.o.source.getMessage) return {problem: 'the advisory names no stream sequence to fetch'}
    try {
      const m = await this.o.source.getMessage(target, sequence)
      return {...m, headers: m.headers.filter(([name]) => !name.startsWith('Nats-'))}
    } catch (error) {
      return {problem: `the dead message ${target} #${sequence} can no longer be read: ${(error as Error).message}`}
    }
  }
}
