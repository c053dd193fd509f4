// publish / tail / peek / request of the built CLI on the real NATS JetStream server.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {connect, type JetStreamManager, type NatsConnection} from 'nats'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import type {Envelope} from '../../src/model/envelope/types.js'
import {uniqueName, waitFor} from '../helpers/brokers.js'
import {jsonOf, runCli} from '../helpers/cli.js'
import {base64Body, content, ndjson, parseNdjson, pipeCli, randomBinary, startCli} from '../helpers/messaging.js'

// Each test runs several CLI processes against real brokers; on a loaded 2-core machine that takes a while.
vi.setConfig({testTimeout: 120_000})

let nc: NatsConnection
let jsm: JetStreamManager
const streams: string[] = []
const dir = mkdtempSync(join(tmpdir(), 'mailroom-nats-e2e-'))

async function newStream(prefix: string): Promise<string> {
  const name = uniqueName(prefix).replaceAll('-', '_').toUpperCase()
  await jsm.streams.add({name, subjects: [`${name}.>`]})
  streams.push(name)
  return name
}

async function tailAll(stream: string): Promise<Envelope[]> {
  const r = await runCli(['tail', `nats:${stream}`, '--until-end', '-o', 'ndjson'])
  expect(r.code, r.stderr).toBe(0)
  return parseNdjson(r.stdout)
}

function messages(stream: string, count: number): Envelope[] {
  return Array.from({length: count}, (_, i) => ({
    v: 1,
    key: `${stream}.orders.${i % 3}`,
    headers: [
      ['trace', `t-${i}`],
      ['trace', 'repeated name'],
      ['Nats-Msg-Id', `${stream}-${i}`],
      ['utf8', 'ünïcødé ✓'],
    ],
    body: base64Body(randomBinary(1, 300)),
  }))
}

beforeAll(async () => {
  nc = await connect({servers: '127.0.0.1:4222'})
  jsm = await nc.jetstreamManager()
})

afterAll(async () => {
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined)
  await nc.close()
  rmSync(dir, {recursive: true, force: true})
})

describe('nats: publish -> tail', () => {
  it('reproduces random binary bodies, subjects and headers (repeated names, UTF-8 text) exactly', async () => {
    const stream = await newStream('e2e-pub')
    const sent = messages(stream, 25)
    const pub = await runCli(['publish', `nats:${stream}`, '--input', 'ndjson'], {input: ndjson(sent)})
    expect(pub.code, pub.stderr).toBe(0)
    const got = await tailAll(stream)
    expect(got.map((e) => content(e))).toEqual(sent.map((e) => content(e)))
    expect(got.map((e) => e.meta?.sequence)).toEqual(Array.from({length: 25}, (_, i) => i + 1))
  })

  it('refuses a header value NATS would alter (non-UTF-8) instead of changing it: exit 8', async () => {
    const stream = await newStream('e2e-hdr')
    const r = await runCli(['publish', `nats:${stream}`, '--input', 'ndjson'], {
      input: ndjson([
        {
          v: 1,
          key: `${stream}.a`,
          headers: [['raw', {bytes: randomBinary(3, 3).toString('base64')}]],
          body: {utf8: 'x'},
        },
      ]),
    })
    expect(r.code).toBe(8)
    expect(r.stderr).toMatch(/header "raw" is not valid UTF-8/)
  })

  it('drops a re-published Nats-Msg-Id as a duplicate', async () => {
    const stream = await newStream('e2e-dedupe')
    const args = ['publish', `nats:${stream}`, '--key', `${stream}.a`, '-H', 'Nats-Msg-Id=once', 'x', '--json']
    expect(jsonOf(await runCli(args)).result).toMatchObject({published: 1, duplicates: 0})
    expect(jsonOf(await runCli(args)).result).toMatchObject({published: 1, duplicates: 1})
    expect((await jsm.streams.info(stream)).state.messages).toBe(1)
  })

  it('tail -o ndjson | publish --input ndjson copies a stream byte for byte', async () => {
    const source = await newStream('e2e-src')
    const copy = await newStream('e2e-copy')
    const sent = messages(source, 20).map((e) => ({...e, headers: e.headers.filter(([n]) => n !== 'Nats-Msg-Id')}))
    expect((await runCli(['publish', `nats:${source}`, '--input', 'ndjson'], {input: ndjson(sent)})).code).toBe(0)
    // Two streams cannot capture the same subjects, so the copy gets a subject of its own (--key); body and
    // headers travel unchanged.
    const {left, right} = await pipeCli(
      ['tail', `nats:${source}`, '--until-end', '-o', 'ndjson'],
      ['publish', `nats:${copy}`, '--input', 'ndjson', '--key', `${copy}.copied`],
    )
    expect(left.code, left.stderr).toBe(0)
    expect(right.code, right.stderr).toBe(0)
    const copied = await tailAll(copy)
    const keep: (keyof Envelope)[] = ['headers', 'body']
    expect(copied.map((e) => content(e, keep))).toEqual((await tailAll(source)).map((e) => content(e, keep)))
    expect(copied.map((e) => content(e, keep))).toEqual(sent.map((e) => content(e, keep)))
    expect(new Set(copied.map((e) => e.key))).toEqual(new Set([`${copy}.copied`]))
  })
})

