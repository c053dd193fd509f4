// Kafka's own Java client as the ground truth for Kafka tests (see KafkaProbe.java), compiled once per test process.
import {execFile} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)
const LIBS = join(import.meta.dirname, '..', '..', 'scripts', 'kafka', 'target', 'libs', '*')
let compiled: Promise<string> | undefined

function classes(): Promise<string> {
  compiled ??= (async () => {
    const out = mkdtempSync(join(tmpdir(), 'kafka-probe-'))
    await run('javac', ['-cp', LIBS, '-d', out, join(import.meta.dirname, 'KafkaProbe.java')])
    return out
  })()
  return compiled
}

async function probe<T>(...args: string[]): Promise<T> {
  const cp = `${await classes()}:${LIBS}`
  const {stdout} = await run('java', ['-cp', cp, 'KafkaProbe', ...args], {maxBuffer: 256 * 1024 * 1024, timeout: 120_000})
  return stdout.split('\n').filter((l) => l.startsWith('PROBE ')).map((l) => JSON.parse(l.slice(6)) as T) as T
}

export interface JavaRecord {
  partition: number
  offset: number
  key: string | null
  value: string | null
  headers: Record<string, string | null>
}

/** Every record of a topic, read from the beginning to its current end by a plain Java consumer. */
export function javaRecords(topic: string): Promise<JavaRecord[]> {
  return probe<JavaRecord[]>('records', topic)
}

/** A group's committed offset per partition of a topic, from the Java Admin client. */
export async function javaCommitted(group: string, topic: string): Promise<Record<string, number>> {
  const [committed] = await probe<Record<string, number>[]>('committed', group, topic)
  return committed ?? {}
}

export async function javaTopics(): Promise<string[]> {
  const [names] = await probe<string[][]>('topics')
  return names ?? []
}
