import {describe, expect, it} from 'vitest'
import kafkajs from 'kafkajs'

import {idempotentRead} from '../../src/adapters/kafka/topics.js'
import {isMailroomError} from '../../src/model/errors.js'

// kafkajs exports classes its types do not declare (KafkaJSConnectionClosedError) or declare with a narrower
// constructor than it has (KafkaJSProtocolError takes the protocol's error entry).
const {KafkaJSConnectionClosedError, KafkaJSProtocolError} = kafkajs as unknown as {
  KafkaJSConnectionClosedError: new (message: string) => Error
  KafkaJSProtocolError: new (entry: {type: string; code: number; retriable: boolean; message: string}) => Error
}

// kafkajs's own protocol errors, as a broker answer decodes to them (code 6 and 3 of the Kafka protocol).
const notLeader = () =>
  new KafkaJSProtocolError({
    type: 'NOT_LEADER_FOR_PARTITION',
    code: 6,
    retriable: true,
    message: 'This server is not the leader for that topic-partition',
  })
const unknownTopic = () =>
  new KafkaJSProtocolError({
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    code: 3,
    retriable: true,
    message: 'This server does not host this topic-partition',
  })

function failingThen<T>(failures: Error[], value: T): {read: () => Promise<T>; calls: () => number} {
  let calls = 0
  return {
    read: async () => {
      const failure = failures[calls++]
      if (failure) throw failure
      return value
    },
    calls: () => calls,
  }
}

describe('Kafka admin reads', () => {
  it('repeat after a leadership change or a closed connection, then answer', async () => {
    const reads = failingThen(
      [notLeader(), new KafkaJSConnectionClosedError('Closed connection'), notLeader()],
      'offsets',
    )
    expect(await idempotentRead(reads.read, {topic: 't'})).toBe('offsets')
    expect(reads.calls()).toBe(4)
  })

  it('give up after five attempts with the broker error mapped', async () => {
    const reads = failingThen(Array.from({length: 9}, notLeader), 'never')
    const error = await idempotentRead(reads.read, {topic: 't'}).catch((e: unknown) => e)
    expect(reads.calls()).toBe(5)
    expect(isMailroomError(error) && error.message).toMatch(/NOT_LEADER_FOR_PARTITION/)
  }, 10_000)

  it('do not repeat a missing topic: NOT_FOUND at once', async () => {
    const reads = failingThen([unknownTopic()], 'never')
    const error = await idempotentRead(reads.read, {topic: 'missing'}).catch((e: unknown) => e)
    expect(reads.calls()).toBe(1)
    expect(isMailroomError(error) && error.code).toBe('NOT_FOUND')
  })
})
