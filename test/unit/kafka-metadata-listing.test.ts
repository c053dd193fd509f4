// The kafkajs patch that keeps partitions without a leader in an answer about every topic (a cluster with one offline
// partition could otherwise list nothing), and leaves kafkajs's answer about named topics as it was (its wait for a
// new topic's leaders depends on that error). On the real cluster: test/cluster/replication-health.suite.ts.
import {describe, expect, it} from 'vitest'

import {kafkajsModule} from '../../src/adapters/kafka/kafkajs-files.js'
import {kafkajsOriginal} from '../../src/adapters/kafka/patches/index.js'
import type {MetadataModule} from '../../src/adapters/kafka/patches/metadata-listing.js'
import '../../src/adapters/kafka/patches/install.js'

const LEADER_NOT_AVAILABLE = 5
const UNKNOWN_TOPIC = 3

function answer(topicErrorCode: number, partitionErrorCode: number) {
  return {
    brokers: [],
    topicMetadata: [
      {
        topicErrorCode,
        topic: 'orders',
        isInternal: false,
        partitionMetadata: [
          {partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1], isr: [1], offlineReplicas: []},
          {partitionErrorCode, partitionId: 1, leader: -1, replicas: [3], isr: [], offlineReplicas: [3]},
        ],
      },
    ],
  }
}

function parse(module: MetadataModule, topics: string[]) {
  const built = module.protocol({version: 5})({topics}) as unknown as {response: {parse(d: unknown): Promise<unknown>}}
  return built.response.parse
}

describe('kafkajs metadata, as patched', () => {
  const patched = kafkajsModule<MetadataModule>('protocol/requests/metadata/index.js')
  const original = kafkajsOriginal<MetadataModule>('metadataListing')

  it('is what kafkajs loads', () => {
    expect(patched).not.toBe(original)
  })

  it('keeps a partition without a leader when every topic is asked about', async () => {
    const data = answer(0, LEADER_NOT_AVAILABLE)
    await expect(parse(original, [])(data)).rejects.toMatchObject({type: 'LEADER_NOT_AVAILABLE'})
    await expect(parse(patched, [])(data)).resolves.toBe(data)
  })

  it('still fails on a topic-level error, and on any error of named topics, as kafkajs does', async () => {
    await expect(parse(patched, [])(answer(UNKNOWN_TOPIC, 0))).rejects.toMatchObject({
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    })
    await expect(parse(patched, ['orders'])(answer(0, LEADER_NOT_AVAILABLE))).rejects.toMatchObject({
      type: 'LEADER_NOT_AVAILABLE',
    })
  })
})
