import {Args} from '@oclif/core'

import {MailroomCommand} from '../../cli/base-command.js'
import {useContext} from '../../core/config/contexts.js'

export default class ContextUse extends MailroomCommand {
  static override summary = 'Make a context the current one'
  static override examples = ['<%= config.bin %> <%= command.id %> prod']
  static override args = {name: Args.string({description: 'Context name', required: true})}

  async run(): Promise<{current: string}> {
    const {args} = await this.parse(ContextUse)
    await useContext(args.name)
    this.info(`Now using context "${args.name}"`)
    return {current: args.name}
  }
}
