import {Args} from '@oclif/core'
import {stringify} from 'yaml'

import {MailroomCommand} from '../../cli/base-command.js'
import {showContext} from '../../core/config/contexts.js'
import type {ContextConfig} from '../../core/config/file.js'

export default class ContextShow extends MailroomCommand {
  static override summary = 'Show a context as written in the config file (secrets are only ever named, never stored)'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> prod --json']
  static override args = {
    name: Args.string({description: 'Context name (default: the current one)', ignoreStdin: true}),
  }

  async run(): Promise<{name: string; context: ContextConfig}> {
    const {args} = await this.parse(ContextShow)
    const shown = await showContext(args.name)
    this.out(stringify({[shown.name]: shown.context}).trimEnd())
    return shown
  }
}
