/** Sliding-window counters per key: per user and per workspace limits on questions. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private lastSweep = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count a hit for `key`; false when the key is over its limit (the hit is not counted). */
  take(key: string): boolean {
    if (this.limit <= 0) return true;
    const t = this.now();
    this.sweep(t);
    const list = (this.hits.get(key) ?? []).filter((x) => t - x < this.windowMs);
    if (list.length >= this.limit) {
      this.hits.set(key, list);
      return false;
    }
    list.push(t);
    this.hits.set(key, list);
    return true;
  }

  /** Forget keys whose hits have all left the window, at most once per window, so the map stays small. */
  private sweep(t: number): void {
    if (t - this.lastSweep < this.windowMs) return;
    this.lastSweep = t;
    for (const [key, list] of this.hits) if (list.length === 0 || t - list[list.length - 1] >= this.windowMs) this.hits.delete(key);
  }

  /** Keys currently remembered (for tests and metrics). */
  get size(): number {
    return this.hits.size;
  }

  /** Milliseconds until `key` may try again. */
  retryAfter(key: string): number {
    const list = this.hits.get(key) ?? [];
    return list.length === 0 ? 0 : Math.max(0, this.windowMs - (this.now() - list[0]));
  }
}
