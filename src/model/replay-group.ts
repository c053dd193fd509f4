// The consumer group a replay keeps its cursor in, one per DLQ topic. Named here, on the ground floor, because the
// replay service commits to it and the Kafka adapter's lag leaves it out of the user's consumers: both must agree.

export const REPLAY_GROUP_PREFIX = 'mailroom-replay.'

export function replayGroup(topic: string): string {
  return `${REPLAY_GROUP_PREFIX}${topic}`
}
