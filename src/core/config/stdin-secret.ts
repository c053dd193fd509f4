// --password-stdin: the first line of standard input is the password. Read one byte at a time, synchronously, so
// the rest of stdin stays unread for the command (`{ echo "$PW"; cat msgs.ndjson; } | mailroom publish ...`).
import {readSync} from 'node:fs'

import {MailroomError} from '../../model/errors.js'

const MAX_PASSWORD_BYTES = 4096

export function readPasswordFromStdin(): string {
  if (process.stdin.isTTY) {
    throw new MailroomError('USAGE', '--password-stdin reads the password from a pipe, not from a terminal', {
      suggestions: ['e.g. printf "%s\\n" "$PASSWORD" | mailroom ping --password-stdin'],
    })
  }
  const bytes: number[] = []
  const one = Buffer.alloc(1)
  while (bytes.length < MAX_PASSWORD_BYTES) {
    const read = readByte(one)
    if (read === 0 || one[0] === 0x0a) break
    bytes.push(one[0]!)
  }
  const password = Buffer.from(bytes).toString('utf8').replace(/\r$/, '')
  if (password === '')
    throw new MailroomError('USAGE', '--password-stdin: stdin held no password', {
      suggestions: ['Pipe the password in as the first line'],
    })
  return password
}

/** A pipe may be non-blocking: wait briefly and retry rather than fail on EAGAIN. */
function readByte(buffer: Buffer): number {
  for (;;) {
    try {
      return readSync(0, buffer, 0, 1, null)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EOF') return 0
      if (code !== 'EAGAIN')
        throw new MailroomError('USAGE', `--password-stdin: cannot read stdin (${code ?? 'error'})`)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
    }
  }
}
