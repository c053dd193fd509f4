// The flexible-version (KIP-482) encoding of ListGroups v5, ConsumerGroupDescribe v0, ShareGroupDescribe v1,
// DescribeShareGroupOffsets v0 and StreamsGroupDescribe v0, against bytes written out by hand from apache/kafka's
// message schemas (clients/src/main/resources/common/message/*.json); the real tests are against the broker
// (test/conformance/consumer-groups.test.ts, other-groups.test.ts). Also: the kafkajs version check.
import {describe, expect, it} from 'vitest'
import {checkKafkajsVersion, PINNED_KAFKAJS_VERSION} from '../../src/adapters/kafka/kafkajs-internals.js'
import {
  decodeConsumerGroupDescribeResponse,
  encodeConsumerGroupDescribeRequest,
} from '../../src/adapters/kafka/protocol/consumer-group-describe.js'
import {FlexibleReader, FlexibleWriter} from '../../src/adapters/kafka/protocol/flexible.js'
import {
  decodeDescribeShareGroupOffsetsResponse,
  encodeDescribeShareGroupOffsetsRequest,
} from '../../src/adapters/kafka/protocol/describe-share-group-offsets.js'
import {decodeListGroupsResponse, encodeListGroupsRequest} from '../../src/adapters/kafka/protocol/list-groups.js'
import {decodeShareGroupDescribeResponse} from '../../src/adapters/kafka/protocol/share-group-describe.js'
import {decodeStreamsGroupDescribeResponse} from '../../src/adapters/kafka/protocol/streams-group-describe.js'

const str = (s: string) => [s.length + 1, ...Buffer.from(s, 'utf8')]
const int32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
const int16 = (n: number) => [(n >>> 8) & 0xff, n & 0xff]
const int64 = (n: number) => [...int32(n < 0 ? -1 : 0), ...int32(n)]
const NO_TAGS = 0

