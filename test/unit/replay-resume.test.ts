// What a resume reads from a journal (older ones included) and how it recognises the servers a job started with.
import {describe, expect, it} from 'vitest'

import type {ConnectionSettings} from '../../src/model/settings.js'
import {parseJournal} from '../../src/core/replay/journal.js'
import {checkResumeServers, normalizedAddress, serverIdentity} from '../../src/core/replay/servers.js'
import type {ReplayRequest} from '../../src/core/replay/types.js'

const request: ReplayRequest = {
  source: {broker: 'rabbitmq', name: 'q.dlq'},
  to: {broker: 'kafka', name: 'retry'},
  mode: 'move',
  maxReplays: 3,
  force: false,
  keepPartition: false,
  window: 7,
}
const start = {
  t: 'start',
  v: 1,
  replayId: 'r',
  createdAt: 'then',
  request,
  source: {
    broker: 'rabbitmq',
    target: 'q.dlq',
    kind: 'classic-queue',
    strategy: 'consume-queue',
    bound: {kind: 'depth', depth: 9},
  },
}
const end = {t: 'end', at: 'now', outcome: 'ok', counts: {}}

function journal(...records: object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n')
}

describe('journal on resume', () => {
  it('reads a journal of an older mailroom (no servers, no repeat records) with every confirmation counted', () => {
    const state = parseJournal(
      journal(start, {t: 'ok', ids: ['a', 'b']}, {t: 'resume', at: 'x'}, {t: 'ok', ids: ['a']}),
    )
    expect(state.start.servers).toBeUndefined()
    expect(state.confirmed).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    )
    expect(state.confirmedTotal).toBe(3)
  })

  it('counts re-publications of earlier confirmations (again) apart: they are not more messages gone from the DLQ', () => {
    const state = parseJournal(
      journal(
        start,
        {t: 'ok', ids: ['a', 'b']},
        {t: 'resume', at: 'x'},
        {t: 'again', ids: ['a']},
        {t: 'ok', ids: ['c']},
      ),
    )
    expect(state.confirmed).toEqual(
      new Map([
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ]),
    )
    expect(state.confirmedTotal).toBe(3)
  })

  it('counts every attempt that ended without its end record', () => {
    expect(parseJournal(journal(start, end)).crashed).toBe(0)
    expect(parseJournal(journal(start)).crashed).toBe(1)
    expect(parseJournal(journal(start, {t: 'resume', at: 'x'}, end)).crashed).toBe(1)
    expect(parseJournal(journal(start, {t: 'resume', at: 'x'}, {t: 'resume', at: 'y'})).crashed).toBe(3)
    expect(parseJournal(journal(start, end, {t: 'resume', at: 'x'}, end, {t: 'resume', at: 'y'})).crashed).toBe(1)
  })
})

const settings = (rabbitmq: string, kafka: string[]): ConnectionSettings => ({
  rabbitmq: {url: rabbitmq, managementUrl: 'http://h:15672', username: 'ops', password: 's3cret-pw'},
  kafka: {brokers: kafka, sasl: {mechanism: 'plain', username: 'ops', password: 's3cret-pw'}},
  nats: {url: 'nats://n1:4222', token: 's3cret-pw'},
  connectTimeoutMs: 5000,
})

describe('server identity of a replay job', () => {
  it('normalizes addresses without credentials: case, default ports, vhost, broker order', () => {
    expect(normalizedAddress('rabbitmq', settings('amqp://ops:s3cret-pw@Rabbit.Example:5672/%2Fprod', []))).toBe(
      'amqp://rabbit.example:5672//prod',
    )
    expect(normalizedAddress('rabbitmq', settings('amqps://rabbit.example', []))).toBe('amqps://rabbit.example:5671//')
    expect(normalizedAddress('kafka', settings('amqp://x', ['B2:9093', 'b1']))).toBe('b1:9092,b2:9093')
    expect(normalizedAddress('nats', settings('amqp://x', []))).toBe('n1:4222')
  })

  it('records the context and a hash per broker the job uses, never a credential or the address itself', () => {
    const identity = serverIdentity('prod', settings('amqp://ops:s3cret-pw@rabbit.example/', ['b1:9092']), request)
    expect(identity).toEqual({
      context: 'prod',
      fingerprints: {
        rabbitmq: expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
        kafka: expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
      },
    })
    expect(JSON.stringify(identity)).not.toMatch(/s3cret|ops|rabbit\.example|b1/)
    expect(serverIdentity(undefined, settings('amqp://rabbit.example', ['b1']), request).context).toBeNull()
  })

  it('refuses (USAGE) a resume on another context or address unless forced, and warns where it cannot check', () => {
    const recorded = serverIdentity('prod', settings('amqp://rabbit.example', ['b1']), request)
    const same = serverIdentity('prod', settings('amqp://other:pw@RABBIT.example:5672', ['b1:9092']), request)
    expect(checkResumeServers('r', recorded, same, false)).toBeUndefined()
    const otherVhost = serverIdentity('prod', settings('amqp://rabbit.example/staging', ['b1']), request)
    expect(() => checkResumeServers('r', recorded, otherVhost, false)).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        message: expect.stringMatching(/the rabbitmq server sha256:\w+, not sha256:\w+/),
      }),
    )
    const otherContext = serverIdentity('staging', settings('amqp://rabbit.example', ['b1']), request)
    expect(() => checkResumeServers('r', recorded, otherContext, false)).toThrow(
      /context "prod", not context "staging"/,
    )
    expect(checkResumeServers('r', recorded, otherContext, true)).toMatch(/resuming anyway \(--force\)/)
    expect(checkResumeServers('r', undefined, same, false)).toMatch(/older mailroom/)
  })

  it('records a --to-context destination apart (its name and hash) and refuses a resume whose destination servers moved', () => {
    const toOther: ReplayRequest = {...request, toContext: 'new-prod'}
    const source = settings('amqp://rabbit.example', ['b1'])
    const recorded = serverIdentity(
      'old-prod',
      source,
      toOther,
      settings('amqp://rabbit.example', ['new1:9092', 'new2:9092']),
    )
    expect(recorded).toEqual({
      context: 'old-prod',
      fingerprints: {rabbitmq: expect.stringMatching(/^sha256:/)},
      destination: {context: 'new-prod', fingerprints: {kafka: expect.stringMatching(/^sha256:/)}},
    })
    expect(recorded.destination!.fingerprints.kafka).not.toBe(
      serverIdentity('old-prod', source, request).fingerprints.kafka,
    )
    expect(JSON.stringify(recorded)).not.toMatch(/s3cret|ops|new1/)
    const same = serverIdentity('old-prod', source, toOther, settings('amqp://x', ['NEW2:9092', 'new1']))
    expect(checkResumeServers('r', recorded, same, false)).toBeUndefined()
    const moved = serverIdentity('old-prod', source, toOther, settings('amqp://x', ['elsewhere:9092']))
    expect(() => checkResumeServers('r', recorded, moved, false)).toThrow(
      /the destination kafka server sha256:\w+, not sha256:\w+/,
    )
  })
})
