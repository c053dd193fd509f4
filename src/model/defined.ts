/**
 * The fields that have a value (rows and JSON output carry no undefined keys), in their order. A plain loop: the
 * dashboard and `lag --watch` call it for every row of every snapshot and the RabbitMQ listing for every queue, and
 * entries/fromEntries made each call build arrays and a dictionary-mode object (at 1,000 queues, making rows took
 * half a RabbitMQ snapshot's client CPU).
 */
export function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {}
  for (const key in o) {
    const value = o[key]
    if (value !== undefined) out[key] = value
  }
  return out as Partial<T>
}
