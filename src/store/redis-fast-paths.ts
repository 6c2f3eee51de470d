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
  chain = (key: string): string => `${this.prefix}chain:${key}`;
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
 * Sliding windows as sorted sets of hit times (Redis's own clock, so replicas agree), one per key
 * in order (a limit per key; `member` names this hit): drop the hits that left the window, count,
 * and add this one only when under the limit; stop at the first key refused. One script, so
 * concurrent hits from every replica are counted exactly. Answers {index of the refused key (1-based),
 * ms until its oldest hit leaves}, or {0, 0} when every key allowed the hit.
 */
const HITS = `
local function hits(keys, window, member, limits)
  local now = redis.call('TIME')
  local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  for i, key in ipairs(keys) do
    local limit = tonumber(limits[i])
    if limit > 0 then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', t - window)
      if redis.call('ZCARD', key) >= limit then
        local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
        return {i, tonumber(oldest[2]) + window - t}
      end
      redis.call('ZADD', key, t, member)
      redis.call('PEXPIRE', key, window)
    end
  end
  return {0, 0}
end`;

/**
 * SET NX PX of each key in order, stopping at the first already set by another token: 1 when all
 * were set, or held with this token (empty: no token, every claim is new), else 0.
 */
const CLAIM = `
local function claimAll(keys, ttl, token)
  local value = token ~= '' and token or '1'
  for _, key in ipairs(keys) do
    if not redis.call('SET', key, value, 'PX', ttl, 'NX') then
      if token == '' or redis.call('GET', key) ~= token then return 0 end
    end
  end
  return 1
end`;

/** KEYS: the keys; ARGV: window, member, then a limit per key. */
const SLIDING_WINDOWS = `${HITS}
return hits(KEYS, tonumber(ARGV[1]), ARGV[2], {unpack(ARGV, 3)})`;

/** KEYS: the keys; ARGV: ttl, token. */
const CLAIM_ALL = `${CLAIM}
return claimAll(KEYS, ARGV[1], ARGV[2])`;

/**
 * A web replica's gates in one round trip: the claims, then (only when every one was claimed
 * here) the rate hits, then (only when every hit was allowed) the cached value of a key.
 * KEYS: claim keys, rate keys, then the cached key if any; ARGV: claim count, rate count, ttl,
 * token, window, member, a limit per rate key. Answers {0} (a duplicate), {1, refused, wait} as
 * the hits above, or {1, 0, 0, value} (false when nothing is cached).
 */
const ADMIT = `${CLAIM}
${HITS}
local nClaim, nRate = tonumber(ARGV[1]), tonumber(ARGV[2])
if claimAll({unpack(KEYS, 1, nClaim)}, ARGV[3], ARGV[4]) == 0 then return {0} end
local refused = {0, 0}
if nRate > 0 then refused = hits({unpack(KEYS, nClaim + 1, nClaim + nRate)}, tonumber(ARGV[5]), ARGV[6], {unpack(ARGV, 7, 6 + nRate)}) end
local cached = KEYS[nClaim + nRate + 1]
if refused[1] ~= 0 or not cached then return {1, refused[1], refused[2]} end
return {1, 0, 0, redis.call('GET', cached)}`;

/**
 * A conversation's latest link, `<at>|<value>` (ARGV: value, now, max age, ttl): set it unless it
 * is `value` already, and answer the value before it when younger than the max age.
 */
const CHAIN = `
local before = redis.call('GET', KEYS[1])
local job, at
if before then
  local sep = string.find(before, '|', 1, true)
  at = tonumber(string.sub(before, 1, sep - 1))
  job = string.sub(before, sep + 1)
end
if job == ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[2] .. '|' .. ARGV[1], 'PX', ARGV[4])
if job and tonumber(ARGV[2]) - at < tonumber(ARGV[3]) then return job end
return false`;

type Script = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;
interface Scripted {
  understudyAdmit: Script;
  understudyClaimAll: Script;
  understudyHits: Script;
  understudyChain: Script;
}

/**
 * The scripts above as commands of `redis`: ioredis sends a script's text once per connection
 * (EVAL), then only its SHA (EVALSHA), so the ack path does not ship the Lua with every event.
 */
export class RedisScripts {
  private readonly redis: Scripted;

  constructor(redis: Redis) {
    redis.defineCommand('understudyAdmit', { lua: ADMIT });
    redis.defineCommand('understudyClaimAll', { lua: CLAIM_ALL });
    redis.defineCommand('understudyHits', { lua: SLIDING_WINDOWS });
    redis.defineCommand('understudyChain', { lua: CHAIN });
    this.redis = redis as unknown as Scripted;
  }

  async claimAll(keys: string[], ttlMs: number, token = ''): Promise<boolean> {
    return (await this.redis.understudyClaimAll(keys.length, ...keys, Math.ceil(ttlMs), token)) === 1;
  }

  /** The decisions for `entries` in order, up to the first refusal (RedisKeys.rate applied by the caller). */
  async hits(entries: { key: string; limit: number }[], windowMs: number): Promise<RateDecision[]> {
    const [refused, wait] = (await this.redis.understudyHits(entries.length, ...entries.map((e) => e.key), Math.ceil(windowMs), randomUUID(), ...entries.map((e) => e.limit))) as [number, number];
    return decisions(entries.length, refused, wait);
  }

  /**
   * claimAll, then hits (when given, and only once every key was claimed), then the cached value
   * of `cached` (when given, and only once every hit was allowed), in one script. `rate` is
   * undefined when no hit was counted, `cached` when the key was not read, null when it holds nothing.
   */
  async admit(claim: { keys: string[]; ttlMs: number; token?: string }, hits?: { entries: { key: string; limit: number }[]; windowMs: number }, cached?: string): Promise<{ claimed: boolean; rate?: RateDecision[]; cached?: string | null }> {
    const rate = hits?.entries ?? [];
    const keys = [...claim.keys, ...rate.map((e) => e.key), ...(cached === undefined ? [] : [cached])];
    const reply = (await this.redis.understudyAdmit(keys.length, ...keys, claim.keys.length, rate.length, Math.ceil(claim.ttlMs), claim.token ?? '', Math.ceil(hits?.windowMs ?? 0), rate.length > 0 ? randomUUID() : '', ...rate.map((e) => e.limit))) as [number, number?, number?, (string | null)?];
    if (reply[0] !== 1) return { claimed: false };
    const [, refused = 0, wait = 0, value = null] = reply;
    return {
      claimed: true,
      ...(hits ? { rate: decisions(rate.length, refused, wait) } : {}),
      ...(cached !== undefined && refused === 0 ? { cached: value } : {}),
    };
  }

  async chain(key: string, value: string, now: number, maxAgeMs: number, ttlMs: number): Promise<string | undefined> {
    return ((await this.redis.understudyChain(1, key, value, now, Math.ceil(maxAgeMs), Math.ceil(ttlMs))) as string | null) ?? undefined;
  }
}

/** The decisions of `count` hits from a sliding-window reply: allowed up to the refused one (1-based; 0: none), which comes last. */
function decisions(count: number, refused: number, wait: number): RateDecision[] {
  const allowed = Array.from({ length: refused === 0 ? count : refused - 1 }, () => ({ allowed: true, retryAfterMs: 0 }));
  return refused === 0 ? allowed : [...allowed, { allowed: false, retryAfterMs: Math.max(1, wait) }];
}
