#!/usr/bin/env node
// CommonJS (bin/package.json), so `--version` and the help fast paths are answered without starting Node's ES module
// loader (5-15 ms here, against `node -e 0`'s 70-85 ms). Fast paths first: `--version`, `<command> --help` and
// `help <command>` are answered from package.json and the help rendered at build time, without loading oclif
// (start-up is a third of the time of a full oclif boot). Everything else, and any terminal narrower than the
// pre-rendered 80 columns, goes through oclif.
const {readFileSync, writeSync} = require('node:fs')
const {join} = require('node:path')
const {pathToFileURL} = require('node:url')

const argv = process.argv.slice(2)
const root = join(__dirname, '..')
// `--version` first, before anything else loads: written with one system call, without creating process.stdout.
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  writeSync(1, `${userAgent()}\n`)
  process.exit(0)
}

// Memory stays flat on long streams: V8 lets the old generation grow to several times what is live before it
// collects, and a tail or replay of a million messages promotes enough short-lived objects to push a process past
// 200 MB that holds 30 MB of live data. Doubling (instead of up to quadrupling) keeps it near 170 MB at the same
// speed (bench/messaging.mjs, memory runs). Read at each collection, so it works when set at run time.
require('node:v8').setFlagsFromString('--heap-growing-percent=100')

// `mailroom tail ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

// A stack trace shown with --debug names the TypeScript sources instead of bundle chunks (costs start-up, so only then).
if (argv.includes('--debug') || process.env.MAILROOM_DEBUG === '1') process.setSourceMapsEnabled(true)

main()

async function main() {
  // A Tab press in a shell with mailroom's completion (`mailroom completion bash`): answered without oclif.
  if (argv[0] === '__complete') {
    const {complete} = await import('../dist/bundle/cli/complete.js')
    process.stdout.write(await complete(argv.slice(1), pathToFileURL(join(root, 'oclif.manifest.json'))))
    return
  }
  if (argv.length > 0 && answerFast(argv)) return
  const {execute} = await import('../dist/bundle/cli/oclif.js')
  await execute({dir: root})
  // The command has ended and closed its connections. A socket a client library leaves open (seen: kafkajs after a
  // metadata failure on a cluster with an offline partition) would keep the process alive until the broker closes
  // it, ten minutes on Kafka: what is still open after a grace period is not waited for, once the output is out.
  setTimeout(exitOnceFlushed, 2000).unref()
}

function exitOnceFlushed() {
  const pending = [process.stdout, process.stderr].find((stream) => stream.writableLength > 0)
  if (pending) pending.once('drain', exitOnceFlushed)
  else process.exit()
}

function answerFast(args) {
  const last = args.at(-1)
  const wideEnough = !process.stdout.isTTY || process.stdout.columns >= 80
  // `mailroom help dlq replay` is `mailroom dlq replay --help`.
  if (args[0] === 'help' && !args.some((arg) => arg.startsWith('-'))) return answerFast([...args.slice(1), '--help'])
  if ((last !== '--help' && last !== '-h') || !wideEnough || process.env.OCLIF_COLUMNS) return false
  let help
  try {
    help = JSON.parse(readFileSync(join(root, 'dist', 'help.json'), 'utf8'))
  } catch {
    return false
  }
  const text = help.commands[args.slice(0, -1).join(' ')]
  if (text === undefined) return false
  process.stdout.write(text.replace('{{userAgent}}', () => userAgent()))
  return true
}

/** As oclif writes it: the package's name (mailroom-cli, as npm knows it) and version, platform and Node. */
function userAgent() {
  const {name, version} = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  return `${name}/${version} ${process.platform}-${process.arch} node-${process.version}`
}
