import {createReadStream} from 'node:fs'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {MailroomError} from '../../src/model/errors.js'
import {
  decodeEnvelopeLine,
  encodeEnvelopeLine,
  readEnvelopes,
  type Envelope,
  type HeaderValue,
  type NumberedEnvelope,
} from '../../src/model/envelope/index.js'

const text = fc.string({unit: 'binary', maxLength: 12})
const base64 = fc.uint8Array({maxLength: 24}).map((b) => Buffer.from(b).toString('base64'))
const count = fc.maxSafeNat()
const offset = fc.bigInt({min: 0n, max: 2n ** 63n - 1n}).map(String)
const iso = fc.date({min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true}).map((d) => d.toISOString())

const {headerValue} = fc.letrec<{headerValue: HeaderValue}>((tie) => ({
  headerValue: fc.oneof(
    {depthSize: 'small'},
    text,
    base64.map((bytes) => ({bytes})),
    fc.bigInt({min: -(2n ** 63n), max: 2n ** 63n - 1n}).map((n) => ({int: n.toString()})),
    fc
      .oneof(
        fc.double({noNaN: true, noDefaultInfinity: true}).filter((x) => !Object.is(x, -0)),
        fc.constantFrom('NaN' as const, 'Infinity' as const, '-Infinity' as const),
      )
      .map((float) => ({float})),
    fc.boolean().map((bool) => ({bool})),
    count.map((timestamp) => ({timestamp})),
    fc
      .record({places: fc.integer({min: 0, max: 255}), digits: fc.nat({max: 2 ** 32 - 1})})
      .map((decimal) => ({decimal})),
    fc.constant({null: true as const}),
    fc.array(tie('headerValue'), {maxLength: 3}).map((array) => ({array})),
    fc.array(fc.tuple(text, tie('headerValue')), {maxLength: 3}).map((table) => ({table})),
  ),
}))

const broker = fc.constantFrom('rabbitmq' as const, 'kafka' as const, 'nats' as const)
const envelope: fc.Arbitrary<Envelope> = fc.record(
  {
    v: fc.constant(1 as const),
    broker,
    target: text,
    key: fc.oneof(
      text,
      base64.map((bytes) => ({bytes})),
      fc.constant(null),
    ),
    partition: fc.nat({max: 2 ** 31 - 1}),
    headers: fc.array(fc.tuple(text, headerValue), {maxLength: 5}),
    properties: fc.record(
      {
        contentType: text,
        contentEncoding: text,
        messageId: text,
        correlationId: text,
        replyTo: text,
        expiration: text,
        priority: fc.nat({max: 255}),
        deliveryMode: fc.constantFrom(1, 2),
        type: text,
        appId: text,
        userId: text,
        timestamp: count,
      },
      {requiredKeys: []},
    ),
    body: fc.oneof(
      fc.string({unit: 'binary'}).map((utf8) => ({utf8})),
      base64.map((b) => ({base64: b})),
    ),
    timestamp: iso,
    meta: fc.record(
      {
        partition: fc.nat(),
        offset,
        sequence: count,
        stream: text,
        subject: text,
        exchange: text,
        routingKey: text,
        redelivered: fc.boolean(),
        deliveryCount: count,
      },
      {requiredKeys: []},
    ),
    death: fc.record(
      {
        reason: text,
        count,
        firstTime: iso,
        lastTime: iso,
        source: text,
        origin: fc.record(
          {
            broker,
            target: text,
            exchange: text,
            routingKeys: fc.array(text, {maxLength: 3}),
            partition: fc.nat(),
            offset,
            sequence: count,
            subject: text,
            consumer: text,
          },
          {requiredKeys: []},
        ),
        error: fc.record({class: text, message: text}, {requiredKeys: []}),
      },
      {requiredKeys: []},
    ),
  },
  {requiredKeys: ['v', 'headers', 'body']},
)

function usageError(fn: () => unknown): MailroomError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(MailroomError)
    expect((err as MailroomError).code).toBe('USAGE')
    expect((err as MailroomError).suggestions.length).toBeGreaterThan(0)
    return err as MailroomError
  }
  throw new Error('expected a USAGE error')
}

async function collect(source: AsyncIterable<NumberedEnvelope>): Promise<NumberedEnvelope[]> {
  const out: NumberedEnvelope[] = []
  for await (const item of source) out.push(item)
  return out
}

async function* chunksOf(buf: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let start = 0
  for (const cut of [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b)) {
    yield buf.subarray(start, cut)
    start = cut
  }
  yield buf.subarray(start)
}

