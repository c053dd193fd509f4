// The oclif entry bin/run.js calls. Built into the command bundle (scripts/bundle.mjs), so the runner and the
// commands share one copy of @oclif/core.
export {execute} from '@oclif/core'
