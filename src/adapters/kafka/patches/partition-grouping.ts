// kafkajs groups a send's messages by partition by copying the partition's array for every message, which is
// quadratic in the send's size. The same grouping (same partitioner calls, same order), in one pass.
import type {Message, PartitionMetadata} from 'kafkajs'

type Partitioner = (o: {topic: string; partitionMetadata: PartitionMetadata[]; message: Message}) => number

export interface GroupingInput {
  topic: string
  partitionMetadata: PartitionMetadata[]
  messages: Message[]
  partitioner: Partitioner
}

export function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupingInput): Record<number, Message[]> {
  const grouped: Record<number, Message[]> = {}
  if (partitionMetadata.length === 0) return grouped
  for (const message of messages) {
    const partition = partitioner({topic, partitionMetadata, message})
    ;(grouped[partition] ??= []).push(message)
  }
  return grouped
}
