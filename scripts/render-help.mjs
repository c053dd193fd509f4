// Build step: renders every command's --help once (80 columns, as oclif does without a TTY) into
// dist/help.json, so bin/run.js can answer `mailroom <command> --help` without loading oclif (fast start-up).
import {Config, Help} from '@oclif/core'
import {writeFileSync} from 'node:fs'

class CapturingHelp extends Help {
  captured = []
  log(...args) {
    this.captured.push(args.join(' '))
  }
}

const config = await Config.load({root: new URL('..', import.meta.url).pathname})
const rendered = {}
const root = new CapturingHelp(config, {maxWidth: 80, stripAnsi: true})
await root.showHelp([])
// The root help shows the version line of the machine it runs on: bin/run.js fills it in.
rendered[''] = (root.captured.join('\n') + '\n').replace(config.userAgent, '{{userAgent}}')
for (const command of config.commands) {
  const help = new CapturingHelp(config, {maxWidth: 80, stripAnsi: true})
  await help.showCommandHelp(command)
  rendered[command.id.replaceAll(':', ' ')] = help.captured.join('\n') + '\n'
}
writeFileSync(
  new URL('../dist/help.json', import.meta.url),
  JSON.stringify({version: config.version, commands: rendered}),
)
console.error(`rendered help for ${Object.keys(rendered).length} commands`)
