// Acknowledgements of a consuming read, sent together: one basic.ack with `multiple` covers every delivery up to a
// tag when all of them are being acked, instead of one frame per message. Acks made in one synchronous run (a
// replay settles its confirmed messages as a batch) go out together once it ends, and share one promise; a caller
// acking one message at a time waits only for a microtask.
import type {Channel, ConsumeMessage} from 'amqplib'

/** The acks collected for the next write, and the promise they share. */
interface Round {
  msgs: ConsumeMessage[]
  written: Promise<void>
  done(error?: unknown): void
}

export class AckBatcher {
  /** Tags handed out and not yet settled, in ascending order (the broker delivers in tag order). */
  private readonly unsettled = new Set<number>()
  private round: Round | undefined

  /** @param mapError turns a channel's error into the caller's error, once per round. */
  constructor(
    private readonly channel: Channel,
    private readonly mapError: (error: unknown) => unknown = (error) => error,
  ) {}

  handedOut(msg: ConsumeMessage): void {
    this.unsettled.add(msg.fields.deliveryTag)
  }

  /** Resolves once the ack is written, together with the others made in the same synchronous run. */
  ack(msg: ConsumeMessage): Promise<void> {
    const round = (this.round ??= this.newRound())
    round.msgs.push(msg)
    return round.written
  }

  /** Rejects (or requeues) one delivery at once; acks collected before it go out first. */
  nack(msg: ConsumeMessage, requeue: boolean): void {
    this.flush()
    this.unsettled.delete(msg.fields.deliveryTag)
    this.channel.nack(msg, false, requeue)
  }

  /** Writes the collected acks: one multiple-ack for those below the lowest delivery still unsettled, then the rest. */
  flush(): void {
    const round = this.round
    this.round = undefined
    if (!round) return
    const batch = round.msgs.sort((a, b) => a.fields.deliveryTag - b.fields.deliveryTag)
    try {
      for (const msg of batch) this.unsettled.delete(msg.fields.deliveryTag)
      const lowestOpen = this.lowestUnsettled()
      let covered = 0
      while (covered < batch.length && batch[covered]!.fields.deliveryTag < lowestOpen) covered++
      if (covered > 0) this.channel.ack(batch[covered - 1]!, true)
      for (let i = covered; i < batch.length; i++) this.channel.ack(batch[i]!)
      round.done()
    } catch (error) {
      round.done(this.mapError(error))
    }
  }

  private newRound(): Round {
    let done!: Round['done']
    const written = new Promise<void>((resolve, reject) => {
      done = (error) => (error === undefined ? resolve() : reject(error))
    })
    // Rejections reach each caller through `written`; this only keeps an unobserved one from being reported.
    written.catch(() => {})
    queueMicrotask(() => this.flush())
    return {msgs: [], written, done}
  }

  private lowestUnsettled(): number {
    for (const tag of this.unsettled) return tag
    return Number.POSITIVE_INFINITY
  }
}
