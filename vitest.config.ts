import {defineConfig} from 'vitest/config'
import {BaseSequencer, type TestSpecification} from 'vitest/node'

// In a clean clone (CI) vitest has no timings yet and runs larger files first. The replay resume and kill trials
// (minutes each) go first so the two forks end together; the cluster files (test/cluster/*.test.ts, however many)
// go after the other broker files: their node-loss trials failed their bounds when run beside the rest of the suite on
// this 2-core machine. The unit and UI files (seconds each, few broker calls) go last of all: the fork that is not
// running the cluster files takes them meanwhile, instead of running them before and then waiting idle.
const FIRST = ['test/integration/replay-resume', 'test/integration/replay-kill']
const CLUSTER_FILE = /(^|\/)test\/cluster\/[^/]+\.test\.tsx?$/
const LIGHT_FILE = /(^|\/)test\/(unit|ui)\//

class LongFilesFirstClusterThenLightLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      if (LIGHT_FILE.test(file.moduleId)) return 3
      if (CLUSTER_FILE.test(file.moduleId)) return 2
      return FIRST.some((prefix) => file.moduleId.includes(prefix)) ? 0 : 1
    }
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b))
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    // Starts any broker that is not running (fast when all are up); a broker that cannot start fails the run.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration tests share three real brokers and a 2-core machine: two test files at a time at most.
    pool: 'forks',
    sequence: {sequencer: LongFilesFirstClusterThenLightLast},
    poolOptions: {forks: {minForks: 1, maxForks: 2}},
  },
})
