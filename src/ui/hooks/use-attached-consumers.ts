// A target's consumers by name, where its broker lists them apart from lag (RabbitMQ queues): read while the target
// view is open and the target has consumers.
import type {AttachedConsumer} from '../../adapters/types.js'
import type {BrokerKind} from '../../model/broker.js'
import type {DashboardServices} from '../services.js'
import {usePoll} from './use-poll.js'

const EVERY_MS = 3000

export function useAttachedConsumers(
  services: DashboardServices,
  broker: BrokerKind,
  target: string,
  attached: number | undefined,
): AttachedConsumer[] | undefined {
  const poll = usePoll(() => services.attachedConsumers(broker, target), EVERY_MS, {paused: !attached})
  return attached ? poll.data : undefined
}
