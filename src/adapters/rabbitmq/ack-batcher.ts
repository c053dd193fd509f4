// Acknowledgements of a consuming read, sent together: one basic.ack with `multiple` covers every delivery up to a
// tag when all of them are being acked, instead of one frame per message. Acks made in one synchronous run (a
// replay settles its confirmed messages as a batch) go out together once it ends; a caller acking one message at
// a time waits only for a microtask.
import type {Channel, ConsumeMessage} from 'amqplib'

interface PendingAck {
  msg: ConsumeMessage
  done(error?: unknown): void
}

export class AckBatcher {
  /** Tags handed out and not yet settled, in ascending order (the broker delivers in tag order). */
  private readonly unsettled = new Set<number>()
  private pending: PendingAck[] = []
  private scheduled = false

  constructor(private readonly channel: Channel) {}

  handedOut(msg: ConsumeMessage): void {
    this.unsettled.add(msg.fields.deliveryTag)
  }

  /** Resolves once the ack is written, together with the others made in the same synchronous run. */
  ack(msg: ConsumeMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({msg, done: (error) => (error === undefined ? resolve() : reject(error))})
      if (this.scheduled) return
      this.scheduled = true
      queueMicrotask(() => this.flush())
    })
  }

  /** Rejects (or requeues) one delivery at once; acks collected before it go out first. */
  nack(msg: ConsumeMessage, requeue: boolean): void {
    this.flush()
    this.unsettled.delete(msg.fields.deliveryTag)
    this.channel.nack(msg, false, requeue)
  }

  /** Writes the collected acks: one multiple-ack for those below the lowest delivery still unsettled, then the rest. */
  flush(): void {
    this.scheduled = false
    const batch = this.pending.sort((a, b) => a.msg.fields.deliveryTag - b.msg.fields.deliveryTag)
    this.pending = []
    if (batch.length === 0) return
    try {
      for (const {msg} of batch) this.unsettled.delete(msg.fields.deliveryTag)
      const lowestOpen = this.lowestUnsettled()
      const covered = batch.filter(({msg}) => msg.fields.deliveryTag < lowestOpen)
      if (covered.length > 0) this.channel.ack(covered[covered.length - 1]!.msg, true)
      for (const {msg} of batch.slice(covered.length)) this.channel.ack(msg)
      for (const a of batch) a.done()
    } catch (error) {
      for (const a of batch) a.done(error)
    }
  }

  private lowestUnsettled(): number {
    for (const tag of this.unsettled) return tag
    return Number.POSITIVE_INFINITY
  }
}
