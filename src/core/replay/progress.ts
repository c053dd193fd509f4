// The replay's progress on the CLI's one progress line (the dashboard draws its own ProgressBar).
import {formatCount, type ProgressReporter} from '../output/progress.js'
import type {ReplayCounts} from './types.js'

export interface Progress {
  update(counts: ReplayCounts): void
  done(): void
}

export function replayProgress(line: ProgressReporter): Progress {
  return {
    // Called per message: the detail is formatted only when the line is drawn.
    update: (c) =>
      line.update({done: c.examined, failed: c.failed, detail: () => `${formatCount(c.replayed)} replayed`}),
    done: () => line.end(),
  }
}
