import {MailroomCommand} from '../../cli/base-command.js'
import {brokerFlag, connectionFlags, connectionOverrides} from '../../cli/flags.js'
import type {DemoBrokerResult} from '../../core/demo/run.js'
import {demoExitStatus, refuseReadOnly} from '../../core/demo/outcome.js'

export default class DemoUp extends MailroomCommand {
  static override summary = 'Create a demo scenario with real dead letters and lag on the local brokers'
  static override description = `Creates (after removing any previous demo) everything named demo.* / DEMO_*:
RabbitMQ: exchange demo.orders -> queues demo.orders and demo.payments (quorum, delivery limit 2), dead-letter
exchange demo.orders.dlx -> demo.orders.dlq; a consumer rejects invalid orders and keeps failing on two payments,
so the broker dead-letters them (reasons rejected and delivery_limit), and a backlog stays with no consumer.
Kafka: topic demo.orders.events (3 partitions); group demo.billing consumed half (lag), and sent unparseable records
to demo.orders.events.DLT with Spring kafka_dlt-* headers (binary partition / offset).
JetStream: stream DEMO_ORDERS, durable consumer DEMO_FULFILMENT (MaxDeliver 3) that naks some orders until the server
gives up and terminates one; the advisories are captured in DEMO_ORDERS_DLQ. Remove it all with: mailroom demo down`
  static override examples = [
    {
      description: 'Seed every local broker, then open the dashboard',
      command: '<%= config.bin %> <%= command.id %> && <%= config.bin %> dashboard',
    },
    {description: 'Only RabbitMQ', command: '<%= config.bin %> <%= command.id %> -b rabbitmq'},
  ]
  static override flags = {broker: brokerFlag, ...connectionFlags}

  async run(): Promise<{brokers: DemoBrokerResult[]}> {
    const {flags} = await this.parse(DemoUp)
    const context = await this.resolveContext(connectionOverrides(flags))
    refuseReadOnly(context, 'create the demo scenario')
    const {demoUp} = await import('../../core/demo/run.js')
    const results = await demoUp({
      settings: context.settings,
      brokers: flags.broker ?? context.brokers,
      connect: (kind) => this.connect(kind, context),
      progress: (line) => this.info(line),
    })
    for (const r of results)
      this.out(
        r.ok ? `${r.broker}: ${describe(r.summary)}` : `${r.broker}: FAILED ${r.error?.code}: ${r.error?.message}`,
      )
    this.exitStatus = demoExitStatus(results)
    if (results.some((r) => r.ok)) this.info('Open it with: mailroom dashboard   (remove it with: mailroom demo down)')
    return {brokers: results}
  }
}

function describe(summary: Record<string, unknown> | undefined): string {
  return Object.entries(summary ?? {})
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ')
}
