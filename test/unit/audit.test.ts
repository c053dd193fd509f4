// The audit policy and the directory maker on a real filesystem (paths that fail even for root: procfs, a regular
// file as a parent, a dangling symlink, a named pipe with no reader, a full device).
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {MailroomError} from '../../src/model/errors.js'
import {type AuditEntry, assertAuditWritable, auditedChange} from '../../src/core/audit.js'
import {makeDirectory} from '../../src/core/files.js'

const home = mkdtempSync(join(tmpdir(), 'mailroom-audit-unit-'))
const regularFile = join(home, 'file')
writeFileSync(regularFile, 'x')
const envFor = (path: string): NodeJS.ProcessEnv => ({MAILROOM_AUDIT_LOG: path})

/** Settles within `ms` or fails: a hang is the bug these tests guard against. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms)),
  )
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}

const entry = (outcome: AuditEntry['outcome']): AuditEntry => ({command: 'dlq purge', target: 'rabbitmq:q', outcome})

describe('makeDirectory', () => {
  it("fails at once where Node's recursive mkdir spins for ever: under /proc, under a regular file, through a dangling symlink", async () => {
    await expect(within(5000, makeDirectory(`/proc/mailroom-${process.pid}/a/b`))).rejects.toMatchObject({
      code: 'ENOENT',
      path: `/proc/mailroom-${process.pid}`,
    })
    await expect(within(5000, makeDirectory(join(regularFile, 'a', 'b')))).rejects.toMatchObject({code: 'ENOTDIR'})
    const dangling = join(home, 'dangling')
    symlinkSync(join(home, 'nowhere'), dangling)
    await expect(within(5000, makeDirectory(join(dangling, 'a')))).rejects.toMatchObject({code: 'ENOTDIR'})
  })

  it('makes the missing directories, owner-only, and accepts one that exists', async () => {
    const dir = join(home, 'made', 'deeper', 'still')
    await makeDirectory(dir)
    expect(statSync(dir).isDirectory()).toBe(true)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    await makeDirectory(dir)
  })
})

describe('assertAuditWritable (before anything changes)', () => {
  it('creates the directory and the log, owner-only', async () => {
    const path = join(home, 'state', 'mailroom', 'audit.log')
    await assertAuditWritable(envFor(path))
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it('refuses with a usage/config error (exit 2) naming the path and the part that failed', async () => {
    const path = `/proc/mailroom-${process.pid}/audit.log`
    const error = await within(5000, assertAuditWritable(envFor(path))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MailroomError)
    expect(error).toMatchObject({code: 'CONFIG'})
    expect((error as Error).message).toBe(
      `the audit log ${path} is not writable (ENOENT at /proc/mailroom-${process.pid}): nothing was changed`,
    )
  })

  it('a named pipe with no reader is refused at once instead of blocking the process', async () => {
    const fifo = join(home, 'fifo')
    execFileSync('mkfifo', [fifo])
    await expect(within(5000, assertAuditWritable(envFor(fifo)))).rejects.toThrow(
      `the audit log ${fifo} is not writable (ENXIO)`,
    )
  })
})

describe('auditedChange: one policy for every destructive path', () => {
  it('an unwritable log: neither the confirmation nor the change runs', async () => {
    const steps: string[] = []
    const run = auditedChange({
      env: envFor(join(regularFile, 'audit.log')),
      confirm: async () => void steps.push('confirm'),
      change: async () => void steps.push('change'),
      entry: () => entry('ok'),
      onAuditFailure: (w) => steps.push(w),
    })
    await expect(within(5000, run)).rejects.toMatchObject({code: 'CONFIG'})
    expect(steps).toEqual([])
  })

  it('a refused confirmation is not audited; a change that fails is, and its error stands', async () => {
    const path = join(home, 'policy', 'audit.log')
    const refuse = auditedChange({
      env: envFor(path),
      confirm: async () => Promise.reject(new MailroomError('REFUSED', 'no')),
      change: async () => 1,
      entry: () => entry('ok'),
      onAuditFailure: () => {},
    })
    await expect(refuse).rejects.toMatchObject({code: 'REFUSED'})
    expect(readFileSync(path, 'utf8')).toBe('')
    const failing = auditedChange<number>({
      env: envFor(path),
      confirm: async () => {},
      change: async () => Promise.reject(new MailroomError('NOT_FOUND', 'queue gone')),
      entry: (result) => entry(result === undefined ? 'failed' : 'ok'),
      onAuditFailure: () => {},
    })
    await expect(failing).rejects.toMatchObject({code: 'NOT_FOUND'})
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      command: 'dlq purge',
      target: 'rabbitmq:q',
      outcome: 'failed',
    })
  })

  it('a line that fails after the change: the result stands and the caller gets one warning naming the path', async () => {
    const warnings: string[] = []
    const full = await auditedChange({
      env: envFor('/dev/full'),
      confirm: async () => {},
      change: async () => 42,
      entry: () => entry('ok'),
      onAuditFailure: (w) => warnings.push(w),
    })
    expect(full).toBe(42)
    expect(warnings).toEqual([
      'dlq purge rabbitmq:q went ahead, but its audit line could not be written to /dev/full (ENOSPC)',
    ])

    // The log's directory is replaced by a regular file between the check and the write.
    const dir = join(home, 'moved')
    const path = join(dir, 'audit.log')
    warnings.length = 0
    const moved = await auditedChange({
      env: envFor(path),
      confirm: async () => {},
      change: async () => {
        rmSync(dir, {recursive: true})
        writeFileSync(dir, 'now a file')
        return 'changed'
      },
      entry: () => entry('ok'),
      onAuditFailure: (w) => warnings.push(w),
    })
    expect(moved).toBe('changed')
    expect(warnings).toEqual([
      `dlq purge rabbitmq:q went ahead, but its audit line could not be written to ${path} (ENOTDIR)`,
    ])
  })
})
