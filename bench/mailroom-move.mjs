// mailroom's safe move (`dlq replay`, move mode) run in the benchmark's own process, as the command runs it but
// without the CLI's start-up in the figure: shared by bench/replay.mjs and bench/rabbitmq-confirm-rhythm.mjs.
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

/**
 * Moves `source` to `to` on one broker through the build in `dist` (adapter registry and replay service) with the
 * given --window; the replay journal goes under `stateHome`. Resolves to the replay's report.
 */
export async function mailroomMove({dist, kind, settings, source, to, window, stateHome}) {
  const {createAdapter} = await import(pathToFileURL(join(dist, 'adapters', 'registry.js')).href)
  const {startReplay} = await import(pathToFileURL(join(dist, 'core', 'replay', 'service.js')).href)
  const adapter = await createAdapter(kind, settings)
  await adapter.connect()
  try {
    return await startReplay(
      {
        source: {broker: kind, name: source},
        to: {broker: kind, name: to},
        mode: 'move',
        maxReplays: 3,
        force: false,
        keepPartition: false,
        window,
      },
      {
        source: adapter,
        destination: async () => adapter,
        signal: new AbortController().signal,
        confirm: async () => {},
        onAuditFailure: (w) => console.warn(w),
        env: {...process.env, XDG_STATE_HOME: stateHome},
      },
    )
  } finally {
    await adapter.close()
  }
}
