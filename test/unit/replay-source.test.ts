// The replay source as the adapter offers it (BrokerAdapter.replaySource): core takes the bound, the count and the
// settling operations from it, asks once per run, and refuses what the offer cannot do.
import {describe, expect, it} from 'vitest'

import type {Delivery, ReadOptions, ReplayCursor, ReplaySourceCapability} from '../../src/adapters/types.js'
import {inspectSource, openSource} from '../../src/core/replay/source.js'
import {MailroomError} from '../../src/model/errors.js'
import {fakeAdapter} from '../helpers/fake-adapter.js'

function recordAt(offset: number): Delivery {
  return {
    envelope: {v: 1, headers: [], body: {utf8: `r${offset}`}, meta: {partition: 0, offset: String(offset)}},
    settle: async () => {},
  }
}

/** A Kafka-like source: records 0..4, a cursor that marks 1 replayed and starts reading at 1. */
function topicAdapter() {
  const asked = {replaySource: 0, cursor: 0, readFrom: [] as ReadOptions['from'][], settled: [] as string[]}
  const cursor: ReplayCursor = {
    group: 'mailroom-replay.t',
    committedBefore: true,
    unreplayed: 3,
    from: 1n,
    prepare: () => {},
    admit: (d) => (d.envelope.meta?.offset === '1' ? 'replayed' : 'new'),
    mark: () => {},
    settle: async (d) => void asked.settled.push(d.envelope.meta!.offset!),
    flush: async () => {},
    shortfall: () => undefined,
  }
  let committedRead: Promise<ReplayCursor> | undefined
  const offer: ReplaySourceCapability = {
    kind: 'group-cursor',
    targetKind: 'topic',
    depth: 5,
    ends: {'0': '5'},
    // As the port says: the committed cursor is read on the first call and kept (asked.cursor counts the reads).
    cursor: () =>
      (committedRead ??= Promise.resolve().then(() => {
        asked.cursor++
        return cursor
      })),
  }
  const adapter = fakeAdapter('kafka', {
    replaySource: async () => {
      asked.replaySource++
      return offer
    },
    async *read(_target, o) {
      asked.readFrom.push(o?.from)
      const from = o?.from?.kind === 'offset' ? Number(o.from.value) : 0
      for (let i = from; i < 5; i++) yield recordAt(i)
    },
  })
  return {adapter, asked}
}

async function drain(source: Awaited<ReturnType<typeof openSource>>): Promise<string[]> {
  const read: string[] = []
  for (let d = await source.next(); d; d = await source.next()) {
    read.push(d.envelope.meta!.offset!)
    await source.replayed(d)
  }
  await source.close()
  return read
}

describe('the replay source offered by the adapter', () => {
  it('a run asks the adapter once: the bound, the count and the cursor it opens with come from that one offer', async () => {
    const {adapter, asked} = topicAdapter()
    const {facts, offer} = await inspectSource(adapter, 't', 'move')
    expect(facts).toEqual({
      broker: 'kafka',
      target: 't',
      kind: 'topic',
      strategy: 'commit-group',
      bound: {kind: 'offsets', ends: {'0': '5'}},
      count: 3,
    })
    const source = await openSource(adapter, facts, {window: 4}, offer)
    expect(await drain(source)).toEqual(['2', '3', '4'])
    expect(asked).toMatchObject({
      replaySource: 1,
      cursor: 1,
      readFrom: [{kind: 'offset', value: 1n}],
      settled: ['2', '3', '4'],
    })
  })

  it('a copy counts the depth and never reads the cursor; a resume (facts from the journal) asks the adapter on open', async () => {
    const {adapter, asked} = topicAdapter()
    const copy = await inspectSource(adapter, 't', 'copy')
    expect(copy.facts).toMatchObject({strategy: 'read-only', count: 5})
    expect(asked.cursor).toBe(0)
    const move = await inspectSource(adapter, 't', 'move')
    const resumed = await openSource(adapter, move.facts, {window: 4})
    await resumed.close()
    expect(asked.replaySource).toBe(3)
  })

  it('refuses what the offer cannot do, saying why', async () => {
    const queue = fakeAdapter('rabbitmq', {
      replaySource: async () => ({kind: 'queue', targetKind: 'quorum-queue', depth: 2}),
    })
    const copy = await inspectSource(queue, 'q', 'copy').catch((e: MailroomError) => e)
    expect(copy).toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining(
        'rabbitmq:q is a quorum-queue: it cannot be read without taking messages off it',
      ),
    })
    const streamQueue = fakeAdapter('rabbitmq', {
      replaySource: async () => ({
        kind: 'positioned',
        targetKind: 'stream-queue',
        depth: 2,
        keeps: 'a stream queue never removes messages on read',
      }),
    })
    const move = await inspectSource(streamQueue, 's', 'move').catch((e: MailroomError) => e)
    expect(move).toMatchObject({
      code: 'UNSUPPORTED',
      message: 'cannot move messages out of rabbitmq:s: a stream queue never removes messages on read',
    })
    expect((await inspectSource(streamQueue, 's', 'copy')).facts).toMatchObject({
      strategy: 'read-only',
      bound: {kind: 'depth', depth: 2},
    })
  })
})
