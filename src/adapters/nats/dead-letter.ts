// JetStream has no DLQ of its own: when a message reaches MaxDeliver (or is terminated) the server only publishes an
// advisory. A stream capturing those advisories for a source stream is the DLQ: each entry names the source stream
// and the sequence of the dead message, which stays in the source until deleted.
import {type JetStreamManager, RetentionPolicy, StorageType, type StreamInfo} from 'nats'
import type {DeadLetterCapture, DeadLetterRoute} from '../types.js'
import {present} from './admin.js'
import {mapNatsError} from './map-error.js'

const ADVISORY_PREFIX = '$JS.EVENT.ADVISORY.CONSUMER.'
const DEAD_LETTER_EVENTS = ['MAX_DELIVERIES', 'MSG_TERMINATED'] as const
const ADVISORY_SUBJECT = /^\$JS\.EVENT\.ADVISORY\.CONSUMER\.(MAX_DELIVERIES|MSG_TERMINATED)\.([^.]+)\.(?:\*|>|[^.]+)$/

export function advisorySubjects(source: string): string[] {
  return DEAD_LETTER_EVENTS.map((event) => `${ADVISORY_PREFIX}${event}.${source}.*`)
}

/** Creates `<source>_DLQ` (or `name`) capturing the source's dead-letter advisories; adds missing subjects to an existing one. */
export async function captureAdvisories(
  jsm: JetStreamManager,
  source: string,
  name = `${source}_DLQ`,
): Promise<DeadLetterCapture> {
  await jsm.streams.info(source) // NOT_FOUND for a source that does not exist
  const wanted = advisorySubjects(source)
  const existing = await streamInfoOrUndefined(jsm, name)
  if (!existing) {
    await jsm.streams.add({name, subjects: wanted, storage: StorageType.File, retention: RetentionPolicy.Limits})
    return {name, created: true, captures: wanted}
  }
  const subjects = existing.config.subjects ?? []
  const missing = wanted.filter((s) => !subjects.includes(s))
  if (missing.length > 0) await jsm.streams.update(name, {...existing.config, subjects: [...subjects, ...missing]})
  return {name, created: false, captures: [...subjects, ...missing]}
}

/** Streams that capture dead-letter advisories, as routes from the source stream they watch. */
export async function advisoryCaptureRoutes(jsm: JetStreamManager): Promise<DeadLetterRoute[]> {
  const routes: DeadLetterRoute[] = []
  for await (const si of present(jsm.streams.list())) {
    const origins = new Set<string>()
    for (const subject of si.config.subjects ?? []) {
      const m = ADVISORY_SUBJECT.exec(subject)
      if (m) origins.add(m[2])
    }
    for (const origin of origins) routes.push({origin, dlq: si.config.name, via: 'advisory-capture'})
  }
  return routes
}

async function streamInfoOrUndefined(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name)
  } catch (e) {
    if (mapNatsError(e, {op: 'admin', stream: name}).code === 'NOT_FOUND') return undefined
    throw e
  }
}
