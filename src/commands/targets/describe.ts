import {Args} from '@oclif/core'
import type {TargetInfo} from '../../adapters/types.js'
import {MailroomCommand} from '../../cli/base-command.js'
import {connectionFlags, connectionOverrides, listOutputFlag} from '../../cli/flags.js'
import {humanYaml} from '../../core/output/human-yaml.js'
import {offlinePartitionsWarning} from '../../core/services/targets.js'
import {parseTargetRef} from '../../core/target-ref.js'

export default class TargetsDescribe extends MailroomCommand {
  static override summary = 'Show everything known about one queue, topic or stream'
  static override examples = [
    '<%= config.bin %> <%= command.id %> rabbitmq:orders.dlq',
    '<%= config.bin %> <%= command.id %> kafka:payments.DLT -o json',
    '<%= config.bin %> <%= command.id %> nats:ORDERS',
  ]
  static override args = {
    target: Args.string({description: 'The target, written <broker>:<name>', required: true}),
  }
  static override flags = {
    output: listOutputFlag,
    ...connectionFlags,
  }

  async run(): Promise<TargetInfo> {
    const {args, flags} = await this.parse(TargetsDescribe)
    const ref = parseTargetRef(args.target)
    const context = await this.resolveContext(connectionOverrides(flags))
    const adapter = await this.connect(ref.broker, context)
    const info = await adapter.describeTarget(ref.name)
    const warning = offlinePartitionsWarning(info)
    if (warning) this.warnUser(warning)
    this.out(flags.output === 'json' ? JSON.stringify(info, null, 2) : await humanYaml(info))
    return info
  }
}
