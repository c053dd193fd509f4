import {describe, expect, it} from 'vitest'

import type {PublishReceipt} from '../../src/adapters/types.js'
import {type ReceiptWindow, publishThroughWindow} from '../../src/adapters/windowed-publish.js'
import type {Envelope} from '../../src/model/envelope/types.js'

/** A window whose confirmations the test hands out (settle), in whatever order it likes. */
class ManualWindow implements ReceiptWindow {
  readonly sent: number[] = []
  readonly failure = undefined
  maxHeld = 0
  private readonly entries: {index: number; receipt?: PublishReceipt}[] = []
  private wake: (() => void) | undefined

  get held(): number {
    return this.entries.length
  }

  get ready(): boolean {
    return this.entries[0]?.receipt !== undefined
  }

  send(index: number): undefined {
    this.sent.push(index)
    this.entries.push({index})
    this.maxHeld = Math.max(this.maxHeld, this.entries.length)
    return undefined
  }

  settle(index: number): void {
    const entry = this.entries.find((e) => e.index === index)!
    entry.receipt = {index, ok: true}
    if (!this.ready) return
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  unsettled(): number[] {
    return this.entries.filter((e) => !e.receipt).map((e) => e.index)
  }

  nextCompletion(): Promise<void> {
    if (this.ready || this.entries.length === 0) return Promise.resolve()
    return new Promise((resolve) => (this.wake = resolve))
  }

  take(): PublishReceipt[] {
    let n = 0
    while (this.entries[n]?.receipt) n++
    return this.entries.splice(0, n).map((e) => e.receipt!)
  }
}

const envelope = (i: number): Envelope => ({v: 1, headers: [], body: {utf8: `m${i}`}})
const tick = () => new Promise((resolve) => setImmediate(resolve))

/** Collects what the loop hands over; between its steps, settles (in the order `settleOrder` gives) what is unsettled. */
async function drive(
  window: ManualWindow,
  loop: AsyncGenerator<PublishReceipt[]>,
  settleOrder: (unsettled: number[]) => number[],
) {
  const handed: number[][] = []
  let step: IteratorResult<PublishReceipt[]> | undefined
  const advance = () => void loop.next().then((r) => (step = r))
  advance()
  for (;;) {
    await tick()
    if (!step) {
      for (const i of settleOrder(window.unsettled())) window.settle(i)
      continue
    }
    if (step.done) return handed
    handed.push(step.value.map((r) => r.index))
    step = undefined
    advance()
  }
}

describe('publishThroughWindow (the confirm window of every publish)', () => {
  it('never holds more than the window, and hands receipts over in input order when confirmations come out of order', async () => {
    const window = new ManualWindow()
    const loop = publishThroughWindow(
      Array.from({length: 25}, (_, i) => envelope(i)),
      window,
      4,
    )
    let round = 0
    const handed = await drive(window, loop, (inFlight) =>
      ++round % 2 === 0 || inFlight.length < 2 ? inFlight.reverse() : inFlight.slice(1),
    )
    expect(window.maxHeld).toBeLessThanOrEqual(4)
    expect(handed.flat()).toEqual(Array.from({length: 25}, (_, i) => i))
  })

  it('while a slow input has nothing to send, receipts are handed over as they are confirmed', async () => {
    const window = new ManualWindow()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    async function* slowInput() {
      yield envelope(0)
      yield envelope(1)
      await gate
      yield envelope(2)
    }
    const loop = publishThroughWindow(slowInput(), window, 10)
    const first = loop.next()
    await tick()
    expect(window.sent).toEqual([0, 1])
    window.settle(0)
    window.settle(1)
    expect((await first).value?.map((r: PublishReceipt) => r.index)).toEqual([0, 1])
    release()
    const second = loop.next()
    await tick()
    window.settle(2)
    expect((await second).value?.map((r: PublishReceipt) => r.index)).toEqual([2])
    expect((await loop.next()).done).toBe(true)
  })

  it('on abort sends nothing more and still hands over the receipt of everything sent', async () => {
    const window = new ManualWindow()
    const abort = new AbortController()
    const input = (function* () {
      for (let i = 0; ; i++) {
        if (i === 7) abort.abort()
        yield envelope(i)
      }
    })()
    const handed = await drive(window, publishThroughWindow(input, window, 3, abort.signal), (inFlight) => inFlight)
    expect(handed.flat()).toEqual(window.sent)
    expect(window.sent.length).toBeLessThanOrEqual(8)
  })
})
