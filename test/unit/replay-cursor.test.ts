// The Kafka replay cursor (src/adapters/kafka/replay-cursor.ts): the committed offset stops at the first record not
// replayed, the metadata remembers what was replayed above it, and a later run skips exactly those.
import {describe, expect, it} from 'vitest'

import type {Delivery} from '../../src/adapters/types.js'
import {
  type CommittedCursor,
  CursorCommitter,
  decodeReplayed,
  encodeReplayed,
  MAX_SPAN,
  replayedBefore,
} from '../../src/adapters/kafka/replay-cursor.js'

function record(partition: number, offset: number): Delivery {
  return {
    envelope: {v: 1, headers: [], body: {utf8: ''}, meta: {partition, offset: String(offset)}},
    settle: async () => {},
  }
}

/** Feeds records as a run reads them (skipping what was replayed before), settling those `replay` picks. */
async function runOver(
  committed: Record<number, CommittedCursor>,
  records: Delivery[],
  replay: (d: Delivery) => boolean,
) {
  const commits: {offsets: Record<number, string>; metadata: Record<number, string>}[] = []
  const cursor = new CursorCommitter(committed, async (offsets, metadata) => void commits.push({offsets, metadata}))
  const handedOut: string[] = []
  const settles: Promise<void>[] = []
  for (const d of records) {
    if (cursor.beyondSpan(d)) continue
    const before = cursor.replayedBefore(d)
    cursor.read(d)
    if (before) continue
    handedOut.push(`${d.envelope.meta!.partition}/${d.envelope.meta!.offset}`)
    if (replay(d)) settles.push(cursor.settle(d))
  }
  await Promise.all(settles)
  await cursor.flush()
  const last: Record<number, CommittedCursor> = {...committed}
  for (const c of commits)
    for (const p of Object.keys(c.offsets))
      last[Number(p)] = {offset: c.offsets[Number(p)], metadata: c.metadata[Number(p)]}
  return {handedOut, committed: last}
}

const offsetOf = (d: Delivery) => Number(d.envelope.meta!.offset)

describe('the Kafka replay cursor', () => {
  it('encodes the replayed offsets above the floor and decodes them back', () => {
    const replayed = [11n, 12n, 19n, 10_000n]
    const text = encodeReplayed(10n, replayed)
    expect(text.startsWith('r1:')).toBe(true)
    expect([...decodeReplayed(10n, text)]).toEqual(replayed)
    expect(encodeReplayed(10n, [])).toBe('')
    expect(decodeReplayed(10n, 'something else').size).toBe(0)
  })

  it('holds the floor at the first record a filter skipped; a later run replays exactly the rest', async () => {
    const records = Array.from({length: 10}, (_, i) => record(0, i))
    const first = await runOver({}, records, (d) => offsetOf(d) % 3 === 1) // 1, 4, 7
    expect(first.committed[0]!.offset).toBe('0')
    expect([...decodeReplayed(0n, first.committed[0]!.metadata)]).toEqual([1n, 4n, 7n])
    const second = await runOver(first.committed, records, () => true)
    expect(second.handedOut).toEqual(['0/0', '0/2', '0/3', '0/5', '0/6', '0/8', '0/9'])
    expect(second.committed[0]).toEqual({offset: '10', metadata: ''})
    expect((await runOver(second.committed, records, () => true)).handedOut).toEqual([])
  })

  it('records beyond a limit (never read) stay, and marks an earlier run left above them are kept', async () => {
    const records = Array.from({length: 10}, (_, i) => record(0, i))
    const first = await runOver({}, records, (d) => offsetOf(d) === 0 || offsetOf(d) === 8)
    expect(first.committed[0]!.offset).toBe('1')
    // A run that stops reading after offset 3 (its --limit) moves the floor past 1..3 and keeps the mark on 8.
    const second = await runOver(first.committed, records.slice(0, 4), () => true)
    expect(second.committed[0]!.offset).toBe('4')
    expect([...decodeReplayed(4n, second.committed[0]!.metadata)]).toEqual([8n])
    expect((await runOver(second.committed, records, () => true)).handedOut).toEqual([
      '0/4',
      '0/5',
      '0/6',
      '0/7',
      '0/9',
    ])
  })

  it('a dry run sees the same records as done', () => {
    const done = replayedBefore({0: {offset: '5', metadata: encodeReplayed(5n, [7n])}})
    expect([4, 5, 6, 7, 8].map((o) => done(record(0, o)))).toEqual([true, false, false, true, false])
    expect(done(record(1, 0))).toBe(false)
  })

  it('skips gaps in the offsets (compaction, transaction markers) when the floor moves', async () => {
    const records = [2, 3, 7, 9].map((o) => record(0, o))
    const run = await runOver({0: {offset: '1'}}, records, () => true)
    expect(run.committed[0]).toEqual({offset: '10', metadata: ''})
  })

  it(`hands out nothing more than ${MAX_SPAN} records past the floor, so the metadata always fits`, async () => {
    const records = Array.from({length: MAX_SPAN + 50}, (_, i) => record(0, i))
    const run = await runOver({}, records, (d) => offsetOf(d) > 0)
    expect(run.handedOut).toHaveLength(MAX_SPAN + 1)
    expect(run.committed[0]!.offset).toBe('0')
    expect(run.committed[0]!.metadata!.length).toBeLessThan(4096)
  })
})
