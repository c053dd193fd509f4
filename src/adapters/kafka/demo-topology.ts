// Creates and deletes the topics and consumer groups of a demo scenario (the adapter has no topology API).
import type {Admin} from 'kafkajs'
import type {ConnectionSettings} from '../../model/settings.js'
import type {KafkaTopology, TopologyDriver} from '../topology.js'
import {MailroomError} from '../../model/errors.js'
import {kafkaConfig} from './client.js'
import {Kafka} from './driver.js'
import {toMailroomError} from './map-error.js'

export function kafkaTopology(settings: ConnectionSettings): TopologyDriver<KafkaTopology> {
  const s = settings.kafka
  if (!s) throw new MailroomError('CONFIG', 'The current context has no kafka connection')
  const withAdmin = async <T>(work: (admin: Admin) => Promise<T>): Promise<T> => {
    const admin = new Kafka(kafkaConfig(s, settings.connectTimeoutMs)).admin()
    try {
      await admin.connect()
      return await work(admin)
    } catch (error) {
      throw toMailroomError(error, {brokers: s.brokers})
    } finally {
      await admin.disconnect().catch(() => {})
    }
  }
  return {
    apply: (t) =>
      withAdmin(async (admin) => {
        const existing = new Set(await admin.listTopics())
        const missing = t.topics.filter((topic) => !existing.has(topic.name))
        if (missing.length === 0) return
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({topic: topic.name, numPartitions: topic.partitions, replicationFactor: 1})),
        })
      }),
    remove: (t) =>
      withAdmin(async (admin) => {
        const groups = new Set((await admin.listGroups()).groups.map((g) => g.groupId))
        const presentGroups = t.groups.filter((g) => groups.has(g))
        if (presentGroups.length > 0) await admin.deleteGroups(presentGroups)
        const topics = new Set(await admin.listTopics())
        const presentTopics = t.topics.map((topic) => topic.name).filter((name) => topics.has(name))
        if (presentTopics.length > 0) await admin.deleteTopics({topics: presentTopics})
        return [...presentTopics.map((name) => `topic ${name}`), ...presentGroups.map((g) => `group ${g}`)]
      }),
  }
}
