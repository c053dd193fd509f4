// The dashboard's entry: loaded lazily by `mailroom dashboard` (Ink and React are never loaded by other commands).
import {render} from 'ink'

import type {BrokerAdapter} from '../adapters/types.js'
import type {BrokerKind} from '../model/broker.js'
import type {ResolvedContext} from '../core/config/resolve.js'
import type {DecodeRequest} from '../core/schema/envelope-decoder.js'
import {colorEnabled} from '../core/output/terminal.js'
import {App} from './components/App.js'
import {debugLog, debugLogPath, traceStdin} from './debug.js'
import {DashboardServices} from './services.js'
import {type Theme, ThemeContext} from './theme.js'

export interface DashboardOptions {
  context: ResolvedContext
  brokers: BrokerKind[]
  /** Creates one adapter per broker (not connected; the caller closes them): called once the first frame is drawn. */
  adapters(): Promise<Map<BrokerKind, BrokerAdapter>>
  intervalMs: number
  /** How views decode keys and values (--decode, --value-subject); default auto with a registry. */
  decode?: DecodeRequest
  stdout?: NodeJS.WriteStream
  stdin?: NodeJS.ReadStream
}

const ENTER_ALTERNATE_SCREEN = '\u001B[?1049h\u001B[H'
const LEAVE_ALTERNATE_SCREEN = '\u001B[?1049l'
/** The target listing (depth) is re-read at most this often; lag on every refresh. */
const LISTING_MIN_MS = 3000
/** On quit, broker calls still running get this long to finish before the adapters are closed. */
const SETTLE_MS = 3000

/** Renders the dashboard on the alternate screen until the user quits. */
export async function runDashboard(o: DashboardOptions): Promise<void> {
  const stdout = o.stdout ?? process.stdout
  let provide: (adapters: Promise<Map<BrokerKind, BrokerAdapter>>) => void = () => {}
  const adapters = new Promise<Map<BrokerKind, BrokerAdapter>>((resolve) => (provide = resolve))
  const services = new DashboardServices(
    o.context,
    adapters,
    Math.max(LISTING_MIN_MS, o.intervalMs * 3),
    o.brokers,
    o.decode,
  )
  const stdin = o.stdin ?? process.stdin
  traceStdin(stdin)
  stdout.write(ENTER_ALTERNATE_SCREEN)
  try {
    const instance = render(
      <ThemeContext.Provider value={themeFor(stdout)}>
        <App services={services} intervalMs={o.intervalMs} />
      </ThemeContext.Provider>,
      {
        stdout,
        stdin,
        exitOnCtrlC: true,
        patchConsole: true,
        maxFps: 20,
        ...(debugLogPath()
          ? {onRender: ({renderTime}: {renderTime: number}) => debugLog('render', {ms: Math.round(renderTime)})}
          : {}),
      },
    )
    // The broker drivers load once the first frame is out (loading them first held that frame back for a second).
    setImmediate(() => provide(o.adapters()))
    await instance.waitUntilExit()
  } finally {
    stdout.write(LEAVE_ALTERNATE_SCREEN)
  }
  await services.settle(SETTLE_MS)
}

export function themeFor(stdout: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Theme {
  // The Linux console and dumb terminals lack the block characters used by sparklines and bars.
  const unicode = env.TERM !== 'linux' && env.TERM !== 'dumb' && !/^(C|POSIX)$/.test(env.LC_ALL ?? env.LANG ?? 'UTF-8')
  return {color: colorEnabled(stdout, env), unicode}
}
