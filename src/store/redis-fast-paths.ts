import type { Redis } from 'ioredis';
import type { Logger } from '../log';
import type { ExpiringLockBackend } from './shared-lock';

/** Compare-and-delete: only the holder's token frees the lock (an expired holder must not free its successor). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Redis keys are spelled once: `<prefix>claim:<key>`, `<prefix>lock:<key>`, `<prefix>sticky:<key>`. */
export class RedisKeys {
  constructor(readonly prefix: string) {}
  claim = (key: string): string => `${this.prefix}claim:${key}`;
  lock = (key: string): string => `${this.prefix}lock:${key}`;
  sticky = (key: string): string => `${this.prefix}sticky:${key}`;
  /** SCAN pattern of every cached sticky choice (glob characters in the prefix escaped). */
  get stickyPattern(): string {
    return `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}sticky:*`;
  }
}

/** Set-if-absent with expiry: `SET key 1 NX PX ttl`; true when this caller set it. */
export async function redisClaim(redis: Redis, key: string, ttlMs: number): Promise<boolean> {
  return (await redis.set(key, '1', 'PX', Math.ceil(ttlMs), 'NX')) === 'OK';
}

/**
 * Locks as Redis keys with an expiry; when Redis does not answer, the `fallback` (PostgreSQL rows)
 * takes over so that conversations keep being answered, one at a time per replica group that
 * reaches the same fallback.
 */
export function redisLockBackend(redis: Redis, keys: RedisKeys, fallback: ExpiringLockBackend, log: Logger): ExpiringLockBackend {
  const viaFallback = new Set<string>();
  return {
    async tryAcquire(key, token, ttlMs) {
      try {
        return (await redis.set(keys.lock(key), token, 'PX', Math.ceil(ttlMs), 'NX')) === 'OK';
      } catch (err) {
        log.warn({ err, lock: key }, 'Redis did not answer a lock request; locking in PostgreSQL instead');
        const taken = await fallback.tryAcquire(key, token, ttlMs);
        if (taken) viaFallback.add(token);
        return taken;
      }
    },
    async release(key, token) {
      if (viaFallback.delete(token)) return fallback.release(key, token);
      await redis.eval(RELEASE, 1, keys.lock(key), token);
    },
  };
}
