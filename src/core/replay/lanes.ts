// One publish lane per destination: messages go out in the order they were sent (per-key order holds because a
// key always maps to one lane), through the adapter's confirmed, windowed publish.
//
// adapter.publish reports receipts only while its input keeps coming or once it ends, so a lane's input ends
// ("lingers out") when nothing new arrived for a few milliseconds: the adapter then reports everything in flight,
// and the next message opens a new publish session. Sessions never overlap, so order is kept across them.
//
// A waiting lane is woken once per turn of the event loop, not once per message: the engine hands over a whole
// fetched batch in one turn, and the publish loop then takes it without an async step per message.
import {publishBatchesOf} from '../../adapters/batched.js'
import type {BrokerAdapter, PublishReceipt} from '../../adapters/types.js'
import {MailroomError, asMailroomError} from '../../model/errors.js'
import type {Envelope} from '../../model/envelope/types.js'
import {IDLE, IdleWatch} from './idle-watch.js'

const LINGER_MS = 250
const DONE: IteratorResult<Envelope> = Object.freeze({value: undefined, done: true})

export interface LaneMessage {
  envelope: Envelope
  onReceipt(r: PublishReceipt): void
}

/** Error codes after which the destination is treated as gone (every further publish would fail the same way). */
const FATAL_CODES = new Set(['CONNECTION', 'AUTH', 'TIMEOUT'])

export function isDestinationDown(code: string | undefined): boolean {
  return code !== undefined && FATAL_CODES.has(code)
}

export class PublishLane {
  private readonly waiting: LaneMessage[] = []
  private wake?: () => void
  private wakeScheduled = false
  private readonly linger = new IdleWatch(LINGER_MS)
  private running?: Promise<void>
  private closed = false
  /** Set when the destination failed in a way every further message would share. */
  dead?: MailroomError

  constructor(
    private readonly adapter: BrokerAdapter,
    readonly target: string,
    private readonly window: number,
    private readonly onDead: (e: MailroomError) => void,
  ) {}

  send(m: LaneMessage): void {
    if (this.dead) return m.onReceipt(failed(0, this.dead))
    this.waiting.push(m)
    this.wakeAfterThisTurn()
    this.running ??= this.run().finally(() => (this.running = undefined))
  }

  private wakeAfterThisTurn(): void {
    if (!this.wake || this.wakeScheduled) return
    this.wakeScheduled = true
    setImmediate(() => {
      this.wakeScheduled = false
      this.wake?.()
    })
  }

  /** Resolves once every message sent so far has its receipt. */
  async drain(): Promise<void> {
    this.closed = true
    this.wake?.()
    while (this.running) await this.running
  }

  private async run(): Promise<void> {
    while (this.waiting.length > 0 && !this.dead) await this.session()
    if (this.dead) for (const m of this.waiting.splice(0)) m.onReceipt(failed(0, this.dead))
  }

  private async session(): Promise<void> {
    const outstanding = new Map<number, LaneMessage>()
    let index = 0
    const input = this.input((m) => outstanding.set(index++, m))
    try {
      for await (const receipts of publishBatchesOf(this.adapter, this.target, input, {window: this.window})) {
        for (const receipt of receipts) {
          const m = outstanding.get(receipt.index)
          outstanding.delete(receipt.index)
          m?.onReceipt(receipt)
          if (!receipt.ok && isDestinationDown(receipt.error?.code))
            this.die(new MailroomError(receipt.error!.code, receipt.error!.message))
        }
      }
    } catch (error) {
      this.die(asMailroomError(error))
    }
    const reason = this.dead ?? new MailroomError('INTERNAL', 'the publish ended without confirming the message')
    for (const [i, m] of outstanding) m.onReceipt(failed(i, reason))
  }

  /**
   * The session's input: waiting messages, ending after LINGER_MS without new ones (or when the lane dies). A message
   * already waiting is handed over without a promise: the adapters' publish loops take such a step at once, so a
   * burst of sends costs no async turn per message.
   */
  private input(taken: (m: LaneMessage) => void): AsyncIterable<Envelope> {
    let finished = false
    const finish = (): IteratorResult<Envelope> => {
      finished = true
      this.linger.stop()
      return DONE
    }
    const next = (): IteratorResult<Envelope> | Promise<IteratorResult<Envelope>> => {
      if (finished) return DONE
      const m = this.waiting.shift()
      if (m) {
        taken(m)
        return {value: m.envelope, done: false}
      }
      if (this.closed || this.dead) return finish()
      return this.arrival().then((arrived) => (arrived ? next() : finish()))
    }
    // An async iterator whose next() sometimes answers synchronously (see isPromise in adapters/batched.ts).
    const iterator = {next, return: async () => finish()} as unknown as AsyncIterator<Envelope>
    return {[Symbol.asyncIterator]: () => iterator}
  }

  /** True when a message arrives, false after LINGER_MS without one. */
  private async arrival(): Promise<boolean> {
    const arrived = new Promise<boolean>((resolve) => (this.wake = () => resolve(this.waiting.length > 0)))
    const r = await this.linger.within(arrived)
    this.wake = undefined
    return r === IDLE ? false : r
  }

  private die(e: MailroomError): void {
    if (this.dead) return
    this.dead = e
    this.onDead(e)
  }
}

function failed(index: number, e: MailroomError): PublishReceipt {
  return {index, ok: false, error: e.toInfo()}
}
