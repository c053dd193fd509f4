import {accessSync, constants, createReadStream, type ReadStream} from 'node:fs'
import {mkdir, stat} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'

import {MailroomError} from '../model/errors.js'

/** Checks up front that a file can be read, so a typo is a usage error rather than a failure mid-run. */
export function openInputFile(path: string): ReadStream {
  try {
    accessSync(path, constants.R_OK)
  } catch (error) {
    throw new MailroomError('USAGE', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`, {
      suggestions: ['Check the path and its permissions'],
    })
  }
  return createReadStream(path)
}

export async function readInputFile(path: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of openInputFile(path)) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** The lines of a file holding something (a progress line's total for an NDJSON input); undefined if unreadable. */
export async function countNonEmptyLines(path: string): Promise<number | undefined> {
  let lines = 0
  let filled = false
  try {
    for await (const chunk of createReadStream(path)) {
      for (const byte of chunk as Buffer) {
        if (byte === 10) {
          if (filled) lines++
          filled = false
        } else if (byte !== 13 && byte !== 32) filled = true
      }
    }
  } catch {
    return undefined
  }
  return filled ? lines + 1 : lines
}

/**
 * `mkdir -p` that fails instead of spinning. Node's `mkdir(dir, {recursive: true})` loops forever, burning a core,
 * where a parent exists but cannot hold the child (under /proc, a dangling symlink): the child's ENOENT sends it
 * back to the parent, whose EEXIST sends it forward again. Here each missing directory is made once, top down, and
 * the first error is final.
 */
export async function makeDirectory(dir: string, mode = 0o700): Promise<void> {
  const missing: string[] = []
  for (let current = resolve(dir); !(await isDirectory(current)); current = dirname(current)) {
    missing.unshift(current)
    if (dirname(current) === current) break
  }
  for (const path of missing) {
    try {
      await mkdir(path, {mode})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (!(await isDirectory(path)))
        throw Object.assign(new Error(`${path} exists and is not a directory`), {code: 'ENOTDIR', path})
    }
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}
