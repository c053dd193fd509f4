// Kafka's own murmur2 test vectors (org.apache.kafka.common.utils.UtilsTest.testMurmur2), and how records without a
// partition are placed. The Java client itself is asked in test/conformance/kafka-partitioning.test.ts.
import {describe, expect, it} from 'vitest'

import type {PartitionMetadata} from 'kafkajs'
import {murmur2, partitionForKey, RecordPartitioner} from '../../src/adapters/kafka/partitioner.js'

const UTILS_TEST_VECTORS: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
]

const partitions = (n: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({length: n}, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 1,
    replicas: [1],
    isr: [1],
    offlineReplicas: [],
    partitionErrorCode: 0,
  }))

describe('Kafka partitioning', () => {
  it("hashes keys with Kafka's murmur2 (the Java client's published test vectors)", () => {
    for (const [key, hash] of UTILS_TEST_VECTORS) expect([key, murmur2(Buffer.from(key))]).toEqual([key, hash])
  })

  it('places a key at toPositive(murmur2(key)) % partitions, whatever its bytes', () => {
    // "foobar": murmur2 -790332482, toPositive 1357151166; 1357151166 % 50 = 16.
    expect(partitionForKey(Buffer.from('foobar'), 50)).toBe(16)
    const chooser = new RecordPartitioner(partitions(3))
    expect(chooser.choose(Buffer.from('foobar'))).toBe(1357151166 % 3)
    expect(chooser.choose(Buffer.from([0xff, 0x00, 0xfe]))).toBe(partitionForKey(Buffer.from([0xff, 0x00, 0xfe]), 3))
  })

  it('hashes an empty key (it is a key) and counts partitions without a leader for keys', () => {
    const chooser = new RecordPartitioner(partitions(3, [0, 1]))
    expect(chooser.choose(Buffer.alloc(0))).toBe(partitionForKey(Buffer.alloc(0), 3))
    expect(chooser.choose(Buffer.from('21'))).toBe((-973932308 & 0x7fffffff) % 3)
  })

  it('spreads records without a key round-robin over the partitions that have a leader', () => {
    const chooser = new RecordPartitioner(partitions(3))
    const counts = [0, 0, 0]
    for (let i = 0; i < 300; i++) counts[chooser.choose(null)]!++
    expect(counts).toEqual([100, 100, 100])
    const led = new RecordPartitioner(partitions(4, [2]))
    const seen = new Set(Array.from({length: 30}, () => led.choose(null)))
    expect([...seen].sort()).toEqual([0, 1, 3])
  })
})