describe('KIP-482 primitives', () => {
  it('writes unsigned varints, compact strings (length + 1, 0 = null) and compact arrays', () => {
    expect([...new FlexibleWriter().uvarint(0).uvarint(127).uvarint(128).uvarint(300).toBuffer()]).toEqual([
      0x00, 0x7f, 0x80, 0x01, 0xac, 0x02,
    ])
    expect([...new FlexibleWriter().compactString(null).compactString('').compactString('ab').toBuffer()]).toEqual([
      0, 1, 3, 0x61, 0x62,
    ])
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
      2,
      ...str('Stable'),
      3,
      ...str('consumer'),
      ...str('classic'),
      NO_TAGS,
    ])
  })

  it('reads each group with its protocol type, state and type', () => {
    const body = Buffer.from([
      ...int32(0),
      ...int16(0),
      3,
      ...str('orders'),
      ...str('consumer'),
      ...str('Stable'),
      ...str('consumer'),
      NO_TAGS,
      ...str('shares'),
      ...str('share'),
      ...str('Empty'),
      ...str('share'),
      NO_TAGS,
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
      ...int16(0),
      0,
      ...str('billing'),
      ...str('Stable'),
      ...int32(5),
      ...int32(5),
      ...str('uniform'),
      2,
      ...str('member-1'),
      0,
      ...str('rack-a'),
      ...int32(5),
      ...str('billing-1'),
      ...str('/10.0.0.1'),
      2,
      ...str('orders'),
      0,
      ...assignment,
      ...assignment,
      1,
      9,
      1,
      0xff, // a tagged field mailroom does not know
      ...int32(-2147483648),
      NO_TAGS,
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

describe('ShareGroupDescribe v1', () => {
  it('reads a share group, its members (no instance id, no regex) and their assignments', () => {
    const topicId = Buffer.alloc(16, 3)
    const body = Buffer.from([
      ...int32(0),
      2,
      ...int16(0),
      0,
      ...str('pickers'),
      ...str('Stable'),
      ...int32(3),
      ...int32(3),
      ...str('simple'),
      2,
      ...str('m-1'),
      0,
      ...int32(3),
      ...str('picker-1'),
      ...str('/127.0.0.1'),
      2,
      ...str('orders'),
      2,
      ...topicId,
      ...str('orders'),
      2,
      ...int32(1),
      NO_TAGS,
      NO_TAGS,
      NO_TAGS,
      ...int32(0),
      NO_TAGS,
      NO_TAGS,
    ])
    expect(decodeShareGroupDescribeResponse(body).groups).toEqual([
      {
        errorCode: 0,
        errorMessage: null,
        groupId: 'pickers',
        groupState: 'Stable',
        groupEpoch: 3,
        assignmentEpoch: 3,
        assignorName: 'simple',
        members: [
          {
            memberId: 'm-1',
            rackId: null,
            memberEpoch: 3,
            clientId: 'picker-1',
            clientHost: '/127.0.0.1',
            subscribedTopicNames: ['orders'],
            assignment: [{topicId: topicId.toString('base64url'), topicName: 'orders', partitions: [1]}],
          },
        ],
        authorizedOperations: 0,
      },
    ])
  })
})

describe('DescribeShareGroupOffsets v0', () => {
  it("asks for every topic of each group (a null topic list), and reads each partition's start offset", () => {
    expect([...encodeDescribeShareGroupOffsetsRequest(['g1'])]).toEqual([2, ...str('g1'), 0, NO_TAGS, NO_TAGS])
    const topicId = Buffer.alloc(16, 1)
    const partition = (p: number, start: number) => [...int32(p), ...int64(start), ...int32(0), ...int16(0), 0, NO_TAGS]
    const body = Buffer.from([
      ...int32(0),
      2,
      ...str('g1'),
      2,
      ...str('orders'),
      ...topicId,
      3,
      ...partition(0, 12),
      ...partition(1, -1),
      NO_TAGS,
      ...int16(0),
      0,
      NO_TAGS,
      NO_TAGS,
    ])
    const [group] = decodeDescribeShareGroupOffsetsResponse(body).groups
    expect(group.topics[0].partitions.map((p) => [p.partition, p.startOffset])).toEqual([
      [0, 12n],
      [1, -1n],
    ])
  })
})

describe('StreamsGroupDescribe v0', () => {
  const tasks = (subtopology: string, partitions: number[]) => [
    2,
    ...str(subtopology),
    partitions.length + 1,
    ...partitions.flatMap(int32),
    NO_TAGS,
  ]
  const assignment = [...tasks('0', [0, 2]), 1, 1, NO_TAGS]
  const member = (endpoint: number[]) => [
    ...str('m-1'),
    ...int32(4),
    0,
    0,
    ...str('app-StreamThread-1-consumer'),
    ...str('/127.0.0.1'),
    ...int32(1),
    ...str('process-1'),
    ...endpoint,
    1,
    1,
    1,
    ...assignment,
    ...assignment,
    0,
    NO_TAGS,
  ]
  const group = (topology: number[], endpoint: number[]) => [
    ...int16(0),
    0,
    ...str('app'),
    ...str('Stable'),
    ...int32(4),
    ...int32(4),
    ...topology,
    2,
    ...member(endpoint),
    ...int32(0),
    NO_TAGS,
  ]

  it('reads the topology (source topics per subtopology) and the members with their active tasks', () => {
    const changelog = [
      ...str('app-store-changelog'),
      ...int32(6),
      ...int16(1),
      2,
      ...str('cleanup.policy'),
      ...str('compact'),
      NO_TAGS,
      NO_TAGS,
    ]
    const topology = [1, ...int32(1), 2, ...str('0'), 2, ...str('orders'), 1, 2, ...changelog, 1, NO_TAGS, NO_TAGS]
    const [described] = decodeStreamsGroupDescribeResponse(
      Buffer.from([...int32(0), 2, ...group(topology, [1, ...str('host'), 0x1f, 0x90, NO_TAGS]), NO_TAGS]),
    ).groups
    expect(described.subtopologies).toEqual([
      {
        subtopologyId: '0',
        sourceTopics: ['orders'],
        repartitionSinkTopics: [],
        stateChangelogTopics: ['app-store-changelog'],
        repartitionSourceTopics: [],
      },
    ])
    expect(described.members[0]).toMatchObject({
      memberId: 'm-1',
      clientId: 'app-StreamThread-1-consumer',
      processId: 'process-1',
      activeTasks: [{subtopologyId: '0', partitions: [0, 2]}],
      isClassic: false,
    })
  })

  it('reads a group without a topology yet and a member without an endpoint (null structs: -1)', () => {
    const [described] = decodeStreamsGroupDescribeResponse(
      Buffer.from([...int32(0), 2, ...group([0xff], [0xff]), NO_TAGS]),
    ).groups
    expect(described.subtopologies).toBeNull()
    expect(described.members[0].activeTasks).toEqual([{subtopologyId: '0', partitions: [0, 2]}])
  })
})

describe('kafkajs version check', () => {
  it('accepts only the pinned version, and names the one found', () => {
    expect(() => checkKafkajsVersion(PINNED_KAFKAJS_VERSION, '/x')).not.toThrow()
    expect(() => checkKafkajsVersion('2.2.3', '/opt/node_modules/kafkajs')).toThrow(
      /mailroom needs kafkajs 2\.2\.4 exactly .* but kafkajs 2\.2\.3 is installed at \/opt\/node_modules\/kafkajs/,
    )
  })

  it('is pinned exactly in package.json (a development dependency: the bundle holds it), to the version installed', async () => {
    const {readFileSync} = await import('node:fs')
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      devDependencies: Record<string, string>
    }
    const installed = JSON.parse(
      readFileSync(new URL('../../node_modules/kafkajs/package.json', import.meta.url), 'utf8'),
    ) as {version: string}
    expect(pkg.devDependencies.kafkajs).toBe(PINNED_KAFKAJS_VERSION)
    expect(installed.version).toBe(PINNED_KAFKAJS_VERSION)
  })
})
