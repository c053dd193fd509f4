// Creates and deletes the streams and durable consumers of a demo scenario (the adapter has no topology API).
import {AckPolicy, connect, type JetStreamManager, nanos} from 'nats'
import type {ConnectionSettings} from '../../model/settings.js'
import type {NatsTopology, TopologyDriver} from '../topology.js'
import {MailroomError} from '../../model/errors.js'
import {connectPlan} from './connect-options.js'
import {mapNatsError} from './map-error.js'

export function natsTopology(settings: ConnectionSettings): TopologyDriver<NatsTopology> {
  const s = settings.nats
  if (!s) throw new MailroomError('CONFIG', 'The current context has no nats connection')
  const plan = connectPlan(s, settings.connectTimeoutMs)
  const withManager = async <T>(work: (jsm: JetStreamManager) => Promise<T>): Promise<T> => {
    let nc: Awaited<ReturnType<typeof connect>> | undefined
    try {
      nc = await connect(plan.options)
      return await work(await nc.jetstreamManager())
    } catch (error) {
      throw mapNatsError(error, {op: 'admin', servers: plan.display, identity: plan.identity})
    } finally {
      await nc?.close().catch(() => {})
    }
  }
  return {
    apply: (t) =>
      withManager(async (jsm) => {
        const existing = await streamNames(jsm)
        for (const st of t.streams)
          if (!existing.has(st.name)) await jsm.streams.add({name: st.name, subjects: st.subjects})
        for (const c of t.consumers) {
          await jsm.consumers.add(c.stream, {
            durable_name: c.durable,
            ack_policy: AckPolicy.Explicit,
            max_deliver: c.maxDeliver,
            ack_wait: nanos(c.ackWaitMs),
            ...(c.filterSubject ? {filter_subject: c.filterSubject} : {}),
          })
        }
      }),
    // Deleting a stream deletes its consumers.
    remove: (t) =>
      withManager(async (jsm) => {
        const existing = await streamNames(jsm)
        const present = t.streams.map((st) => st.name).filter((name) => existing.has(name))
        for (const name of present) await jsm.streams.delete(name)
        return present.map((name) => `stream ${name}`)
      }),
  }
}

async function streamNames(jsm: JetStreamManager): Promise<Set<string>> {
  const names = new Set<string>()
  for await (const name of jsm.streams.names()) names.add(name)
  return names
}
