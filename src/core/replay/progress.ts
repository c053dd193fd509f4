// The replay's progress on the CLI's one progress line (the dashboard draws its own ProgressBar).
import type {ProgressReporter} from '../output/progress.js'
import type {ReplayCounts} from './types.js'

export interface Progress {
  update(counts: ReplayCounts): void
  done(): void
}

export function replayProgress(line: ProgressReporter): Progress {
  return {
    update: (c) =>
      line.update({done: c.examined, failed: c.failed, detail: `${c.replayed.toLocaleString('en-US')} replayed`}),
    done: () => line.end(),
  }
}
