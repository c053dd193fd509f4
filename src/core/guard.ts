// Guard rails for destructive operations (replay in move mode, purge, import): refused in a read-only context
// (exit 9); on a TTY the user types the target's name to confirm; without a TTY --yes is required (exit 9).
import {createInterface} from 'node:readline/promises'

import {MailroomError} from '../model/errors.js'

/** Asks the user to type the word; resolves with what was typed, rejects to cancel. */
export type AskConfirmation = (confirmation: {action: string; word: string}) => Promise<string>

/** The one typed confirmation, on the command line and in the dashboard: the same words, the same check. */
export function confirmationPrompt(word: string): string {
  return `Type "${word}" to confirm`
}

export function isConfirmed(typed: string, word: string): boolean {
  return typed.trim() === word
}

export interface GuardRequest {
  /** What will happen, e.g. "purge 1,204 messages from rabbitmq:orders.dlq". */
  action: string
  /** The name the user must type to confirm (the target). */
  confirmWord: string
  readOnly: boolean
  contextName?: string
  yes: boolean
  /** How the user is asked (the dashboard's dialog); default: a prompt on the terminal, which needs a TTY. */
  ask?: AskConfirmation
  /** Interactive input and prompt streams of the terminal prompt (default: stdin / stderr). */
  input?: NodeJS.ReadStream
  output?: NodeJS.WriteStream
}

export async function confirmDestructive(req: GuardRequest): Promise<void> {
  if (req.readOnly) {
    throw new MailroomError('REFUSED', `context "${req.contextName ?? ''}" is read-only: refusing to ${req.action}`, {
      suggestions: [
        'Use another context (--context), or remove readOnly from this one (mailroom context set <name> --no-read-only)',
      ],
    })
  }
  if (req.yes) return
  const ask = req.ask ?? askOnTerminal(req.input ?? process.stdin, req.output ?? process.stderr)
  const typed = await ask({action: req.action, word: req.confirmWord})
  if (!isConfirmed(typed, req.confirmWord)) {
    throw new MailroomError('REFUSED', 'confirmation did not match: nothing was changed', {
      suggestions: [`Type exactly ${req.confirmWord}`],
    })
  }
}

/** The command line's way to ask: a prompt on stderr, refused without a terminal (--yes instead). */
function askOnTerminal(input: NodeJS.ReadStream, output: NodeJS.WriteStream): AskConfirmation {
  return async ({action, word}) => {
    if (!input.isTTY) {
      throw new MailroomError('REFUSED', `refusing to ${action} without confirmation`, {
        suggestions: [
          'Pass --yes to confirm when not running in a terminal',
          'Try --dry-run first to see what would happen',
        ],
      })
    }
    const rl = createInterface({input, output})
    try {
      return await rl.question(`About to ${action}.\n${confirmationPrompt(word)}: `)
    } finally {
      rl.close()
    }
  }
}
