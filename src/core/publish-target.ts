// A destination that does not exist is refused before anything moves (replay --to, its dry run, import): otherwise
// every message would be tried and fail, or a dry run would promise what the run cannot do.
import type {BrokerAdapter} from '../adapters/types.js'
import {MailroomError, isMailroomError} from '../model/errors.js'
import {formatTargetRef, type TargetRef} from './target-ref.js'

export async function requirePublishTarget(adapter: BrokerAdapter, ref: TargetRef): Promise<void> {
  try {
    await adapter.preparePublish?.(ref.name)
  } catch (error) {
    if (!isMailroomError(error) || error.code !== 'NOT_FOUND') throw error
    throw new MailroomError(
      'NOT_FOUND',
      `destination ${formatTargetRef(ref)} does not exist (${error.message}): nothing was moved`,
      {
        suggestions: [
          `Create it first, or name another destination; see what exists with: mailroom targets list ${ref.broker}`,
        ],
      },
    )
  }
}
