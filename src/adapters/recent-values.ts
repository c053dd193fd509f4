// Values that never change once read (a stored record's timestamp at an offset or sequence), remembered up to a
// bound so that a refresh asks the broker only for what it has not read before.

export class RecentValues<V> {
  private readonly values = new Map<string, V>()

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.values.get(key)
  }

  /** The oldest goes once full: the keys asked for lately are those of consumers that have not moved. */
  set(key: string, value: V): void {
    this.values.delete(key)
    this.values.set(key, value)
    for (const oldest of this.values.keys()) {
      if (this.values.size <= this.capacity) break
      this.values.delete(oldest)
    }
  }

  clear(): void {
    this.values.clear()
  }
}
