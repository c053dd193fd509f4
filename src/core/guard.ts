// Guard rails for destructive operations (replay in move mode, purge, import): refused in a read-only context
// (exit 9); on a TTY the user types the target's name to confirm; without a TTY --yes is required (exit 9).
import {createInterface} from 'node:readline/promises'

import {MailroomError} from '../model/errors.js'

export interface GuardRequest {
  /** What will happen, e.g. "purge 1,204 messages from rabbitmq:orders.dlq". */
  action: string
  /** The name the user must type to confirm (the target). */
  confirmWord: string
  readOnly: boolean
  contextName?: string
  yes: boolean
  /** Interactive input and prompt streams (default: stdin / stderr). */
  input?: NodeJS.ReadStream
  output?: NodeJS.WriteStream
}

export async function confirmDestructive(req: GuardRequest): Promise<void> {
  if (req.readOnly) {
    throw new MailroomError('REFUSED', `context "${req.contextName ?? ''}" is read-only: refusing to ${req.action}`, {
      suggestions: ['Use another context (--context), or remove readOnly from this one (mailroom context set <name> --no-read-only)'],
    })
  }
  if (req.yes) return
  const input = req.input ?? process.stdin
  const output = req.output ?? process.stderr
  if (!input.isTTY) {
    throw new MailroomError('REFUSED', `refusing to ${req.action} without confirmation`, {
      suggestions: ['Pass --yes to confirm when not running in a terminal', 'Try --dry-run first to see what would happen'],
    })
  }
  const rl = createInterface({input, output})
  try {
    const answer = await rl.question(`About to ${req.action}.\nType "${req.confirmWord}" to confirm: `)
    if (answer.trim() !== req.confirmWord) {
      throw new MailroomError('REFUSED', 'confirmation did not match: nothing was changed', {suggestions: [`Type exactly ${req.confirmWord}`]})
    }
  } finally {
    rl.close()
  }
}
