// What `mailroom ping` lists as a broker's capabilities (README, mailroom ping): what its adapter offers, not flags.
import {describe, expect, it} from 'vitest'

import {createAdapter} from '../../src/adapters/registry.js'
import {capabilityNames} from '../../src/core/services/ping.js'
import {localSettings} from '../helpers/brokers.js'

describe('ping capabilities', () => {
  it('name what mailroom can do with each broker, as its adapter offers it (no connection needed)', async () => {
    const names = async (kind: 'rabbitmq' | 'kafka' | 'nats') =>
      capabilityNames(await createAdapter(kind, localSettings()))
    expect(await names('rabbitmq')).toEqual([
      'publish',
      'read',
      'settle',
      'peek',
      'purge',
      'request',
      'lag',
      'replay',
      'dead-letter-routes',
    ])
    expect(await names('kafka')).toEqual(['publish', 'read', 'purge', 'request', 'lag', 'replay'])
    expect(await names('nats')).toEqual([
      'publish',
      'read',
      'settle',
      'purge',
      'dedupe',
      'request',
      'lag',
      'replay',
      'dead-letter-routes',
      'dead-letter-capture',
    ])
  })
})
