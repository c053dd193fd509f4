// Committed offsets of many groups at once: one OffsetFetch v8 request per coordinator (KIP-709), where kafkajs
// sends two requests per group (FindCoordinator, OffsetFetch). A coordinator that does not speak v8 (Kafka before
// 3.0), or a group it answers with an error (the coordinator moved or is loading), is asked through kafkajs.
import type {Admin, Kafka} from 'kafkajs'

import type {KafkaGroup} from './groups.js'
import {brokerApiVersions, clusterInternals, sharedCluster} from './kafkajs-internals.js'
import {decodeOffsetFetchResponse, encodeOffsetFetchRequest, OFFSET_FETCH} from './protocol/offset-fetch.js'
import {sendFlexible} from './protocol/send.js'
import {mapLimited} from './topics.js'

/** topic -> partition -> committed offset (only partitions with a commit). */
export type Committed = Map<string, Map<number, bigint>>

const GROUPS_PER_REQUEST = 200
const OFFSET_FETCH_CONCURRENCY = 16

export async function committedOffsetsOf(
  kafka: Kafka,
  admin: Admin,
  groups: KafkaGroup[],
): Promise<Map<string, Committed>> {
  const out = new Map<string, Committed>()
  const byCoordinator = new Map<number | undefined, KafkaGroup[]>()
  for (const g of groups) byCoordinator.set(g.coordinator, [...(byCoordinator.get(g.coordinator) ?? []), g])
  const leftOver: KafkaGroup[] = []
  await Promise.all(
    [...byCoordinator].map(async ([nodeId, members]) => {
      const fetched =
        nodeId === undefined
          ? undefined
          : await batched(
              kafka,
              nodeId,
              members.map((g) => g.groupId),
            )
      for (const g of members) {
        const committed = fetched?.get(g.groupId)
        if (committed) out.set(g.groupId, committed)
        else leftOver.push(g)
      }
    }),
  )
  const singly = await mapLimited(leftOver, OFFSET_FETCH_CONCURRENCY, (g) => oneGroup(admin, g.groupId))
  leftOver.forEach((g, i) => out.set(g.groupId, singly[i]!))
  return out
}

/** The groups' commits from their coordinator; undefined when it does not speak OffsetFetch v8. */
async function batched(kafka: Kafka, nodeId: number, groupIds: string[]): Promise<Map<string, Committed> | undefined> {
  const broker = await clusterInternals(await sharedCluster(kafka)).findBroker({nodeId: String(nodeId)})
  if ((brokerApiVersions(broker, OFFSET_FETCH.apiKey)?.maxVersion ?? 0) < OFFSET_FETCH.apiVersion) return undefined
  const out = new Map<string, Committed>()
  for (let i = 0; i < groupIds.length; i += GROUPS_PER_REQUEST) {
    const groups = await sendFlexible(
      broker,
      OFFSET_FETCH,
      encodeOffsetFetchRequest(groupIds.slice(i, i + GROUPS_PER_REQUEST)),
      decodeOffsetFetchResponse,
    )
    for (const g of groups) {
      if (g.errorCode !== 0 || g.topics.some((t) => t.partitions.some((p) => p.errorCode !== 0))) continue
      out.set(
        g.groupId,
        committedOf(
          g.topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => ({partition: p.partition, offset: p.offset})),
          })),
        ),
      )
    }
  }
  return out
}

async function oneGroup(admin: Admin, groupId: string): Promise<Committed> {
  const fetched = await admin.fetchOffsets({groupId})
  return committedOf(
    fetched.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({partition: p.partition, offset: BigInt(p.offset)})),
    })),
  )
}

function committedOf(topics: {topic: string; partitions: {partition: number; offset: bigint}[]}[]): Committed {
  const committed: Committed = new Map()
  for (const {topic, partitions} of topics) {
    const byPartition = new Map(partitions.filter((p) => p.offset >= 0n).map((p) => [p.partition, p.offset] as const))
    if (byPartition.size > 0) committed.set(topic, byPartition)
  }
  return committed
}
