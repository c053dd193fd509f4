import type {Channel, ConsumeMessage} from 'amqplib'
import {describe, expect, it} from 'vitest'

import {AckBatcher} from '../../src/adapters/rabbitmq/ack-batcher.js'

/** Records what the batcher asks of the channel (the frames themselves are amqplib's). */
function recordingChannel(fail = false) {
  const calls: string[] = []
  const channel = {
    ack: (m: ConsumeMessage, multiple = false) => {
      if (fail) throw new Error('channel closed')
      calls.push(`ack ${m.fields.deliveryTag}${multiple ? ' multiple' : ''}`)
    },
    nack: (m: ConsumeMessage, _multiple: boolean, requeue: boolean) =>
      calls.push(`nack ${m.fields.deliveryTag}${requeue ? ' requeue' : ''}`),
  } as unknown as Channel
  return {channel, calls}
}

const delivery = (tag: number) => ({fields: {deliveryTag: tag}}) as ConsumeMessage

describe('AckBatcher', () => {
  it('acks made in one run share one promise and one multiple-ack up to the lowest delivery still open', async () => {
    const {channel, calls} = recordingChannel()
    const acks = new AckBatcher(channel)
    const msgs = [1, 2, 3, 4, 5].map(delivery)
    for (const m of msgs) acks.handedOut(m)
    // 3 stays open: 1 and 2 are covered by one multiple-ack, 4 and 5 go singly.
    const promises = [msgs[3]!, msgs[1]!, msgs[0]!, msgs[4]!].map((m) => acks.ack(m))
    expect(new Set(promises).size).toBe(1)
    await Promise.all(promises)
    expect(calls).toEqual(['ack 2 multiple', 'ack 4', 'ack 5'])
    await acks.ack(msgs[2]!)
    expect(calls.at(-1)).toBe('ack 3 multiple')
  })

  it('a nack writes the acks collected before it first', async () => {
    const {channel, calls} = recordingChannel()
    const acks = new AckBatcher(channel)
    const msgs = [1, 2].map(delivery)
    for (const m of msgs) acks.handedOut(m)
    const acked = acks.ack(msgs[0]!)
    acks.nack(msgs[1]!, true)
    await acked
    expect(calls).toEqual(['ack 1 multiple', 'nack 2 requeue'])
  })

  it("a failed write rejects every ack of its round with the caller's error", async () => {
    const {channel} = recordingChannel(true)
    const acks = new AckBatcher(channel, (e) => new Error(`mapped: ${(e as Error).message}`))
    const msgs = [1, 2].map(delivery)
    for (const m of msgs) acks.handedOut(m)
    const results = await Promise.allSettled(msgs.map((m) => acks.ack(m)))
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect((results[0] as PromiseRejectedResult).reason.message).toBe('mapped: channel closed')
  })
})
