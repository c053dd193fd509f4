// A mistyped command (`mailroom tial`, `mailroom dlq replya`): one usage error that names what was typed and the
// command that was probably meant, instead of oclif's internal id (`command tial:kafka:x not found`).
import {MailroomError} from '../model/errors.js'
import {nearest} from '../core/suggest.js'

/** Which flag of a command takes `value` as one of its options (`ping` + `rabbitmq` -> `broker`). */
export type FlagTaking = (commandId: string, value: string) => string | undefined

/** The words of a command line that name a command, the first unknown one included. */
export function unknownCommandError(commandIds: string[], words: string[], flagTaking?: FlagTaking): MailroomError {
  const ids = commandIds.map((id) => id.split(':'))
  const known: string[] = []
  for (const [index, word] of words.entries()) {
    const names = namesUnder(ids, known)
    const isTopic = ids.some((id) => id.length > known.length + 1 && id[known.length] === word && startsWith(id, known))
    const isCommand = ids.some(
      (id) => id.length === known.length + 1 && id[known.length] === word && startsWith(id, known),
    )
    if (isCommand && !isTopic && index + 1 < words.length)
      return unexpectedArgumentError([...known, word], words[index + 1], flagTaking)
    if (!names.has(word) || !isTopic) {
      const meant = nearest(word, names)
      const typed = ['mailroom', ...known, word].join(' ')
      const message = meant
        ? `unknown command "${typed}"; did you mean "${['mailroom', ...known, meant].join(' ')}"?`
        : `unknown command "${typed}"`
      const help = ['mailroom', ...(meant ? [...known, meant] : known), '--help'].join(' ')
      return new MailroomError('USAGE', message, {suggestions: [meant ? help : `${help} lists the commands`]})
    }
    known.push(word)
  }
  return new MailroomError('USAGE', `"${['mailroom', ...known].join(' ')}" needs a command`, {
    suggestions: [`${['mailroom', ...known, '--help'].join(' ')} lists the commands`],
  })
}

/** `mailroom ping rabbitmq`: a word after a command that takes no arguments (oclif read it as part of the id). */
function unexpectedArgumentError(command: string[], word: string, flagTaking?: FlagTaking): MailroomError {
  const typed = ['mailroom', ...command].join(' ')
  const flag = flagTaking?.(command.join(':'), word)
  const message = flag
    ? `"${typed}" takes no argument "${word}"; did you mean "${typed} --${flag} ${word}"?`
    : `"${typed}" takes no argument "${word}"`
  return new MailroomError('USAGE', message, {suggestions: [`${typed} --help`]})
}

/** `mailroom dlq --foo`: a flag given to a topic, which only lists its commands. */
export function topicFlagError(topic: string[], flag: string): MailroomError {
  const typed = ['mailroom', ...topic].join(' ')
  return new MailroomError('USAGE', `unknown flag "${flag}": "${typed}" needs a command`, {
    suggestions: [`${typed} --help lists the commands`],
  })
}

/** `mailroom --jsn`: a flag where a command should be. */
export function unknownRootFlagError(flag: string): MailroomError {
  const meant = nearest(flag, ['--help', '--version'])
  return new MailroomError('USAGE', `unknown flag "${flag}"${meant ? `; did you mean "mailroom ${meant}"?` : ''}`, {
    suggestions: ['mailroom --help lists the commands'],
  })
}

function namesUnder(ids: string[][], prefix: string[]): Set<string> {
  return new Set(ids.filter((id) => id.length > prefix.length && startsWith(id, prefix)).map((id) => id[prefix.length]))
}

function startsWith(id: string[], prefix: string[]): boolean {
  return prefix.every((word, i) => id[i] === word)
}
