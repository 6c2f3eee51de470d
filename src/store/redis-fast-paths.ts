import type { Redis } from 'ioredis';
import type { Logger } from '../log';
import { randomUUID } from 'node:crypto';
import type { ExpiringLockBackend } from './shared-lock';
import type { RateDecision } from './types';

/** Compare-and-delete: only the holder's token frees the lock (an expired holder must not free its successor). */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Redis keys are spelled once: `<prefix>claim:<key>`, `<prefix>lock:<key>`, `<prefix>sticky:<key>`. */
export class RedisKeys {
  constructor(readonly prefix: string) {}
  claim = (key: string): string => `${this.prefix}claim:${key}`;
  lock = (key: string): string => `${this.prefix}lock:${key}`;
  sticky = (key: string): string => `${this.prefix}sticky:${key}`;
  rate = (key: string): string => `${this.prefix}rate:${key}`;
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

/**
 * A sliding window as a sorted set of hit times (Redis's own clock, so replicas agree): drop the
 * hits that left the window, count, and add this one only when under the limit. One script, so
 * concurrent hits from every replica are counted exactly.
 */
const SLIDING_WINDOW = `
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], t, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - t}`;

export async function redisRateHit(redis: Redis, key: string, limit: number, windowMs: number): Promise<RateDecision> {
  const [allowed, wait] = (await redis.eval(SLIDING_WINDOW, 1, key, limit, Math.ceil(windowMs), randomUUID())) as [number, number];
  return { allowed: allowed === 1, retryAfterMs: allowed === 1 ? 0 : Math.max(1, wait) };
}
