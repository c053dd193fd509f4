// `tail` over a JetStream stream with messages deleted in the middle and at its end (deleted with nats.js before the
// read; the mid-read case is test/integration/nats-deleted-gap.test.ts): every remaining message is printed once,
// in order; --until-end ends, a live tail goes on until --idle-timeout.
import {connect as natsConnect, type JetStreamManager, type NatsConnection, StringCodec} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {uniqueName} from '../helpers/brokers.js'
import {runCli} from '../helpers/cli.js'
import {parseNdjson} from '../helpers/messaging.js'
import {natsMessages} from '../integration/replay-fixtures.js'

vi.setConfig({testTimeout: 90_000, hookTimeout: 60_000})

const stream = uniqueName('MR_followups2_gapcli')
const subject = `mr.${stream}`
const DELETED = new Set([5, 6, 7, 8, 12, 18, 19, 20])
let raw: NatsConnection
let jsm: JetStreamManager
let remaining: string[]

beforeAll(async () => {
  raw = await natsConnect({servers: '127.0.0.1:4222'})
  jsm = await raw.jetstreamManager()
  await jsm.streams.add({name: stream, subjects: [subject]})
  const js = raw.jetstream()
  const sc = StringCodec()
  for (let i = 1; i <= 20; i++) await js.publish(subject, sc.encode(`m${i}`))
  for (const seq of DELETED) expect(await jsm.streams.deleteMessage(stream, seq, false)).toBe(true)
  // The broker's word on what is left: each sequence fetched by number.
  remaining = (await natsMessages(stream)).map((m) => m.text)
  expect(remaining).toHaveLength(20 - DELETED.size)
  expect((await jsm.streams.info(stream)).state.messages).toBe(remaining.length)
})

afterAll(async () => {
  await jsm?.streams.delete(stream).catch(() => undefined)
  await raw?.close()
})

const bodies = (stdout: string) => parseNdjson(stdout).map((e) => (e.body as {utf8: string}).utf8)

describe('tail over deleted JetStream sequences', () => {
  it('--from earliest --until-end prints each remaining message once and ends', async () => {
    const r = await runCli(['tail', `nats:${stream}`, '--from', 'earliest', '--until-end', '-o', 'ndjson'])
    expect(r.code, r.stderr).toBe(0)
    expect(bodies(r.stdout)).toEqual(remaining)
  })

  it('a live tail from earliest prints each remaining message once and waits for more', async () => {
    const r = await runCli(['tail', `nats:${stream}`, '--from', 'earliest', '--idle-timeout', '3s', '-o', 'ndjson'])
    expect(r.code, r.stderr).toBe(0)
    expect(bodies(r.stdout)).toEqual(remaining)
  })
})
