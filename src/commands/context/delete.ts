import {Args} from '@oclif/core'

import {MailroomCommand} from '../../cli/base-command.js'
import {deleteContext} from '../../core/config/contexts.js'

export default class ContextDelete extends MailroomCommand {
  static override summary = 'Delete a context from the config file'
  static override examples = ['<%= config.bin %> <%= command.id %> staging']
  static override args = {name: Args.string({description: 'Context name', required: true})}

  async run(): Promise<{deleted: string}> {
    const {args} = await this.parse(ContextDelete)
    await deleteContext(args.name)
    this.info(`Deleted context "${args.name}"`)
    return {deleted: args.name}
  }
}