describe('nats: peek and --until-end', () => {
  it('peek reads by sequence: the stream and its consumers are unchanged', async () => {
    const stream = await newStream('e2e-peek')
    await runCli(['publish', `nats:${stream}`, '--input', 'ndjson'], {
      input: ndjson(['a', 'b', 'c', 'd'].map((t) => ({v: 1, key: `${stream}.x`, headers: [], body: {utf8: t}}))),
    })
    const before = (await jsm.streams.info(stream)).state
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['peek', `nats:${stream}`, '-n', '3', '-o', 'ndjson'])
      expect(r.code, r.stderr).toBe(0)
      expect(parseNdjson(r.stdout).map((e) => (e.body as {utf8: string}).utf8)).toEqual(['a', 'b', 'c'])
      expect(r.stderr).not.toContain('warning')
    }
    const after = (await jsm.streams.info(stream)).state
    expect([after.messages, after.first_seq, after.last_seq]).toEqual([
      before.messages,
      before.first_seq,
      before.last_seq,
    ])
    expect(await consumersOf(stream)).toEqual([])
  })

  it('tail --until-end stops on an empty stream and on a non-empty one', async () => {
    const empty = await newStream('e2e-empty')
    const r1 = await runCli(['tail', `nats:${empty}`, '--until-end'], {timeoutMs: 20_000})
    expect(r1.code, r1.stderr).toBe(0)
    expect(r1.stderr).toContain('0 message(s)')
    const some = await newStream('e2e-some')
    await runCli(['publish', `nats:${some}`, '--key', `${some}.x`, 'm', '--count', '5'])
    const r2 = await runCli(['tail', `nats:${some}`, '--until-end', '-o', 'ndjson'], {timeoutMs: 20_000})
    expect(r2.code, r2.stderr).toBe(0)
    expect(parseNdjson(r2.stdout)).toHaveLength(5)
    expect(await consumersOf(some)).toEqual([])
  })
})

async function consumersOf(stream: string): Promise<string[]> {
  const names: string[] = []
  for await (const ci of jsm.consumers.list(stream)) names.push(ci.name)
  return names
}

describe('nats: request', () => {
  it('gets the reply on a plain subject and on a JetStream-captured subject (the PubAck is not the reply)', async () => {
    const stream = await newStream('e2e-rpc')
    const plain = uniqueName('e2e.rpc.plain')
    const captured = `${stream}.svc`
    for (const subject of [plain, captured]) {
      nc.subscribe(subject, {
        max: 1,
        callback: (_, m) => m.respond(Buffer.concat([Buffer.from('re:'), Buffer.from(m.data)])),
      })
    }
    await nc.flush()
    for (const subject of [plain, captured]) {
      const r = await runCli(['request', `nats:${subject}`, 'ping', '-H', 'x-req=1', '--json'])
      expect(r.code, r.stderr).toBe(0)
      expect(jsonOf<{reply: Envelope}>(r).result.reply.body).toEqual({utf8: 're:ping'})
    }
    // The captured request was also stored by the stream.
    expect((await jsm.streams.info(stream)).state.messages).toBe(1)
  })

  it('times out with exit 6 when nobody answers a captured subject; no responders on a plain one is exit 4', async () => {
    const stream = await newStream('e2e-rpc-silent')
    const silent = await runCli(['request', `nats:${stream}.nobody`, 'ping', '--timeout', '1s'])
    expect(silent.code, silent.stderr).toBe(6)
    expect(silent.stderr).toMatch(/no reply on subject .* within 1000 ms .*PubAck is not a reply/)
    const none = await runCli(['request', `nats:${uniqueName('e2e.rpc.none')}`, 'ping'])
    expect(none.code, none.stderr).toBe(4)
    expect(none.stderr).toContain('no responders')
  })
})

describe('nats: Ctrl-C', () => {
  it('tail exits 130 on SIGINT and leaves no consumer behind', async () => {
    const stream = await newStream('e2e-sigint')
    const js = nc.jetstream()
    const tail = startCli(['tail', `nats:${stream}`, '-o', 'ndjson'])
    try {
      await waitFor(
        async () => {
          await js.publish(`${stream}.tick`, Buffer.from('tick'))
          return tail.stdout().length > 0
        },
        {timeoutMs: 20_000, intervalMs: 300},
      )
      expect((await consumersOf(stream)).length).toBe(1)
      tail.child.kill('SIGINT')
      const r = await tail.exited
      expect(r.code, r.stderr).toBe(130)
      expect(await consumersOf(stream)).toEqual([])
    } finally {
      tail.child.kill('SIGKILL')
    }
  })
})

describe('nats: bad input', () => {
  it('a nonexistent stream is exit 4 for publish, tail and peek', async () => {
    const missing = uniqueName('E2E_MISSING').replaceAll('-', '_')
    for (const args of [
      ['publish', `nats:${missing}`, 'x'],
      ['tail', `nats:${missing}`],
      ['peek', `nats:${missing}`],
    ]) {
      const r = await runCli(args)
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(4)
      expect(r.stderr).toContain(missing)
    }
  })

  it('a message over the server max_payload is not published: exit 8, the limit named', async () => {
    const stream = await newStream('e2e-big')
    const file = join(dir, 'big.bin')
    writeFileSync(file, Buffer.alloc((nc.info?.max_payload ?? 1_048_576) + 1))
    const r = await runCli(['publish', `nats:${stream}`, '--key', `${stream}.big`, '--file', file])
    expect(r.code, r.stderr).toBe(8)
    expect(r.stderr).toContain(`max_payload of ${nc.info?.max_payload} bytes`)
    expect((await jsm.streams.info(stream)).state.messages).toBe(0)
  })

  it('an invalid NDJSON line stops the stream before it (nothing after it is published)', async () => {
    const stream = await newStream('e2e-badline')
    const line = (t: string) => JSON.stringify({v: 1, key: `${stream}.x`, headers: [], body: {utf8: t}})
    const r = await runCli(['publish', `nats:${stream}`, '--input', 'ndjson'], {
      input: [line('1'), 'not json', line('3')].join('\n'),
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('line 2: not valid JSON')
    expect((await tailAll(stream)).map((e) => e.body)).not.toContainEqual({utf8: '3'})
  })
})
