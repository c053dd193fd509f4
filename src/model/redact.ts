// Secrets never appear in output, errors or logs: every secret the config resolver reads is registered here,
// and every line mailroom prints passes through redact().
const secrets = new Set<string>()
const MASK = '***'

/** Registers a secret value so that redact() masks it wherever it appears. */
export function registerSecret(value: string | undefined): void {
  // Very short values would mask ordinary text; URL passwords are masked by pattern anyway.
  if (!value || value.length < 3) return
  secrets.add(value)
  secrets.add(encodeURIComponent(value))
}

/** Masks URL passwords (scheme://user:pass@host) and every registered secret. */
export function redact(text: string): string {
  // The checks first: most text holds neither, and this runs on every journal and output line.
  let out = text.includes('://') ? text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]*)@/gi, `$1:${MASK}@`) : text
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK)
  return out
}

/** Deep-redacts every string inside a JSON-like value. */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T
  if (Array.isArray(value)) return value.map((v) => redactValue(v)) as T
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v)])) as T
  }
  return value
}