describe('envelope lines', () => {
  it('round-trip any envelope: line -> envelope deep-equal, one line, no newline', () => {
    fc.assert(
      fc.property(envelope, (e) => {
        const line = encodeEnvelopeLine(e)
        expect(line).not.toMatch(/[\n\r]/)
        expect(decodeEnvelopeLine(line, 1)).toEqual(e)
        expect(encodeEnvelopeLine(decodeEnvelopeLine(line, 1))).toBe(line)
      }),
      {numRuns: 1000},
    )
  })

  it('writes keys in a stable order whatever order the object was built in', () => {
    const scrambled = {
      death: {source: 'x-death', reason: 'expired', origin: {target: 'q', broker: 'rabbitmq'}},
      meta: {redelivered: false, partition: 1},
      body: {utf8: 'hi'},
      timestamp: '2024-01-01T00:00:00.000Z',
      properties: {timestamp: 5, contentType: 'text/plain'},
      headers: [['d', {decimal: {digits: 5, places: 1}}]],
      partition: 0,
      key: null,
      target: 'q',
      broker: 'rabbitmq',
      v: 1,
    } as unknown as Envelope
    expect(encodeEnvelopeLine(scrambled)).toBe(
      '{"v":1,"broker":"rabbitmq","target":"q","key":null,"partition":0,"headers":[["d",{"decimal":{"places":1,"digits":5}}]],' +
        '"properties":{"contentType":"text/plain","timestamp":5},"body":{"utf8":"hi"},"timestamp":"2024-01-01T00:00:00.000Z",' +
        '"meta":{"partition":1,"redelivered":false},"death":{"reason":"expired","origin":{"broker":"rabbitmq","target":"q"},"source":"x-death"}}',
    )
  })

  it('gives the same line whether the envelope was built in canonical order (native stringify) or not (field by field)', () => {
    const reversed = (o: object): object => Object.fromEntries(Object.entries(o).reverse())
    fc.assert(
      fc.property(envelope, (e) => {
        const scrambled = {...reversed(e), ...(e.meta ? {meta: reversed(e.meta)} : {})} as Envelope
        expect(encodeEnvelopeLine(scrambled)).toBe(encodeEnvelopeLine(e))
        const plain = {
          ...e,
          death: undefined,
          headers: e.headers.map(([n, v]) => [n, typeof v === 'string' ? v : 'x'] as [string, string]),
        }
        expect(encodeEnvelopeLine(plain)).toBe(encodeEnvelopeLine(reversed(plain) as Envelope))
      }),
      {numRuns: 1000},
    )
  })

  it('writes non-finite floats as text, since JSON has no NaN or Infinity', () => {
    const line = encodeEnvelopeLine({
      v: 1,
      headers: [
        ['f', {float: Number.NaN}],
        ['g', {float: -Infinity}],
      ],
      body: {utf8: ''},
    })
    expect(decodeEnvelopeLine(line, 1).headers).toEqual([
      ['f', {float: 'NaN'}],
      ['g', {float: '-Infinity'}],
    ])
  })

  it('treats absent headers as none', () => {
    expect(decodeEnvelopeLine('{"v":1,"body":{"utf8":"x"}}', 1)).toEqual({v: 1, headers: [], body: {utf8: 'x'}})
  })

  it.each([
    ['{"v":1,"body":', 'not valid JSON'],
    ['[1,2]', 'must be a JSON object'],
    ['{"body":{"utf8":""}}', 'v is missing'],
    ['{"v":2,"body":{"utf8":""}}', 'v must be 1'],
    ['{"v":1}', 'body is missing'],
    ['{"v":1,"body":{"utf8":"a","base64":"YQ=="}}', 'exactly one of "utf8" or "base64"'],
    ['{"v":1,"body":{}}', 'exactly one of "utf8" or "base64", found none'],
    ['{"v":1,"body":{"text":"a"}}', 'exactly one of "utf8" or "base64"'],
    ['{"v":1,"body":{"base64":"YQ="}}', 'body.base64 must be standard padded base64'],
    ['{"v":1,"body":{"base64":"Y!=="}}', 'body.base64 must be standard padded base64'],
    ['{"v":1,"body":{"utf8":"\\ud800"}}', 'body.utf8 holds a lone UTF-16 surrogate'],
    ['{"v":1,"body":{"utf8":""},"headers":{"a":"b"}}', 'headers must be an array'],
    ['{"v":1,"body":{"utf8":""},"headers":[["a","b","c"]]}', 'headers[0] must be a [name, value] pair'],
    ['{"v":1,"body":{"utf8":""},"headers":[[1,"b"]]}', 'headers[0][0] must be a string'],
    ['{"v":1,"body":{"utf8":""},"headers":[["a",5]]}', 'headers[0][1] must be a string or a tagged value'],
    ['{"v":1,"body":{"utf8":""},"headers":[["a",{"long":"5"}]]}', 'headers[0][1] has unknown tag "long"'],
    ['{"v":1,"body":{"utf8":""},"headers":[["a",{"int":"5","bool":true}]]}', 'exactly one tag'],
    [
      '{"v":1,"body":{"utf8":""},"headers":[["a",{"int":5}]]}',
      'headers[0][1].int must be an integer written as a string',
    ],
    ['{"v":1,"body":{"utf8":""},"headers":[["a",{"int":"9223372036854775808"}]]}', 'outside the signed 64-bit range'],
    [
      '{"v":1,"body":{"utf8":""},"headers":[["a",{"bytes":"%%%%"}]]}',
      'headers[0][1].bytes must be standard padded base64',
    ],
    [
      '{"v":1,"body":{"utf8":""},"headers":[["a",{"decimal":{"places":1}}]]}',
      'headers[0][1].decimal.digits is missing',
    ],
    [
      '{"v":1,"body":{"utf8":""},"headers":[["a",{"timestamp":1.5}]]}',
      'headers[0][1].timestamp must be a whole number of seconds',
    ],
    ['{"v":1,"body":{"utf8":""},"headers":[["a",{"float":"nan"}]]}', 'headers[0][1].float must be a number'],
    ['{"v":1,"body":{"utf8":""},"headers":[["a",{"null":false}]]}', 'headers[0][1].null must be true'],
    [
      '{"v":1,"body":{"utf8":""},"headers":[["a",{"table":[["x",{"array":[{"int":"x"}]}]]}]]}',
      'headers[0][1].table[0][1].array[0].int',
    ],
    ['{"v":1,"body":{"utf8":""},"bodyy":1}', 'unknown field "bodyy"'],
    ['{"v":1,"body":{"utf8":""},"broker":"sqs"}', 'broker must be one of rabbitmq, kafka, nats'],
    ['{"v":1,"body":{"utf8":""},"key":{"bytes":"??"}}', 'key.bytes must be standard padded base64'],
    ['{"v":1,"body":{"utf8":""},"partition":-1}', 'partition must be an integer'],
    ['{"v":1,"body":{"utf8":""},"properties":{"priority":"high"}}', 'properties.priority must be an integer'],
    ['{"v":1,"body":{"utf8":""},"properties":{"contenttype":"x"}}', 'properties has unknown field "contenttype"'],
    ['{"v":1,"body":{"utf8":""},"properties":{"toString":"x"}}', 'properties has unknown field "toString"'],
    ['{"v":1,"body":{"utf8":""},"timestamp":"yesterday"}', 'timestamp must be an ISO 8601 time string'],
    ['{"v":1,"body":{"utf8":""},"meta":{"offset":12}}', 'meta.offset must be an integer written as a string'],
    ['{"v":1,"body":{"utf8":""},"death":{"origin":{"routingKeys":"q"}}}', 'death.origin.routingKeys must be an array'],
  ])('refuses %s with a USAGE error naming the line', (line, problem) => {
    const err = usageError(() => decodeEnvelopeLine(line, 7))
    expect(err.message).toMatch(/^line 7: /)
    expect(err.message).toContain(problem)
  })
})

