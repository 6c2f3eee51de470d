import { UnderstudyError } from '../errors';
import type { LockOptions } from './types';

/** Claims and locks expire after a positive number of milliseconds; anything else is a caller's bug. */
export function checkTtl(what: string, key: string, ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new UnderstudyError('INTERNAL', `${what}(${JSON.stringify(key)}): ttlMs must be a positive number of milliseconds, got ${String(ttlMs)}`);
}

/**
 * Named locks inside one process, for stores that serve one process (the embedded SQLite one).
 * Waiters queue in arrival order. A holder keeps the lock until its `fn` settles or `ttlMs` has
 * passed, whichever comes first, the same contract a Redis lock with an expiry gives across
 * replicas: an expired holder may still be running, but it no longer blocks the next one.
 */
export class LocalLocks {
  /** Per key, the promise the next waiter waits for: it settles when the newest holder lets go. */
  private readonly tails = new Map<string, Promise<void>>();

  async withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
    checkTtl('withLock', key, options.ttlMs);
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => held);
    this.tails.set(key, tail);
    await before;
    const expiry = setTimeout(release, options.ttlMs);
    // Never keeps the process alive on its own.
    expiry.unref();
    try {
      return await fn();
    } finally {
      clearTimeout(expiry);
      release();
      // Forget the key once nobody queued behind this holder (the map does not grow with conversations).
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
