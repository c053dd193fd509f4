// Helpers for integration tests against the local brokers started by scripts/brokers.mjs.
import type {ConnectionSettings} from '../../src/model/settings.js'

/** A queue/topic/stream name no other test (or earlier run) uses: prefix + time + random suffix. */
export function uniqueName(prefix: string): string {
  const random = Math.random().toString(36).slice(2, 8)
  return `${prefix}-${Date.now().toString(36)}-${random}`
}

/** Connection settings for the brokers on this machine, as the config resolver would produce them. */
export function localSettings(): ConnectionSettings {
  return {
    rabbitmq: {url: 'amqp://guest:guest@127.0.0.1:5672', managementUrl: 'http://127.0.0.1:15672'},
    kafka: {brokers: ['127.0.0.1:9092']},
    nats: {url: 'nats://127.0.0.1:4222'},
    connectTimeoutMs: 5000,
  }
}

export interface WaitForOptions {
  timeoutMs?: number
  intervalMs?: number
}

/**
 * Polls fn until it returns a truthy value and returns that value; throws after timeoutMs with the last value
 * seen (or the last error fn threw), so a failing test says what it was waiting on.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  {timeoutMs = 20_000, intervalMs = 100}: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: {value?: T; error?: unknown} = {}
  for (;;) {
    try {
      const value = await fn()
      if (value) return value as NonNullable<T>
      last = {value}
    } catch (error) {
      last = {error}
    }
    if (Date.now() >= deadline) throw new Error(`waitFor timed out after ${timeoutMs} ms; last ${describe(last)}`)
    await new Promise((done) => setTimeout(done, Math.min(intervalMs, Math.max(0, deadline - Date.now()))))
  }
}

function describe(last: {value?: unknown; error?: unknown}): string {
  if ('error' in last && last.error !== undefined) {
    return `error: ${last.error instanceof Error ? last.error.message : String(last.error)}`
  }
  try {
    return `value: ${JSON.stringify(last.value)}`
  } catch {
    return `value: ${String(last.value)}`
  }
}
