import {accessSync, constants, createReadStream, type ReadStream} from 'node:fs'

import {MailroomError} from '../adapters/types.js'

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
