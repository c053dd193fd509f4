// oclif's init hook: `mailroom dlq --foo` would print the topic's help and exit 0; a flag given to a topic (a word
// that only groups commands) is a usage error (exit 2). Help and version flags keep their meaning.
import type {Hook} from '@oclif/core'

import {EXIT} from '../../model/exit-codes.js'
import {writeError} from '../error-output.js'
import {topicFlagError} from '../unknown-command.js'

const KEPT = new Set(['--help', '-h', '--version', '-v'])

const hook: Hook.Init = async function ({argv, config, id}) {
  if (!id || config.findCommand(id) || !config.findTopic(id)) return
  const flag = argv.find((word) => word.startsWith('-') && !KEPT.has(word))
  if (flag === undefined || argv.some((word) => KEPT.has(word))) return
  writeError(topicFlagError(id.split(':'), flag), {json: argv.includes('--json')})
  this.exit(EXIT.USAGE)
}

export default hook
