import type { RateDecision } from './types';

/**
 * Sliding-window counters in this process, for stores that serve one process (SQLite) and as the
 * fallback of the Redis ones. Keys whose hits have all left their window are forgotten now and
 * then, so the map does not grow with users.
 */
export class LocalRateLimits {
  private readonly hits = new Map<string, { windowMs: number; at: number[] }>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  hit(key: string, limit: number, windowMs: number): RateDecision {
    if (limit <= 0) return { allowed: true, retryAfterMs: 0 };
    const t = this.now();
    this.sweep(t);
    const entry = this.hits.get(key) ?? { windowMs, at: [] };
    entry.windowMs = windowMs;
    entry.at = entry.at.filter((x) => t - x < windowMs);
    this.hits.set(key, entry);
    if (entry.at.length >= limit) return { allowed: false, retryAfterMs: Math.max(1, windowMs - (t - entry.at[0])) };
    entry.at.push(t);
    return { allowed: true, retryAfterMs: 0 };
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < 60_000) return;
    this.lastSweep = t;
    for (const [key, e] of this.hits) if (e.at.length === 0 || t - e.at[e.at.length - 1] >= e.windowMs) this.hits.delete(key);
  }
}
