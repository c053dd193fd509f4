// Contexts listing a cluster's nodes: rabbitmq.urls / managementUrls and nats.servers resolve to the comma-separated
// settings the adapters split; every node's address names the servers a replay journal records, in any order.
import {describe, expect, it} from 'vitest'

import {endpointsFromSettings} from '../../src/adapters/rabbitmq/endpoint.js'
import {resolveContextConfig} from '../../src/core/config/resolve.js'
import {normalizedAddress} from '../../src/core/replay/servers.js'

const nodes = ['amqp://ops@r1:5672/prod', 'amqp://r2:5672', 'amqp://r3:5672']

describe('a context listing a cluster', () => {
  const context = resolveContextConfig(
    'cluster',
    {
      rabbitmq: {urls: nodes, passwordEnv: 'PW'},
      kafka: {brokers: ['k1:9092', 'k2:9092']},
      nats: {servers: ['nats://n1:4222', 'nats://n2:4222']},
    },
    {},
    {PW: 'secret'},
  )

  it('keeps every RabbitMQ node in order, credentials and vhost from the first, a management URL per node', () => {
    const endpoints = endpointsFromSettings(context.settings.rabbitmq!)
    expect(endpoints.map((e) => e.address)).toEqual(['r1:5672', 'r2:5672', 'r3:5672'])
    expect(endpoints.map((e) => [e.username, e.password, e.vhost])).toEqual(Array(3).fill(['ops', 'secret', 'prod']))
    expect(endpoints[0].managementUrls).toEqual(['http://r1:15672', 'http://r2:15672', 'http://r3:15672'])
  })

  it('takes managementUrls as written', () => {
    const explicit = resolveContextConfig(
      'c',
      {rabbitmq: {urls: nodes, managementUrls: ['https://m1:15671', 'https://m2:15671'], passwordEnv: 'PW'}},
      {},
      {PW: 'x'},
    )
    expect(endpointsFromSettings(explicit.settings.rabbitmq!)[0].managementUrls).toEqual([
      'https://m1:15671',
      'https://m2:15671',
    ])
  })

  it('gives NATS every server', () => {
    expect(context.settings.nats?.url).toBe('nats://n1:4222,nats://n2:4222')
  })

  it('names the same servers for a resume whatever the order of the nodes', () => {
    const reordered = resolveContextConfig(
      'cluster',
      {
        rabbitmq: {
          urls: [...nodes].reverse().map((u) => u.replace('ops@', '').replace('/prod', '')),
          username: 'ops',
          vhost: 'prod',
          passwordEnv: 'PW',
        },
      },
      {},
      {PW: 'secret'},
    )
    expect(normalizedAddress('rabbitmq', reordered.settings)).toBe(normalizedAddress('rabbitmq', context.settings))
    expect(normalizedAddress('rabbitmq', context.settings)).toBe('amqp://r1:5672,r2:5672,r3:5672/prod')
  })
})
