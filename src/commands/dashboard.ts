import {Flags} from '@oclif/core'

import type {BrokerAdapter} from '../adapters/types.js'
import type {BrokerKind} from '../model/broker.js'
import {MailroomError} from '../model/errors.js'
import {MailroomCommand} from '../cli/base-command.js'
import {brokerFlag, connectionFlags, connectionOverrides} from '../cli/flags.js'
import {decodeFlags, decodeRequest, readDecode} from '../cli/decode-flags.js'
import {checkRegistryCredentials} from '../core/schema/envelope-decoder.js'
import {isInteractive} from '../core/output/terminal.js'
import {parseRefreshInterval} from '../core/refresh-interval.js'

const EXIT_GRACE_MS = 3000

export default class Dashboard extends MailroomCommand {
  static override enableJsonFlag = false
  static override summary = 'A live terminal dashboard: targets, consumer lag, DLQs, and dead-letter triage with replay'
  static override description = `Overview of the context's brokers, targets and consumers (depth, lag, rates, status, sparkline) and its
dead-letter queues with counts by reason; drill into a target (history, consumers, live tail), a DLQ (grouped by
origin and reason; dry run, replay to origin, purge, export) and a message (headers, death record, body).
Press ? inside for every key. Needs an interactive terminal; otherwise use mailroom lag --watch and mailroom tail.
Usable at 80x24; NO_COLOR is honoured. A read-only context offers no replay, purge or export.`
  static override examples = [
    {description: 'Open the dashboard on the current context', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Refresh every second, Kafka and NATS only',
      command: '<%= config.bin %> <%= command.id %> --interval 1s -b kafka -b nats',
    },
    {
      description: 'A production context (read-only: no actions)',
      command: '<%= config.bin %> <%= command.id %> --context prod',
    },
  ]
  static override flags = {
    interval: Flags.string({char: 'i', description: 'Refresh interval (e.g. 1s, 500ms)', default: '2s'}),
    broker: brokerFlag,
    ...decodeFlags,
    ...connectionFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Dashboard)
    const intervalMs = parseRefreshInterval(flags.interval, '--interval')
    if (!isInteractive(process.stdout) || !process.stdin.isTTY) {
      throw new MailroomError('USAGE', 'the dashboard needs an interactive terminal (stdin and stdout must be a TTY)', {
        suggestions: [
          'Watch lag in a pipe or CI: mailroom lag --watch',
          'Follow messages: mailroom tail <broker>:<target>',
        ],
      })
    }
    forgetCiForThisTerminal()
    // Ink, React and the layout engine take a while to load: start now, alongside the context.
    const ui = import('../ui/run.js')
    ui.catch(() => undefined)
    const context = await this.resolveContext(connectionOverrides(flags))
    // A mode or subject without a registry is a usage error, refused registry credentials an AUTH error (exit 3),
    // both before the screen opens.
    if (readDecode(context, flags) && context.settings.schemaRegistry)
      await checkRegistryCredentials(context.settings.schemaRegistry)
    const kinds = flags.broker ?? context.brokers
    let created: Promise<Map<BrokerKind, BrokerAdapter>> | undefined
    const adapters = () => {
      created = Promise.all(kinds.map(async (kind) => [kind, await this.createAdapter(kind, context)] as const)).then(
        (pairs) => new Map(pairs),
      )
      return created
    }
    const {runDashboard} = await ui
    await runDashboard({context, brokers: kinds, adapters, intervalMs, decode: decodeRequest(flags)})
    // Every adapter created is closed next (base command); a failure to create one was shown on the dashboard.
    await created?.catch(() => undefined)
    // Adapters are closed next (base command). A driver socket a broker call opened while we were quitting must
    // not keep a quit dashboard alive: this timer does not hold the process, but ends it if something else does.
    setTimeout(() => process.exit(process.exitCode ?? 0), EXIT_GRACE_MS).unref()
  }
}

/**
 * Ink renders only the final frame when CI or CONTINUOUS_INTEGRATION is set (it reads them once, on import). Both
 * stdin and stdout are a terminal here, so someone is watching: a CI variable exported in their shell, or a
 * terminal opened from a CI job, must not leave the dashboard blank.
 */
function forgetCiForThisTerminal(): void {
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
}
