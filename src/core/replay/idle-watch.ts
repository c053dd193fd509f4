// Waiting with a time limit on hot paths (a replay's queue reads, a publish lane's pauses).

export const IDLE = Symbol('idle')

/**
 * Waits for results, giving up on one after `ms` without it. Most results are there at once or within
 * milliseconds: one timer, re-armed only when it fires, serves every wait instead of a timer per wait.
 */
export class IdleWatch {
  private waitingSince?: number
  private giveUp?: () => void
  private timer?: NodeJS.Timeout

  constructor(private readonly ms: number) {}

  async within<T>(p: Promise<T>): Promise<T | typeof IDLE> {
    this.waitingSince = performance.now()
    const idle = new Promise<typeof IDLE>((resolve) => (this.giveUp = () => resolve(IDLE)))
    this.timer ??= setTimeout(() => this.check(), this.ms)
    try {
      return await Promise.race([p, idle])
    } finally {
      this.waitingSince = this.giveUp = undefined
    }
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private check(): void {
    this.timer = undefined
    if (this.waitingSince === undefined) return
    const left = this.ms - (performance.now() - this.waitingSince)
    if (left <= 0) this.giveUp?.()
    else this.timer = setTimeout(() => this.check(), left)
  }
}
