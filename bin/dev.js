#!/usr/bin/env node
// Development entry: runs the compiled commands like run.js but in oclif's development mode (more verbose errors).
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
