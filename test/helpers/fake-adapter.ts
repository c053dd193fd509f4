// The one in-memory BrokerAdapter of the unit tests: a complete object of the port's type (no casts), with no
// capabilities and nothing stored; a test gives it the methods it exercises (consumerLag, publish...).
import type {BrokerAdapter, Capabilities} from '../../src/adapters/types.js'
import type {BrokerKind} from '../../src/model/broker.js'
import {MailroomError} from '../../src/model/errors.js'

const NO_CAPABILITIES: Capabilities = {settle: false}

export function fakeAdapter(kind: BrokerKind, methods: Partial<BrokerAdapter> = {}): BrokerAdapter {
  return {
    kind,
    capabilities: NO_CAPABILITIES,
    connect: async () => {},
    close: async () => {},
    serverInfo: async () => ({product: `in-memory ${kind}`, latencyMs: 0}),
    listTargets: async () => [],
    describeTarget: async (name) => {
      throw new MailroomError('NOT_FOUND', `${kind}:${name} does not exist`)
    },
    [Symbol.asyncDispose]: async () => {},
    ...methods,
  }
}
