import {MailroomCommand} from '../../cli/base-command.js'
import {brokerFlag, connectionFlags, connectionOverrides, listOutputFlag} from '../../cli/flags.js'
import {type DlqListing, discoverDlqs, formatAge} from '../../core/dlq/discover.js'
import {dlqSettings} from '../../core/dlq/settings.js'
import {EXIT} from '../../model/exit-codes.js'
import {renderList} from '../../core/output/table.js'

export default class DlqList extends MailroomCommand {
  static override summary = 'Find dead-letter queues, topics and streams, with depth, age and the origins feeding them'
  static override description = `Found by what the brokers are configured to do - RabbitMQ queues behind dead-letter exchanges (queue
arguments and policies), JetStream streams capturing MAX_DELIVERIES / MSG_TERMINATED advisories (see dlq capture) -
by names declared in the context (dlq.targets, dlq.streams) and by naming patterns (dlq.patterns; defaults *.DLT,
*-dlt, *.dlq, *-dlq, *_dlq, *_DLQ, dlq.*, *.dead-letter). Ages are shown where the broker reports them without
reading messages (JetStream stream state, Kafka record timestamps); "unknown" otherwise (RabbitMQ queues).`
  static override examples = [
    {description: 'Every DLQ on every broker of the context', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Kafka only, as JSON', command: '<%= config.bin %> <%= command.id %> --broker kafka -o json'},
  ]
  static override flags = {
    broker: brokerFlag,
    output: listOutputFlag,
    ...connectionFlags,
  }

  async run(): Promise<DlqListing> {
    const {flags} = await this.parse(DlqList)
    const context = await this.resolveContext(connectionOverrides(flags))
    const settings = dlqSettings(context.config)
    const kinds = flags.broker ?? context.brokers
    const listing = await discoverDlqs(
      await Promise.all(kinds.map((kind) => this.createAdapter(kind, context))),
      settings,
    )
    for (const failure of listing.failures) this.warnUser(`${failure.broker}: ${failure.error.message}`)
    if (listing.failures.length > 0) this.exitStatus = EXIT.CONNECTION
    this.out(
      await renderList(
        listing.dlqs,
        [
          {header: 'DLQ', value: (d) => `${d.broker}:${d.name}`},
          {header: 'KIND', value: (d) => d.kind},
          {header: 'DEPTH', value: (d) => d.depth, align: 'right'},
          {header: 'OLDEST', value: (d) => formatAge(d.oldestAgeSeconds), align: 'right'},
          {header: 'NEWEST', value: (d) => formatAge(d.newestAgeSeconds), align: 'right'},
          {header: 'ORIGINS', value: (d) => d.origins},
          {header: 'FOUND BY', value: (d) => d.detectedBy, wide: true},
        ],
        flags.output,
      ),
    )
    return listing
  }
}
