import {MailroomCommand} from '../../cli/base-command.js'
import {listOutputFlag} from '../../cli/flags.js'
import {type ContextSummary, listContexts} from '../../core/config/contexts.js'
import {renderList} from '../../core/output/table.js'

export default class ContextList extends MailroomCommand {
  static override summary = 'List the named contexts; * marks the current one'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> -o json']
  static override flags = {output: listOutputFlag}

  async run(): Promise<{contexts: ContextSummary[]}> {
    const {flags} = await this.parse(ContextList)
    const contexts = await listContexts()
    if (contexts.length === 0)
      this.info('No contexts yet: mailroom uses the local brokers. Create one with: mailroom context set <name> ...')
    else {
      this.out(
        await renderList(
          contexts,
          [
            {header: 'CURRENT', value: (c) => (c.current ? '*' : '')},
            {header: 'NAME', value: (c) => c.name},
            {header: 'BROKERS', value: (c) => c.brokers},
            {header: 'READ-ONLY', value: (c) => (c.readOnly ? 'yes' : 'no')},
            {header: 'DESCRIPTION', value: (c) => c.description},
          ],
          flags.output,
        ),
      )
    }
    return {contexts}
  }
}
