#!/usr/bin/env node
// Development entry: runs the compiled commands like run.js but in oclif's development mode (more verbose errors).
import('@oclif/core').then(({execute}) => execute({development: true, dir: require('node:path').join(__dirname, '..')}))
