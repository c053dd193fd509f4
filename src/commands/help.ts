import {Command, loadHelpClass} from '@oclif/core'

import {EXIT} from '../model/exit-codes.js'
import {writeError} from '../cli/error-output.js'
import {unknownCommandError} from '../cli/unknown-command.js'

export default class HelpCommand extends Command {
  static override description = 'Show help for mailroom or one of its commands (same as --help)'
  static override strict = false
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help dlq replay']
  static override args = {}

  async run(): Promise<void> {
    const words = this.argv.filter((word) => !word.startsWith('-'))
    const id = words.join(':')
    if (words.length > 0 && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      const visible = this.config.commands.filter((c) => !c.hidden).map((c) => c.id)
      writeError(unknownCommandError(visible, words), {json: false})
      this.exit(EXIT.USAGE)
    }
    const Help = await loadHelpClass(this.config)
    await new Help(this.config, this.config.pjson.oclif.helpOptions).showHelp(words)
  }
}
