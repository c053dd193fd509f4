import {MailroomCommand} from '../../cli/base-command.js'
import {brokerFlag, connectionFlags, connectionOverrides} from '../../cli/flags.js'
import type {DemoBrokerResult} from '../../core/demo/run.js'
import {demoExitStatus, refuseReadOnly} from '../../core/demo/outcome.js'

export default class DemoDown extends MailroomCommand {
  static override summary = 'Remove everything `mailroom demo up` created'
  static override description =
    'Deletes the demo.* queues, exchanges, topics and consumer group and the DEMO_* streams; nothing else is touched. Safe to run twice.'
  static override examples = [
    {description: 'Remove the demo from every broker', command: '<%= config.bin %> <%= command.id %>'},
  ]
  static override flags = {broker: brokerFlag, ...connectionFlags}

  async run(): Promise<{brokers: DemoBrokerResult[]}> {
    const {flags} = await this.parse(DemoDown)
    const context = await this.resolveContext(connectionOverrides(flags))
    refuseReadOnly(context, 'remove the demo scenario')
    const {demoDown} = await import('../../core/demo/run.js')
    const results = await demoDown({
      settings: context.settings,
      brokers: flags.broker ?? context.brokers,
      connect: (kind) => this.connect(kind, context),
    })
    for (const r of results) {
      this.out(
        r.ok
          ? `${r.broker}: removed ${r.removed?.length ? r.removed.join(', ') : 'nothing (no demo found)'}`
          : `${r.broker}: FAILED ${r.error?.code}: ${r.error?.message}`,
      )
    }
    this.exitStatus = demoExitStatus(results)
    return {brokers: results}
  }
}
