// Declares and deletes the exchanges, queues and bindings of a demo scenario (the adapter has no topology API).
import type {Channel, ChannelModel} from 'amqplib'
import {amqp} from './driver.js'
import type {ConnectionSettings} from '../../model/settings.js'
import type {RabbitMqTopology, TopologyDriver} from '../topology.js'
import {MailroomError} from '../../model/errors.js'
import {amqpConnectOptions, amqpSocketOptions, endpointFromSettings} from './endpoint.js'
import {toMailroomError} from './map-error.js'

export function rabbitMqTopology(settings: ConnectionSettings): TopologyDriver<RabbitMqTopology> {
  const s = settings.rabbitmq
  if (!s) throw new MailroomError('CONFIG', 'The current context has no rabbitmq connection')
  const endpoint = endpointFromSettings(s)
  const withChannel = async <T>(work: (ch: Channel) => Promise<T>): Promise<T> => {
    const ctx = {address: endpoint.address, user: endpoint.username, vhost: endpoint.vhost}
    let model: ChannelModel | undefined
    try {
      model = await amqp.connect(amqpConnectOptions(endpoint), amqpSocketOptions(s, settings.connectTimeoutMs))
      model.on('error', () => {})
      return await work(await model.createChannel())
    } catch (error) {
      throw toMailroomError(error, ctx)
    } finally {
      await model?.close().catch(() => {})
    }
  }
  return {
    apply: (t) =>
      withChannel(async (ch) => {
        for (const x of t.exchanges) await ch.assertExchange(x.name, x.type, {durable: true})
        for (const q of t.queues) await ch.assertQueue(q.name, {durable: true, arguments: q.arguments})
        for (const b of t.bindings) await ch.bindQueue(b.queue, b.exchange, b.routingKey)
      }),
    // queue.delete and exchange.delete of an absent object succeed in RabbitMQ, so no existence check is needed.
    remove: (t) =>
      withChannel(async (ch) => {
        for (const q of t.queues) await ch.deleteQueue(q.name)
        for (const x of t.exchanges) await ch.deleteExchange(x.name)
        return [...t.queues.map((q) => `queue ${q.name}`), ...t.exchanges.map((x) => `exchange ${x.name}`)]
      }),
  }
}
