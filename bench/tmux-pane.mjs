// A dashboard in a tmux pane, driven through one tmux control-mode client: commands (send-keys, capture-pane)
// without spawning tmux for each, and a timestamp for every piece of output the program writes to its terminal,
// so the time from a key to its effect on screen is measured without polling.
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const tmux = (...args) => execFileSync('tmux', args, {encoding: 'utf8'})
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export class TmuxPane {
  /** Output arrival times (performance.now()) of the program's terminal writes. */
  outputs = []
  #client
  #pending = []
  #block
  #buffer = ''
  #fifo

  /** Opens a session whose shell waits for go() before it runs `command` (so start-up is timed from go()). */
  static async open(session, command, {columns = 120, rows = 40} = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'mailroom-pane-'))
    const fifo = join(dir, 'go')
    execFileSync('mkfifo', [fifo])
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      String(columns),
      '-y',
      String(rows),
      `read _ < ${fifo}; ${command}; sleep 30`,
    )
    const pane = new TmuxPane(session, fifo, dir)
    await pane.#attach()
    return pane
  }

  constructor(session, fifo, dir) {
    this.session = session
    this.#fifo = fifo
    this.dir = dir
  }

  async #attach() {
    this.#client = spawn('tmux', ['-C', 'attach', '-t', this.session], {stdio: ['pipe', 'pipe', 'ignore']})
    this.#client.stdout.setEncoding('utf8')
    this.#client.stdout.on('data', (data) => this.#read(data))
    // The attach itself answers with one (empty) block first.
    await new Promise((resolve) => this.#pending.push(resolve))
  }

  #read(data) {
    const now = performance.now()
    this.#buffer += data
    let end
    while ((end = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, end)
      this.#buffer = this.#buffer.slice(end + 1)
      if (this.#block) {
        if (/^%(end|error) \d+ \d+ \d+$/.test(line)) {
          const lines = this.#block
          this.#block = undefined
          this.#pending.shift()?.(lines)
        } else this.#block.push(line)
      } else if (line.startsWith('%begin ')) this.#block = []
      else if (line.startsWith('%output ')) this.outputs.push(now)
    }
  }

  /** Runs a tmux command through the control client; resolves with its output lines. */
  command(line) {
    return new Promise((resolve) => {
      this.#pending.push(resolve)
      this.#client.stdin.write(`${line}\n`)
    })
  }

  /** Several commands in one write: tmux runs them back to back, as fast as a terminal can hand over keys. */
  burst(lines) {
    const done = Promise.all(lines.map(() => new Promise((resolve) => this.#pending.push(resolve))))
    this.#client.stdin.write(lines.map((line) => `${line}\n`).join(''))
    return done
  }

  /** send-keys commands for each key name, as burst() takes them. */
  keysCommand(...names) {
    return `send-keys -t ${this.session} ${names.map(quote).join(' ')}`
  }

  textCommand(literal) {
    return `send-keys -t ${this.session} -l ${quote(literal)}`
  }

  /** Starts the program; returns the start time. */
  go() {
    const started = performance.now()
    writeFileSync(this.#fifo, '\n')
    return started
  }

  async screen() {
    return (await this.command(`capture-pane -p -t ${this.session}`)).join('\n')
  }

  /** Waits until `test(screen)` holds; returns the arrival time of the output that made it hold. */
  async waitFor(test, timeoutMs, pollMs = 20) {
    const deadline = performance.now() + timeoutMs
    while (performance.now() < deadline) {
      const lastOutput = this.outputs.at(-1)
      const text = await this.screen()
      if (test(text)) return lastOutput ?? performance.now()
      await sleep(pollMs)
    }
    throw new Error(`${this.session}: the screen never showed what was expected; it shows:\n${await this.screen()}`)
  }

  keys(...names) {
    return this.command(this.keysCommand(...names))
  }

  text(literal) {
    return this.command(this.textCommand(literal))
  }

  /** Time from sending a key to the next output of the program (its effect being drawn). */
  async keyLatency(key, timeoutMs = 3000) {
    const seen = this.outputs.length
    const sent = performance.now()
    await this.keys(key)
    while (this.outputs.length === seen && performance.now() - sent < timeoutMs) await sleep(1)
    return this.outputs.length > seen ? this.outputs[seen] - sent : Number.NaN
  }

  /** The pid of the program (the shell's child). */
  pid() {
    const shell = tmux('display', '-p', '-t', this.session, '#{pane_pid}').trim()
    const children = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', shell], {encoding: 'utf8'})
    const child = children
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find(([, comm]) => comm && comm !== 'sleep')
    if (!child) throw new Error(`${this.session}: program not found`)
    return Number(child[0])
  }

  close() {
    this.#client?.kill()
    try {
      tmux('kill-session', '-t', this.session)
    } catch {
      // already ended
    }
    rmSync(this.dir, {recursive: true, force: true})
  }
}

function quote(word) {
  return `'${word.replaceAll("'", "'\\''")}'`
}
