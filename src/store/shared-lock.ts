import { randomUUID } from 'node:crypto';
import type { Logger } from '../log';
import { LocalLocks } from './local-locks';
import type { LockOptions } from './types';

/** A lock that expires by itself, held in a store every replica sees (a PostgreSQL row, a Redis key). */
export interface ExpiringLockBackend {
  /** Take `key` for `token` unless someone else holds it and has not expired; true when taken. */
  tryAcquire(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Let go of `key` if `token` still holds it (an expired holder must not free its successor). */
  release(key: string, token: string): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `withLock` across replicas: waiters in this process queue in arrival order (LocalLocks), and the
 * one at the head also takes the shared lock, polling with a growing pause while another replica
 * holds it. Both expire after `ttlMs`, so a crashed holder blocks nobody for long.
 */
export class SharedLocks {
  private readonly local = new LocalLocks();

  constructor(
    private readonly backend: ExpiringLockBackend,
    private readonly log: Logger,
  ) {}

  withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
    return this.local.withLock(
      key,
      async () => {
        const token = randomUUID();
        for (let pause = 5; !(await this.backend.tryAcquire(key, token, options.ttlMs)); pause = Math.min(pause * 2, 100)) await sleep(pause);
        try {
          return await fn();
        } finally {
          // Not fatal: the lock expires by itself after ttlMs.
          await this.backend.release(key, token).catch((err: unknown) => this.log.warn({ err, lock: key }, 'could not release a shared lock; it expires by itself'));
        }
      },
      options,
    );
  }
}
