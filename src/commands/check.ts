import {Args, Flags} from '@oclif/core'

import {MailroomCommand} from '../cli/base-command.js'
import {brokerFlag, connectionFlags, connectionOverrides, includeMailroomFlag} from '../cli/flags.js'
import {dlqSettings} from '../core/dlq/settings.js'
import {EXIT} from '../model/exit-codes.js'
import {type CheckResult, runCheck, type Thresholds} from '../core/lag/check.js'
import {renderPrometheus} from '../core/lag/prometheus.js'
import {replicationLines} from '../core/lag/replication.js'
import {parseDuration} from '../core/services/tail.js'
import {parseTargetRef} from '../core/target-ref.js'

export default class Check extends MailroomCommand {
  static override summary =
    'Check lag and DLQ depth against thresholds across every broker: exit 7 when one is breached'
  static override description = `For CI and cron jobs. Every consumer of every broker of the context (or one, given as an argument) is compared
with the thresholds given; DLQs are found as in "mailroom dlq list" (dead-letter routes, context names, name
patterns). Exit 0 when all hold, 7 when any is breached, 3 when no broker could be read (or any, with --strict),
4 for an unknown consumer. -o prometheus prints the text exposition format for node_exporter's textfile collector.`
  static override examples = [
    {
      description: 'Fail a pipeline when any consumer is more than 1000 messages or 5 minutes behind',
      command: '<%= config.bin %> <%= command.id %> --max-lag 1000 --max-lag-seconds 300',
    },
    {
      description: 'Nothing in any DLQ, and every queue consumed',
      command: '<%= config.bin %> <%= command.id %> --broker rabbitmq --max-dlq-depth 0 --require-consumers',
    },
    {
      description:
        'Fail when any partition, quorum queue or stream is short of replicas, or a node is down or in alarm',
      command: '<%= config.bin %> <%= command.id %> --require-replicas',
    },
    {description: 'One group', command: '<%= config.bin %> <%= command.id %> kafka:billing --max-lag 0'},
    {
      description: 'Metrics for the textfile collector, every minute from cron',
      command:
        '<%= config.bin %> <%= command.id %> --max-lag 1000 -o prometheus > /var/lib/node_exporter/mailroom.prom.$$ && mv /var/lib/node_exporter/mailroom.prom.$$ /var/lib/node_exporter/mailroom.prom',
    },
  ]
  static override args = {
    target: Args.string({
      description: 'Only this consumer: <broker>:<group|queue|consumer> (and the DLQs it feeds)',
      ignoreStdin: true,
    }),
  }
  static override flags = {
    broker: brokerFlag,
    'max-lag': Flags.integer({description: 'Most messages a consumer may have waiting', min: 0}),
    'max-lag-seconds': Flags.string({description: 'Oldest a waiting message may be (seconds, or a duration: 90s, 5m)'}),
    'max-dlq-depth': Flags.integer({description: 'Most messages a DLQ may hold', min: 0}),
    'require-consumers': Flags.boolean({
      description: 'Every queue / group / consumer (DLQs excepted) must have a consumer attached',
    }),
    'require-replicas': Flags.boolean({
      description:
        'No under-replicated or offline partition, quorum queue or stream short of members or leader, node down or in alarm',
    }),
    output: Flags.option({
      char: 'o',
      description: 'Output format',
      options: ['text', 'prometheus'] as const,
      default: 'text' as const,
    })(),
    strict: Flags.boolean({description: 'Exit 3 when any broker could not be read'}),
    'include-mailroom': includeMailroomFlag,
    ...connectionFlags,
  }

  async run(): Promise<CheckResult> {
    const {args, flags} = await this.parse(Check)
    const thresholds = thresholdsOf(flags)
    if (Object.values(thresholds).every((v) => v === undefined || v === false)) {
      this.usage(
        'give at least one threshold',
        'e.g. --max-lag 1000, --max-lag-seconds 5m, --max-dlq-depth 0, --require-consumers, --require-replicas',
      )
    }
    const filter = args.target ? parseTargetRef(args.target, {anyName: true}) : undefined
    const context = await this.resolveContext(connectionOverrides(flags))
    const kinds = filter ? [filter.broker] : (flags.broker ?? context.brokers)
    const adapters = await Promise.all(kinds.map((kind) => this.createAdapter(kind, context)))
    const result = await runCheck(adapters, thresholds, {
      filter,
      dlqSettings: dlqSettings(context.config),
      includeMailroom: flags['include-mailroom'],
    })
    for (const failure of result.failures) this.warnUser(`${failure.broker}: ${failure.error.message}`)
    if (flags.output === 'prometheus' && !this.jsonEnabled()) process.stdout.write(renderPrometheus(result, kinds))
    else this.report(result)
    this.exitStatus = exitStatusOf(result, kinds.length, flags.strict)
    return result
  }

  private report(result: CheckResult): void {
    for (const b of result.breaches) {
      const who = b.consumer && b.consumer !== b.target ? ` (${b.consumer})` : ''
      this.out(`BREACH ${b.threshold} ${b.broker}:${b.target}${who}: ${b.message}`)
    }
    if (!result.breaches.some((b) => b.threshold === 'require-replicas'))
      for (const line of replicationLines(result.replication)) this.out(line)
    const consumers = result.rows.filter((r) => r.status !== 'ERR').length
    const dlqs = result.dlqs.length > 0 ? ` and ${result.dlqs.length} DLQ(s)` : ''
    this.out(
      result.ok
        ? `OK: ${consumers} consumer(s)${dlqs} within thresholds`
        : `FAILED: ${result.breaches.length} breach(es) over ${consumers} consumer(s)${dlqs}`,
    )
  }
}

function thresholdsOf(flags: {
  'max-lag'?: number
  'max-lag-seconds'?: string
  'max-dlq-depth'?: number
  'require-consumers': boolean
  'require-replicas': boolean
}): Thresholds {
  const seconds = parseDuration(flags['max-lag-seconds'], '--max-lag-seconds')
  return {
    maxLag: flags['max-lag'],
    maxLagSeconds: seconds === undefined ? undefined : seconds / 1000,
    maxDlqDepth: flags['max-dlq-depth'],
    requireConsumers: flags['require-consumers'] || undefined,
    requireReplicas: flags['require-replicas'] || undefined,
  }
}

function exitStatusOf(result: CheckResult, brokers: number, strict: boolean) {
  if (!result.ok) return EXIT.THRESHOLD
  if (result.failures.length === brokers || (strict && result.failures.length > 0)) return EXIT.CONNECTION
  return EXIT.OK
}
