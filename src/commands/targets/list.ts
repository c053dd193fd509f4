import {MailroomCommand} from '../../cli/base-command.js'
import {brokerFlag, connectionFlags, connectionOverrides, listOutputFlag} from '../../cli/flags.js'
import {EXIT} from '../../model/exit-codes.js'
import {renderList} from '../../core/output/table.js'
import {type TargetListing, listAllTargets, offlinePartitionsWarning} from '../../core/services/targets.js'

export default class TargetsList extends MailroomCommand {
  static override summary = 'List queues, topics and streams with their kind, depth and consumers'
  static override examples = [
    {description: 'Everything on every broker of the context', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Kafka topics as YAML', command: '<%= config.bin %> <%= command.id %> --broker kafka -o yaml'},
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> --json | jq ".result.targets[].name"'},
  ]
  static override flags = {
    broker: brokerFlag,
    output: listOutputFlag,
    ...connectionFlags,
  }

  async run(): Promise<TargetListing> {
    const {flags} = await this.parse(TargetsList)
    const context = await this.resolveContext(connectionOverrides(flags))
    const kinds = flags.broker ?? context.brokers
    const listing = await listAllTargets(await Promise.all(kinds.map((kind) => this.createAdapter(kind, context))))
    for (const failure of listing.failures) this.warnUser(`${failure.broker}: ${failure.error.message}`)
    if (listing.failures.length > 0) this.exitStatus = EXIT.CONNECTION
    for (const warning of listing.targets.map(offlinePartitionsWarning)) if (warning) this.warnUser(warning)
    this.out(
      await renderList(
        listing.targets,
        [
          {header: 'TARGET', value: (t) => `${t.broker}:${t.name}`},
          {header: 'KIND', value: (t) => t.kind},
          {header: 'DEPTH', value: (t) => t.depth, align: 'right'},
          {header: 'PARTITIONS', value: (t) => t.partitions, align: 'right'},
          {header: 'CONSUMERS', value: (t) => t.consumers, align: 'right'},
        ],
        flags.output,
      ),
    )
    return listing
  }
}
