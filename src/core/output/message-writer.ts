// Writes a stream of messages to stdout in one of the streaming formats.
import {bodyToBytes} from '../../model/envelope/body.js'
import {encodeEnvelopeLine} from '../../model/envelope/ndjson.js'
import type {Envelope} from '../../model/envelope/types.js'
import {type BodyFormat, escapeControl, renderMessage} from './message.js'

export type StreamFormat = 'pretty' | 'ndjson' | 'json' | 'raw'
export const STREAM_FORMATS: StreamFormat[] = ['pretty', 'ndjson', 'json', 'raw']

export interface MessageWriter {
  /** A promise only when the output is full and the caller should wait for it (nothing to await per message). */
  write(e: Envelope): Promise<void> | undefined
  /** Resolves once everything written so far has been handed to the output stream. */
  flush(): Promise<void>
  end(): Promise<void>
}

/** Output is written in chunks of about this size: one write (a syscall when stdout is a file) per chunk. */
const CHUNK_BYTES = 64 * 1024
/** Output the stream may hold unwritten before the writer waits for it to drain. */
const MAX_BACKLOG_BYTES = 4 * CHUNK_BYTES

/** Bytes the stream holds unwritten; streams that do not say are treated as full. */
function backlog(out: NodeJS.WritableStream): number {
  return (out as NodeJS.WritableStream & {writableLength?: number}).writableLength ?? Infinity
}

export function createMessageWriter(
  format: StreamFormat,
  o: {bodyFormat?: BodyFormat; out?: NodeJS.WritableStream & {isTTY?: boolean}} = {},
): MessageWriter {
  const out = o.out ?? process.stdout
  const toTerminal = out.isTTY === true
  const batch = new OutputBatch(out)
  let first = true
  const render = (e: Envelope): string | Buffer => {
    switch (format) {
      case 'ndjson':
        return `${encodeEnvelopeLine(e)}\n`
      case 'json': {
        const prefix = first ? '[\n' : ',\n'
        first = false
        return prefix + encodeEnvelopeLine(e)
      }
      case 'raw': {
        const bytes = bodyToBytes(e.body)
        // Raw bytes go to pipes and files as they are; a terminal gets escaped text instead.
        return toTerminal ? `${escapeControl(bytes.toString('utf8'))}\n` : Buffer.concat([bytes, Buffer.from('\n')])
      }
      default:
        return `${renderMessage(e, {bodyFormat: o.bodyFormat})}\n`
    }
  }
  return {
    write: (e) => batch.add(render(e)),
    flush: () => batch.flush(),
    async end() {
      if (format === 'json') await batch.add(first ? '[]\n' : '\n]\n')
      await batch.flush()
    },
  }
}

/**
 * Collects output and writes it in chunks: when a chunk is full, or once the event loop turns (setImmediate), so a
 * burst of messages costs one write while a live tail still shows each message at once. Waits for 'drain' only
 * when the stream's buffer is full; its listeners go away together, so a long tail to a slow pipe piles up none.
 */
class OutputBatch {
  private parts: (string | Buffer)[] = []
  private bytes = 0
  private scheduled: NodeJS.Immediate | undefined
  private draining: Promise<void> | undefined

  constructor(private readonly out: NodeJS.WritableStream) {}

  add(chunk: string | Buffer): Promise<void> | undefined {
    if (this.draining) return this.draining.then(() => this.add(chunk))
    this.parts.push(chunk)
    this.bytes += chunk.length
    if (this.bytes >= CHUNK_BYTES) return this.flush()
    this.scheduled ??= setImmediate(() => void this.flush().catch(() => {}))
    return undefined
  }

  async flush(): Promise<void> {
    if (this.scheduled) clearImmediate(this.scheduled)
    this.scheduled = undefined
    if (this.parts.length > 0) {
      const parts = this.parts
      this.parts = []
      this.bytes = 0
      const chunk = parts.every((p) => typeof p === 'string')
        ? parts.join('')
        : Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)))
      // A full buffer (write() false) is waited for only once it holds a few chunks: waiting after every chunk larger
      // than the stream's high-water mark would leave the output idle while the next chunk is made.
      if (!this.out.write(chunk) && backlog(this.out) > MAX_BACKLOG_BYTES) this.draining ??= this.drained()
    }
    await this.draining
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = () => {
        this.out.off('drain', onDrain)
        this.out.off('error', onError)
        this.draining = undefined
      }
      const onDrain = () => {
        settle()
        resolve()
      }
      const onError = (error: Error) => {
        settle()
        reject(error)
      }
      this.out.once('drain', onDrain).once('error', onError)
    })
  }
}
