// The flexible-version (KIP-482) encoding of ListGroups v5 and ConsumerGroupDescribe v0, against bytes written out
// by hand from apache/kafka's message schemas (clients/src/main/resources/common/message/*.json); the real test is
// against the broker (test/conformance/consumer-groups.test.ts). Also: the kafkajs version check.
import {describe, expect, it} from 'vitest'
import {checkKafkajsVersion, PINNED_KAFKAJS_VERSION} from '../../src/adapters/kafka/kafkajs-internals.js'
import {decodeConsumerGroupDescribeResponse, encodeConsumerGroupDescribeRequest} from '../../src/adapters/kafka/protocol/consumer-group-describe.js'
import {FlexibleReader, FlexibleWriter} from '../../src/adapters/kafka/protocol/flexible.js'
import {decodeListGroupsResponse, encodeListGroupsRequest} from '../../src/adapters/kafka/protocol/list-groups.js'

const str = (s: string) => [s.length + 1, ...Buffer.from(s, 'utf8')]
const int32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
const int16 = (n: number) => [(n >>> 8) & 0xff, n & 0xff]
const NO_TAGS = 0

describe('KIP-482 primitives', () => {
  it('writes unsigned varints, compact strings (length + 1, 0 = null) and compact arrays', () => {
    expect([...new FlexibleWriter().uvarint(0).uvarint(127).uvarint(128).uvarint(300).toBuffer()]).toEqual([0x00, 0x7f, 0x80, 0x01, 0xac, 0x02])
    expect([...new FlexibleWriter().compactString(null).compactString('').compactString('ab').toBuffer()]).toEqual([0, 1, 3, 0x61, 0x62])
    const long = 'x'.repeat(200)
    expect([...new FlexibleWriter().compactString(long).toBuffer()].slice(0, 2)).toEqual([0xc9, 0x01])
    expect(new FlexibleReader(new FlexibleWriter().compactString(long).toBuffer()).compactString()).toBe(long)
  })

  it('skips tagged fields it does not know, and refuses a truncated response', () => {
    const r = new FlexibleReader(Buffer.from([2, 0, 2, 0xaa, 0xbb, 5, 1, 0x00, 7]))
    r.skipTaggedFields()
    expect(r.int8()).toBe(7)
    expect(() => new FlexibleReader(Buffer.from([0, 0])).int32()).toThrow(/truncated/)
  })
})

describe('ListGroups v5', () => {
  it('asks for every group (empty states and types filters), or for the ones filtered', () => {
    expect([...encodeListGroupsRequest()]).toEqual([1, 1, NO_TAGS])
    expect([...encodeListGroupsRequest({statesFilter: ['Stable'], typesFilter: ['consumer', 'classic']})]).toEqual([
      2, ...str('Stable'), 3, ...str('consumer'), ...str('classic'), NO_TAGS,
    ])
  })

  it('reads each group with its protocol type, state and type', () => {
    const body = Buffer.from([
      ...int32(0), ...int16(0), 3,
      ...str('orders'), ...str('consumer'), ...str('Stable'), ...str('consumer'), NO_TAGS,
      ...str('shares'), ...str('share'), ...str('Empty'), ...str('share'), NO_TAGS,
      NO_TAGS,
    ])
    expect(decodeListGroupsResponse(body)).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      groups: [
        {groupId: 'orders', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer'},
        {groupId: 'shares', protocolType: 'share', groupState: 'Empty', groupType: 'share'},
      ],
    })
  })
})

describe('ConsumerGroupDescribe v0', () => {
  it('asks for groups by id', () => {
    expect([...encodeConsumerGroupDescribeRequest(['g1', 'g2'])]).toEqual([3, ...str('g1'), ...str('g2'), 0, NO_TAGS])
  })

  it('reads the group, its members, their subscriptions and assignments (tagged fields skipped)', () => {
    const topicId = Buffer.alloc(16, 7)
    const assignment = [2, ...topicId, ...str('orders'), 3, ...int32(0), ...int32(2), NO_TAGS, NO_TAGS]
    const body = Buffer.from([
      ...int32(0),
      2,
      ...int16(0), 0, ...str('billing'), ...str('Stable'), ...int32(5), ...int32(5), ...str('uniform'),
      2,
      ...str('member-1'), 0, ...str('rack-a'), ...int32(5), ...str('billing-1'), ...str('/10.0.0.1'), 2, ...str('orders'), 0,
      ...assignment, ...assignment,
      1, 9, 1, 0xff, // a tagged field mailroom does not know
      ...int32(-2147483648), NO_TAGS,
      NO_TAGS,
    ])
    expect(decodeConsumerGroupDescribeResponse(body)).toEqual({
      throttleTimeMs: 0,
      groups: [
        {
          errorCode: 0,
          errorMessage: null,
          groupId: 'billing',
          groupState: 'Stable',
          groupEpoch: 5,
          assignmentEpoch: 5,
          assignorName: 'uniform',
          members: [
            {
              memberId: 'member-1',
              instanceId: null,
              rackId: 'rack-a',
              memberEpoch: 5,
              clientId: 'billing-1',
              clientHost: '/10.0.0.1',
              subscribedTopicNames: ['orders'],
              subscribedTopicRegex: null,
              assignment: [{topicId: topicId.toString('base64url'), topicName: 'orders', partitions: [0, 2]}],
              targetAssignment: [{topicId: topicId.toString('base64url'), topicName: 'orders', partitions: [0, 2]}],
            },
          ],
          authorizedOperations: -2147483648,
        },
      ],
    })
  })
})

describe('kafkajs version check', () => {
  it('accepts only the pinned version, and names the one found', () => {
    expect(() => checkKafkajsVersion(PINNED_KAFKAJS_VERSION, '/x')).not.toThrow()
    expect(() => checkKafkajsVersion('2.2.3', '/opt/node_modules/kafkajs')).toThrow(
      /mailroom needs kafkajs 2\.2\.4 exactly .* but kafkajs 2\.2\.3 is installed at \/opt\/node_modules\/kafkajs/,
    )
  })

  it('is pinned exactly in package.json, to the version installed', async () => {
    const {readFileSync} = await import('node:fs')
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {dependencies: Record<string, string>}
    const installed = JSON.parse(readFileSync(new URL('../../node_modules/kafkajs/package.json', import.meta.url), 'utf8')) as {version: string}
    expect(pkg.dependencies.kafkajs).toBe(PINNED_KAFKAJS_VERSION)
    expect(installed.version).toBe(PINNED_KAFKAJS_VERSION)
  })
})
