// The dashboard reads a RabbitMQ DLQ for its overview (counts by reason) and for the DLQ view, often at the same
// moment. A RabbitMQ queue can only be peeked by taking its messages (basic.get, then requeue), so a read that ran
// beside another would see only what the other did not hold: the view once showed "0 dead letter(s)" of a DLQ of 5.
// Reads of one DLQ take turns (DashboardServices.readDlq): every read sees every message, and they all stay.
import amqp, {type ChannelModel} from 'amqplib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createAdapter} from '../../src/adapters/registry.js'
import type {BrokerAdapter} from '../../src/adapters/types.js'
import type {ResolvedContext} from '../../src/core/config/resolve.js'
import {DashboardServices} from '../../src/ui/services.js'
import {localSettings, uniqueName} from '../helpers/brokers.js'

const DEAD_LETTERS = 5
const READS_AT_ONCE = 8
const dlq = `${uniqueName('dash-reads')}.dlq`
let connection: ChannelModel
let adapter: BrokerAdapter
let services: DashboardServices

beforeAll(async () => {
  connection = await amqp.connect('amqp://guest:guest@127.0.0.1')
  const channel = await connection.createConfirmChannel()
  await channel.assertQueue(dlq, {durable: true})
  for (let i = 0; i < DEAD_LETTERS; i++)
    channel.sendToQueue(dlq, Buffer.from(`{"order":${i}}`), {persistent: true, messageId: `m${i}`})
  await channel.waitForConfirms()
  await channel.close()
  adapter = await createAdapter('rabbitmq', localSettings())
  await adapter.connect()
  const context: ResolvedContext = {
    readOnly: false,
    brokers: ['rabbitmq'],
    settings: localSettings(),
    config: {},
    warnings: [],
  }
  services = new DashboardServices(context, new Map([['rabbitmq', adapter]]))
})

afterAll(async () => {
  const channel = await connection.createChannel()
  await channel.deleteQueue(dlq)
  await connection.close()
  await adapter.close()
})

/** The broker's own count of the queue (queue.declare-ok), not mailroom's. */
async function brokerCount(): Promise<number> {
  const channel = await connection.createChannel()
  try {
    return (await channel.checkQueue(dlq)).messageCount
  } finally {
    await channel.close()
  }
}

describe('the dashboard reading one RabbitMQ DLQ several times at once', () => {
  it('shows every dead letter to every read, and leaves them all in the queue', async () => {
    expect(await brokerCount()).toBe(DEAD_LETTERS)
    const reads = await Promise.all(
      Array.from({length: READS_AT_ONCE}, () => services.readDlq('rabbitmq', dlq, {limit: 200})),
    )
    for (const read of reads) {
      expect(read.messages.map((m) => m.properties?.messageId).sort()).toEqual(
        Array.from({length: DEAD_LETTERS}, (_, i) => `m${i}`),
      )
    }
    expect(await brokerCount()).toBe(DEAD_LETTERS)
  })
})
