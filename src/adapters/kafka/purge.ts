// Purging a topic: Kafka is an append-only log, so "purge" deletes every record below the current end offset of
// each partition (DeleteRecords). Offsets keep counting; consumers resume at the new log start.
import type {Admin} from 'kafkajs'
import {partitionOffsets} from './topics.js'

/** Deletes every record up to the end captured now; returns how many records were removed. */
export async function deleteRecordsToEnd(admin: Admin, topic: string): Promise<number> {
  const offsets = (await partitionOffsets(admin, topic)).filter((o) => o.high > o.low)
  if (offsets.length === 0) return 0
  await admin.deleteTopicRecords({
    topic,
    partitions: offsets.map((o) => ({partition: o.partition, offset: o.high.toString()})),
  })
  return offsets.reduce((sum, o) => sum + Number(o.high - o.low), 0)
}
