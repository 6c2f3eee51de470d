/** Sliding-window counters per key: per user and per workspace limits on questions. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count a hit for `key`; false when the key is over its limit (the hit is not counted). */
  take(key: string): boolean {
    if (this.limit <= 0) return true;
    const t = this.now();
    const list = (this.hits.get(key) ?? []).filter((x) => t - x < this.windowMs);
    if (list.length >= this.limit) {
      this.hits.set(key, list);
      return false;
    }
    list.push(t);
    this.hits.set(key, list);
    return true;
  }

  /** Milliseconds until `key` may try again. */
  retryAfter(key: string): number {
    const list = this.hits.get(key) ?? [];
    return list.length === 0 ? 0 : Math.max(0, this.windowMs - (this.now() - list[0]));
  }
}