describe('readEnvelopes', () => {
  it('yields the same envelopes however the byte stream is chunked, with LF, CRLF and blank lines', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(envelope, fc.constantFrom('\n', '\r\n'), fc.nat({max: 2})), {minLength: 1, maxLength: 6}),
        fc.array(fc.nat(), {maxLength: 8}),
        fc.boolean(),
        async (items, cuts, trailingNewline) => {
          let doc = ''
          let lineNo = 0
          const expected: NumberedEnvelope[] = []
          items.forEach(([e, eol, blanks], i) => {
            doc += eol.repeat(blanks)
            lineNo += blanks
            expected.push({lineNo: ++lineNo, envelope: e})
            doc += encodeEnvelopeLine(e) + (i < items.length - 1 || trailingNewline ? eol : '')
          })
          expect(await collect(readEnvelopes(chunksOf(Buffer.from(doc), cuts)))).toEqual(expected)
        },
      ),
      {numRuns: 300},
    )
  })

  it('reads string chunks too', async () => {
    async function* strings() {
      yield '{"v":1,"body":{"utf8":"a"}}\n{"v":1,'
      yield '"body":{"utf8":"b"}}'
    }
    const got = await collect(readEnvelopes(strings()))
    expect(got.map((g) => [g.lineNo, g.envelope.body])).toEqual([
      [1, {utf8: 'a'}],
      [2, {utf8: 'b'}],
    ])
  })

  it('skips invalid lines when asked, reporting each with its line number', async () => {
    const doc = [
      '{"v":1,"body":{"utf8":"one"}}',
      'not json',
      '',
      '{"v":1,"body":{"base64":"!"}}',
      '{"v":1,"body":{"utf8":"two"}}',
      '{"v":3,"body":{"utf8":""}}',
    ].join('\n')
    const invalid: Array<[number, string]> = []
    const got = await collect(
      readEnvelopes(chunksOf(Buffer.from(doc), [5, 40]), {
        skipInvalid: true,
        onInvalid: (lineNo, err) => invalid.push([lineNo, err.code]),
      }),
    )
    expect(got.map((g) => [g.lineNo, g.envelope.body])).toEqual([
      [1, {utf8: 'one'}],
      [5, {utf8: 'two'}],
    ])
    expect(invalid).toEqual([
      [2, 'USAGE'],
      [4, 'USAGE'],
      [6, 'USAGE'],
    ])
  })

  it('stops at the first invalid line unless skipping', async () => {
    const doc = '{"v":1,"body":{"utf8":"one"}}\r\n\r\n{"v":1,"body":{"utf8":1}}\n{"v":1,"body":{"utf8":"x"}}\n'
    const seen: number[] = []
    await expect(async () => {
      for await (const {lineNo} of readEnvelopes(chunksOf(Buffer.from(doc), []))) seen.push(lineNo)
    }).rejects.toThrow(/^line 3: body\.utf8 must be a string/)
    expect(seen).toEqual([1])
  })

  it('reports a line that is not UTF-8 text', async () => {
    const doc = Buffer.concat([Buffer.from('{"v":1,"body":{"utf8":"'), Buffer.from([0xff]), Buffer.from('"}}\n')])
    await expect(collect(readEnvelopes(chunksOf(doc, [])))).rejects.toThrow('line 1: not valid UTF-8 text')
  })

  it('ignores a byte order mark at the start of the input', async () => {
    const got = await collect(readEnvelopes(chunksOf(Buffer.from('\uFEFF{"v":1,"body":{"utf8":"a"}}\n'), [1, 2])))
    expect(got).toEqual([{lineNo: 1, envelope: {v: 1, headers: [], body: {utf8: 'a'}}}])
  })

  it('refuses lines over maxLineBytes without holding them, and goes on reading', async () => {
    const long = encodeEnvelopeLine({v: 1, headers: [], body: {utf8: 'x'.repeat(5000)}})
    const short = encodeEnvelopeLine({v: 1, headers: [], body: {utf8: 'ok'}})
    const doc = Buffer.from(`${long}\n${short}\n${long}`)
    const invalid: string[] = []
    const got = await collect(
      readEnvelopes(chunksOf(doc, [100, 2000, 4000, 5100, 5200]), {
        maxLineBytes: 1000,
        skipInvalid: true,
        onInvalid: (_lineNo, err) => invalid.push(err.message),
      }),
    )
    expect(got.map((g) => g.lineNo)).toEqual([2])
    expect(invalid).toEqual(['line 1: longer than 1000 bytes', 'line 3: longer than 1000 bytes'])
  })

  it('streams a file with a huge line in small chunks and keeps every byte', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mailroom-envelope-'))
    try {
      const bigBody = Buffer.alloc(8 * 1024 * 1024, 0xfe) // not UTF-8: base64
      const file = path.join(dir, 'dlq.ndjson')
      await writeFile(
        file,
        [
          encodeEnvelopeLine({v: 1, headers: [['n', '1']], body: {base64: bigBody.toString('base64')}}),
          encodeEnvelopeLine({v: 1, headers: [['n', '2']], body: {utf8: 'small'}}),
          '',
        ].join('\r\n'),
      )
      const got = await collect(readEnvelopes(createReadStream(file, {highWaterMark: 16 * 1024})))
      expect(got.map((g) => g.lineNo)).toEqual([1, 2])
      const first = got[0]!.envelope.body
      expect('base64' in first && Buffer.from(first.base64, 'base64').equals(bigBody)).toBe(true)
      expect(got[1]!.envelope.body).toEqual({utf8: 'small'})
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
