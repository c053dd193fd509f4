// oclif's command_not_found hook: a mistyped command is a usage error (exit 2) with a "did you mean".
import type {Hook, Interfaces} from '@oclif/core'

import {EXIT} from '../../model/exit-codes.js'
import {writeError} from '../error-output.js'
import {unknownCommandError, unknownRootFlagError} from '../unknown-command.js'

const hook: Hook.CommandNotFound = async function ({argv, config}) {
  // oclif joins the command words and the arguments after them into one id (`tial:kafka:x`); the words typed are
  // the command line less the arguments it passes on.
  const line = process.argv.slice(2)
  const words = line.slice(0, line.length - (argv?.length ?? 0)).filter((word) => !word.startsWith('-'))
  const visible = config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const error =
    words.length === 0 && line[0]?.startsWith('-')
      ? unknownRootFlagError(line[0])
      : unknownCommandError(visible, words, (id, value) => flagTaking(config, id, value))
  writeError(error, {json: line.includes('--json')})
  this.exit(EXIT.USAGE)
}

function flagTaking(config: Interfaces.Config, commandId: string, value: string): string | undefined {
  const flags = Object.entries(config.findCommand(commandId)?.flags ?? {})
  return flags.find(([, flag]) => flag.type === 'option' && flag.options?.includes(value))?.[0]
}

export default hook
