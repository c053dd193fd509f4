// DescribeQuorum v1 (API key 55, KIP-595/KIP-836) on the metadata log's partition __cluster_metadata-0: the KRaft
// controller quorum's leader (the active controller), its voters (controllers) and observers (brokers only). A broker
// forwards it to the active controller. After apache/kafka's DescribeQuorum{Request,Response}.json; flexible.
import {FlexibleReader, FlexibleWriter} from './flexible.js'

export const DESCRIBE_QUORUM = {apiKey: 55, apiVersion: 1, apiName: 'DescribeQuorum'} as const
const METADATA_TOPIC = '__cluster_metadata'

export interface MetadataQuorum {
  errorCode: number
  leaderId: number
  voters: number[]
  observers: number[]
}

export function encodeDescribeQuorumRequest(): Buffer {
  return new FlexibleWriter()
    .compactArray([METADATA_TOPIC], (w, topic) =>
      w
        .compactString(topic)
        .compactArray([0], (p, partition) => p.int32(partition).emptyTaggedFields())
        .emptyTaggedFields(),
    )
    .emptyTaggedFields()
    .toBuffer()
}

export function decodeDescribeQuorumResponse(body: Buffer): MetadataQuorum {
  const r = new FlexibleReader(body)
  const topLevelError = r.int16()
  const partitions = r.compactArray((t) => {
    t.compactString()
    const all = t.compactArray(readPartition)
    t.skipTaggedFields()
    return all
  })
  const partition = partitions.flat()[0]
  if (topLevelError !== 0 || !partition) return {errorCode: topLevelError, leaderId: -1, voters: [], observers: []}
  return partition
}

function readPartition(p: FlexibleReader): MetadataQuorum {
  p.int32() // partition index
  const errorCode = p.int16()
  const leaderId = p.int32()
  p.int32() // leader epoch
  p.skip(8) // high watermark
  const voters = p.compactArray(readReplica)
  const observers = p.compactArray(readReplica)
  p.skipTaggedFields()
  return {errorCode, leaderId, voters, observers}
}

function readReplica(r: FlexibleReader): number {
  const id = r.int32()
  r.skip(24) // log end offset, last fetch and last caught-up timestamps (v1)
  r.skipTaggedFields()
  return id
}
