import {MailroomCommand} from '../cli/base-command.js'
import {brokerFlag, connectionFlags, connectionOverrides} from '../cli/flags.js'
import {EXIT} from '../model/exit-codes.js'
import {renderTable} from '../core/output/table.js'
import {type PingRow, pingBroker} from '../core/services/ping.js'

export default class Ping extends MailroomCommand {
  static override summary = 'Check that the brokers of a context answer: version, latency, capabilities'
  static override description =
    'Connects to every broker of the context (or only --broker). A broker that is down gets a row saying why, and the exit code is 3. Then every node of each cluster as the broker reports it: role, version, status, alarms; * marks the node the connection went to.'
  static override examples = [
    {description: 'Ping every broker of the current context', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Only Kafka, as JSON', command: '<%= config.bin %> <%= command.id %> --broker kafka --json'},
    {
      description: 'Check a NATS server by URL',
      command: 'MAILROOM_NATS_URL=nats://10.0.0.5:4222 <%= config.bin %> <%= command.id %> -b nats',
    },
  ]
  static override flags = {
    broker: brokerFlag,
    ...connectionFlags,
  }

  async run(): Promise<{brokers: PingRow[]}> {
    const {flags} = await this.parse(Ping)
    const context = await this.resolveContext(connectionOverrides(flags))
    const kinds = flags.broker ?? context.brokers
    const rows = await Promise.all(kinds.map(async (kind) => pingBroker(await this.createAdapter(kind, context))))
    if (rows.some((r) => !r.up)) this.exitStatus = EXIT.CONNECTION
    this.out(
      await renderTable(rows, [
        {header: 'BROKER', value: (r) => r.broker},
        {header: 'STATUS', value: (r) => (r.up ? 'up' : 'DOWN')},
        {header: 'VERSION', value: (r) => (r.up ? `${r.product} ${r.version ?? ''}`.trim() : undefined)},
        {
          header: 'LATENCY',
          value: (r) => (r.latencyMs === undefined ? undefined : `${r.latencyMs} ms`),
          align: 'right',
        },
        {
          header: 'CAPABILITIES / ERROR',
          value: (r) => (r.up ? r.capabilities?.join(' ') : `${r.error?.code}: ${r.error?.message}`),
        },
      ]),
    )
    const nodes = rows.flatMap((r) => (r.nodes ?? []).map((node) => ({broker: r.broker, ...node})))
    if (nodes.length > 0) {
      this.out('')
      this.out(
        await renderTable(nodes, [
          {header: 'BROKER', value: (n) => n.broker},
          {header: 'NODE', value: (n) => `${n.name}${n.connected ? ' *' : ''}`},
          {header: 'ADDRESS', value: (n) => n.address},
          {header: 'ROLE', value: (n) => n.role},
          {header: 'VERSION', value: (n) => n.version},
          {header: 'STATUS', value: (n) => n.status},
          {header: 'ALARMS', value: (n) => n.alarms?.join(' ')},
        ]),
      )
    }
    return {brokers: rows}
  }
}
