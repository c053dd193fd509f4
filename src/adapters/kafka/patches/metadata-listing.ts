// kafkajs's Metadata request (protocol/requests/metadata/index.js), tolerant of partitions without a leader when it
// asks about every topic. kafkajs's answer throws on any partition-level error, so one partition whose replicas are
// all down (LEADER_NOT_AVAILABLE) made every refresh of a cluster client that asks about every topic fail, and with it
// every listing, lag and health read of the whole cluster. Asked about every topic, such a partition is now kept
// with leader -1 (as Kafka's Java clients keep it) and a topic-level error still throws. Asked about named topics,
// kafkajs's answer is unchanged: its wait for new topics' leaders and its producer depend on that error.

interface MetadataAnswer {
  topicMetadata: {topicErrorCode: number}[]
}
interface Built {
  request: unknown
  response: {parse(data: MetadataAnswer): Promise<MetadataAnswer>}
}
type Versioned = (args: {topics?: string[] | null}) => Built
export interface MetadataModule {
  versions: string[]
  protocol(o: {version: number}): Versioned
}

export function metadataTolerantWhenListing(original: MetadataModule): MetadataModule {
  return {
    ...original,
    protocol: (o) => {
      const versioned = original.protocol(o)
      return (args) => {
        const built = versioned(args)
        if (args.topics && args.topics.length > 0) return built
        const strict = built.response.parse
        const parse = async (data: MetadataAnswer) =>
          data.topicMetadata.some((t) => t.topicErrorCode !== 0) ? strict(data) : data
        return {...built, response: {...built.response, parse}}
      }
    },
  }
}
