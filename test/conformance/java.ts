// Runs the Kafka ecosystem's own software (Kafka's Java clients and tools, Spring Kafka, Kafka Connect) from the
// Maven Central jars that test/conformance/pom.xml gathers, so conformance tests compare mailroom with the real thing.
// Java programs live in test/conformance/java/ as single-file sources. runJava compiles each source once (javac into a
// directory of the temp dir named by the source's hash, shared by every test process) and runs the classes: a JVM that
// starts from classes answers about 1.3 s sooner than one that compiles the source first (`java Program.java`).
import {createHash} from 'node:crypto'
import {execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {promisify} from 'node:util'
import {fileURLToPath} from 'node:url'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const conformanceLibs = join(repoRoot, '.brokers', 'conformance', 'libs')
const javaSources = join(repoRoot, 'test', 'conformance', 'java')
const classpath = `${conformanceLibs}/*`

/** Copies the jars once (Maven caches them in ~/.m2): scripts/conformance-jars.mjs, which `npm test` runs beside the build. */
export function gatherConformanceJars(): void {
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'conformance-jars.mjs')], {stdio: 'inherit'})
}

const JVM_OPTIONS = ['-Xshare:auto', '-XX:TieredStopAtLevel=1']
const compiling = new Map<string, Promise<string>>()

/** The directory of the program's classes, compiled at most once per version of its source. */
function classesOf(program: string): Promise<string> {
  const source = join(javaSources, `${program}.java`)
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16)
  const classes = join(tmpdir(), 'mailroom-conformance-classes', `${program}-${hash}`)
  let done = compiling.get(classes)
  if (!done) {
    done = existsSync(classes) ? Promise.resolve(classes) : compile(source, classes)
    compiling.set(classes, done)
  }
  return done
}

/** javac into a fresh directory renamed into place, so a test process never sees another one's half-written classes. */
async function compile(source: string, classes: string): Promise<string> {
  mkdirSync(dirname(classes), {recursive: true})
  const fresh = mkdtempSync(`${classes}.tmp-`)
  try {
    await promisify(execFile)('javac', ['-nowarn', '-cp', classpath, '-d', fresh, source], {
      maxBuffer: 16 * 1024 * 1024,
    })
    renameSync(fresh, classes)
  } catch (error) {
    rmSync(fresh, {recursive: true, force: true})
    if (!existsSync(classes)) throw error
  }
  return classes
}

/** Source-file launch, for the long-running programs (JavaProcess), which start once per test file anyway. */
function javaArgs(program: string, args: string[]): string[] {
  return [...JVM_OPTIONS, '-cp', classpath, join(javaSources, `${program}.java`), ...args]
}

export interface JavaResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a program in test/conformance/java to completion. A non-zero exit is returned, not thrown. */
export async function runJava(
  program: string,
  args: string[] = [],
  o: {timeoutMs?: number; input?: string} = {},
): Promise<JavaResult> {
  const classes = await classesOf(program)
  return new Promise((resolve, reject) => {
    const child = spawn('java', [...JVM_OPTIONS, '-cp', `${classes}:${classpath}`, program, ...args])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(`java ${program} did not finish within ${o.timeoutMs ?? 60_000} ms\nstderr:\n${stderr.slice(-4000)}`),
      )
    }, o.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr})
    })
    child.stdin.end(o.input ?? '')
  })
}

/** Like runJava, but fails with the program's stderr unless it exits 0; returns stdout. */
export async function runJavaOk(
  program: string,
  args: string[] = [],
  o: {timeoutMs?: number; input?: string} = {},
): Promise<string> {
  const result = await runJava(program, args, o)
  if (result.code !== 0)
    throw new Error(`java ${program} exited ${result.code}\nstderr:\n${result.stderr.slice(-4000)}`)
  return result.stdout
}

/** A long-running Java program (a consumer group member, a Spring listener, a Connect worker). */
export class JavaProcess {
  readonly child: ChildProcessWithoutNullStreams
  private output = ''
  private waiters: Array<() => void> = []

  constructor(program: string, args: string[] = []) {
    this.child = spawn('java', javaArgs(program, args))
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString('utf8')
      for (const wake of this.waiters.splice(0)) wake()
    }
    this.child.stdout.on('data', collect)
    this.child.stderr.on('data', collect)
  }

  /** Everything the program printed so far (stdout and stderr interleaved). */
  get printed(): string {
    return this.output
  }

  /** Resolves once the program has printed text matching pattern; fails after timeoutMs or if it exits first. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = this.output.match(pattern)
      if (match) return match
      if (this.child.exitCode !== null)
        throw new Error(`java exited ${this.child.exitCode} before printing ${pattern}\n${this.output.slice(-4000)}`)
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(`java did not print ${pattern} within ${timeoutMs} ms\n${this.output.slice(-4000)}`)
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, Math.min(left, 500))
        this.waiters.push(() => {
          clearTimeout(timer)
          wake()
        })
      })
    }
  }

  /** Writes a line to the program's stdin (programs here read commands such as "pause" or "exit"). */
  send(line: string): void {
    this.child.stdin.write(`${line}\n`)
  }

  /** Stops the program (SIGTERM, then SIGKILL after graceMs) and waits for it to exit. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise<void>((done) => this.child.once('exit', () => done()))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
}
