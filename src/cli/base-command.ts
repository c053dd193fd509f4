// The base of every mailroom command: one JSON result contract ({status, result, warnings} or
// {status, error: {code, message, suggestions}}), one table of exit codes, errors as one line with a suggestion.
import {Command, Errors, Flags} from '@oclif/core'

import type {BrokerAdapter} from '../adapters/types.js'
import type {BrokerKind} from '../model/broker.js'
import {MailroomError, asMailroomError, isMailroomError} from '../model/errors.js'
import {type ConnectionOverrides, type ResolvedContext, resolveContext} from '../core/config/resolve.js'
import {EXIT, type ExitCode, exitCodeFor} from '../model/exit-codes.js'
import {redact, redactValue} from '../model/redact.js'
import {type ProgressReporter, progressReporter} from '../core/output/progress.js'
import {errorEnvelope, writeError} from './error-output.js'
import {nearest} from '../core/suggest.js'

export abstract class MailroomCommand extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    debug: Flags.boolean({description: 'Show stack traces of errors (also MAILROOM_DEBUG=1)', helpGroup: 'GLOBAL'}),
  }

  /** The exit code of a run that returns a result (e.g. 3 when one broker of several was down). */
  protected exitStatus: ExitCode = EXIT.OK
  protected warnings: string[] = []
  private readonly adapters: BrokerAdapter[] = []
  private interrupt?: AbortController
  private liveProgress?: ProgressReporter

  /**
   * A signal aborted by Ctrl-C (SIGINT) or SIGTERM: long-running work stops cleanly, cleans up on the broker,
   * and the command exits 130. A second Ctrl-C exits at once.
   */
  protected interruptSignal(): AbortSignal {
    if (!this.interrupt) {
      const controller = new AbortController()
      const onSignal = () => {
        if (controller.signal.aborted) process.exit(EXIT.INTERRUPTED)
        controller.abort()
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      this.interrupt = controller
    }
    return this.interrupt.signal
  }

  protected get interrupted(): boolean {
    return this.interrupt?.signal.aborted === true
  }

  /** A warning for humans on stderr, and in the JSON envelope's warnings. */
  protected warnUser(message: string): void {
    const text = redact(message)
    this.warnings.push(text)
    this.liveProgress?.clear()
    if (!this.jsonEnabled()) process.stderr.write(`warning: ${text}\n`)
  }

  /**
   * A change was made but its audit line was not written: a warning, and exit 2 (the audit path is configuration)
   * unless the run already ends non-zero for another reason (partial, interrupted).
   */
  protected readonly auditFailed = (warning: string): void => {
    this.warnUser(warning)
    if (this.exitStatus === EXIT.OK) this.exitStatus = EXIT.USAGE
  }

  /** Progress and notes for humans: stderr, never in JSON mode. */
  protected info(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${redact(message)}\n`)
  }

  /**
   * The live progress line of a long run on stderr: only on a terminal (in JSON mode too, stdout holds the result).
   * End it before the summary; warnings erase it and the next update draws it again. `printing`: the run writes
   * its results to stdout as it goes; then no line where stdout is that terminal too, it would tear them apart.
   */
  protected progressLine(label: string, total?: number, o: {printing?: boolean} = {}): ProgressReporter {
    this.liveProgress?.end()
    this.liveProgress = progressReporter({label, total, enabled: !(o.printing && process.stdout.isTTY)})
    return this.liveProgress
  }

  /** A result line for humans on stdout (suppressed in JSON mode, where the result object is printed instead). */
  protected out(text: string): void {
    if (!this.jsonEnabled()) process.stdout.write(`${redact(text)}\n`)
  }

  /** Stops with a usage error (exit 2). */
  protected usage(message: string, suggestion = 'See --help for usage and examples'): never {
    throw new MailroomError('USAGE', message, {suggestions: [suggestion]})
  }

  protected async resolveContext(overrides: ConnectionOverrides): Promise<ResolvedContext> {
    const context = await resolveContext(overrides)
    for (const warning of context.warnings) this.warnUser(warning)
    return context
  }

  /** Creates and connects an adapter that is closed automatically when the command ends. */
  protected async connect(kind: BrokerKind, context: ResolvedContext): Promise<BrokerAdapter> {
    const adapter = await this.createAdapter(kind, context)
    await adapter.connect()
    return adapter
  }

  /** Creates an adapter (not connected) that is closed automatically when the command ends. */
  protected async createAdapter(kind: BrokerKind, context: ResolvedContext): Promise<BrokerAdapter> {
    const {createAdapter} = await import('../adapters/registry.js')
    const adapter = await createAdapter(kind, context.settings)
    this.adapters.push(adapter)
    return adapter
  }

  protected override toSuccessJson(result: unknown): unknown {
    return {status: this.exitStatus, result: redactValue(result), warnings: this.warnings}
  }

  protected override toErrorJson(err: unknown): unknown {
    return errorEnvelope(toMailroomError(err), this.warnings)
  }

  override async catch(err: Error & {exitCode?: number}): Promise<void> {
    this.liveProgress?.end()
    if (err instanceof Errors.ExitError) throw err
    const error = withFlagSuggestion(toMailroomError(err), err, this.flagNames())
    const code = exitCodeFor(error.code)
    if (this.jsonEnabled()) this.logJson(this.toErrorJson(error))
    else writeError(error, {json: false})
    if (this.debugEnabled()) process.stderr.write(`${redact(String(err.stack ?? err))}\n`)
    this.exit(code)
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    this.liveProgress?.end()
    await Promise.allSettled(this.adapters.map((a) => a.close()))
    if (!err && this.interrupted) this.exitStatus = EXIT.INTERRUPTED
    if (!err && this.exitStatus !== EXIT.OK) process.exitCode = this.exitStatus
    await super.finally(err)
  }

  private flagNames(): string[] {
    const names = Object.keys({...this.ctor.baseFlags, ...this.ctor.flags})
    return this.ctor.enableJsonFlag ? [...names, 'json'] : names
  }

  private debugEnabled(): boolean {
    return this.argv.includes('--debug') || process.env.MAILROOM_DEBUG === '1'
  }
}

/** Flag-parsing problems are usage errors; everything else is classified by the core. */
function toMailroomError(err: unknown): MailroomError {
  const e = err as Error & {oclif?: {exit?: number}; parse?: unknown}
  if (!isMailroomError(err) && (e?.parse || e instanceof Errors.CLIError)) {
    return new MailroomError('USAGE', oneLine(e.message), {suggestions: ['See --help for usage and examples']})
  }
  return asMailroomError(err)
}

/**
 * oclif's message on one line, detail kept: "Parsing --rate\n\tExpected an integer greater than or equal to 1 but
 * received: 0\nSee more help with --help" becomes "Parsing --rate: Expected an integer ... received: 0".
 */
function oneLine(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line && !/^See more help with/.test(line))
  return lines.reduce((joined, line) => (joined ? `${joined}${/:$/.test(joined) ? ' ' : ': '}${line}` : line), '')
}

/** `--jsn`: the error names the flag that was probably meant (`did you mean --json?`). */
function withFlagSuggestion(error: MailroomError, err: unknown, flagNames: string[]): MailroomError {
  if (!(err instanceof Errors.CLIError) || !('flags' in err) || !Array.isArray(err.flags)) return error
  const typed = String(err.flags[0] ?? '')
    .replace(/^-+/, '')
    .split('=')[0]
  const meant = nearest(typed, flagNames)
  if (!meant) return error
  return new MailroomError(error.code, `${error.message}; did you mean --${meant}?`, {suggestions: error.suggestions})
}
