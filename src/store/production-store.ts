import type { Redis } from 'ioredis';
import { silentLogger, type Logger } from '../log';
import { checkTtl } from './local-locks';
import { openPgStateStore, type PgStateStore, type PgStateStoreOptions } from './pg/pg-store';
import { connectRedis } from './redis-connection';
import { LocalRateLimits } from './local-rate-limits';
import { RedisKeys, RedisScripts, redisClaim, redisLockBackend } from './redis-fast-paths';
import { SharedLocks } from './shared-lock';
import type { AckPaths, Admission, Admitted, AuditEntry, AuditInput, AuditVerification, FeedbackRecord, LockOptions, RateDecision, StateStore, StoredFeedback, Turn } from './types';

/** The audit head of the PostgreSQL chain, anchored in the (shared) data dir beside SQLite's own anchor. */
export const PG_ANCHOR_FILE = 'audit-pg.anchor.json';

/** How long a sticky choice stays cached in Redis; PostgreSQL stays the record. */
const STICKY_CACHE_MS = 5 * 60_000;
/** What the cache holds for "no sticky choice", so that misses are cached too. */
const NONE = '';

interface StickyWaiter {
  resolve: (avatar: string | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * The state store of production mode: PostgreSQL holds everything durable, Redis answers the hot
 * paths (dedupe, per-conversation locks, rate-limit counters, the sticky-choice cache) for every
 * replica.
 *
 * Dedupe asks Redis first (`SET NX PX`, the fast refusal of a retry) and then PostgreSQL's unique
 * key, and a claim wins only when both agree: after a Redis restart or flush, PostgreSQL still
 * refuses the second claim, so an event is never answered twice. When Redis does not answer,
 * PostgreSQL alone decides, so no event is lost either. A web replica's ack path uses `ackPaths`
 * instead: one Redis script per step, with the PostgreSQL claim left to whoever replies (gates.ts).
 */
export class ProductionStateStore implements StateStore {
  private readonly keys: RedisKeys;
  private readonly locks: SharedLocks;
  private readonly log: Logger;
  private closing: Promise<void> | undefined;
  /** Used only while Redis does not answer: limits per replica instead of none. */
  private readonly localRates = new LocalRateLimits();
  private readonly scripts: RedisScripts;
  /** Sticky lookups waiting for this tick's PostgreSQL query (stickyFromPg), by key. */
  private stickyBatch: Map<string, StickyWaiter[]> | undefined;
  readonly ackPaths: AckPaths;

  constructor(
    private readonly pg: PgStateStore,
    private readonly redis: Redis,
    options: { prefix?: string; log?: Logger } = {},
  ) {
    this.keys = new RedisKeys(options.prefix ?? 'understudy:');
    this.log = options.log ?? silentLogger;
    this.locks = new SharedLocks(redisLockBackend(redis, this.keys, pg.lockBackend, this.log), this.log);
    this.scripts = new RedisScripts(redis);
    this.ackPaths = {
      claimFresh: (keys, ttlMs, token) => this.claimFresh(keys, ttlMs, token),
      claimDurably: (key, owner, ttlMs) => this.pg.claimAs(key, owner, ttlMs),
      admit: (request) => this.admit(request),
      hits: (entries, windowMs) => this.hits(entries, windowMs),
      chain: (key, value, now, maxAgeMs, ttlMs) => this.scripts.chain(this.keys.chain(key), value, now, maxAgeMs, ttlMs),
    };
    // After the first connection, ioredis reconnects by itself; each failed command is handled where it is made.
    redis.on('error', (err: Error) => this.log.warn({ err }, 'Redis connection error; retrying'));
  }

  async claim(key: string, ttlMs: number, token?: string): Promise<boolean> {
    checkTtl('claim', key, ttlMs);
    let fast: boolean | undefined;
    try {
      // With a token, the value held is the token (CLAIM_ALL), so the same delivery replayed gets its claim back.
      fast = token === undefined ? await redisClaim(this.redis, this.keys.claim(key), ttlMs) : await this.scripts.claimAll([this.keys.claim(key)], ttlMs, token);
    } catch (err) {
      this.log.warn({ err, claim: key }, 'Redis did not answer a dedupe claim; PostgreSQL alone decides');
    }
    if (fast === false) return false;
    try {
      return await this.pg.claim(key, ttlMs, token);
    } catch (err) {
      // Not recorded as the truth: let a retry of this event claim it again.
      if (fast) await this.redis.del(this.keys.claim(key)).catch((delErr: unknown) => this.log.warn({ err: delErr, claim: key }, 'could not undo the Redis claim'));
      throw err;
    }
  }

  /** Redis alone, one round trip; when Redis does not answer, true: the durable claim (claimDurably) decides. */
  private async claimFresh(keys: string[], ttlMs: number, token?: string): Promise<boolean> {
    for (const key of keys) checkTtl('claim', key, ttlMs);
    try {
      return await this.scripts.claimAll(keys.map(this.keys.claim), ttlMs, token);
    } catch (err) {
      this.log.warn({ err, claim: keys[0] }, 'Redis did not answer a dedupe claim; the PostgreSQL claim of whoever replies decides');
      return true;
    }
  }

  /** claimFresh, the rate hits and the sticky cache read in one script; when Redis does not answer, as claimFresh (the gates make their own calls). */
  private async admit({ claim, hits, sticky }: Admission): Promise<Admitted> {
    for (const key of claim.keys) checkTtl('claim', key, claim.ttlMs);
    try {
      const r = await this.scripts.admit(
        { ...claim, keys: claim.keys.map(this.keys.claim) },
        hits && { entries: hits.entries.map((e) => ({ key: this.keys.rate(e.key), limit: e.limit })), windowMs: hits.windowMs },
        sticky === undefined ? undefined : this.keys.sticky(sticky),
      );
      if (!r.claimed) return { claimed: false };
      const cached = r.cached;
      return {
        claimed: true,
        ...(r.rate ? { rate: r.rate } : {}),
        ...(sticky !== undefined && cached !== undefined ? { sticky: () => (cached === null ? this.stickyMissed(sticky) : Promise.resolve(cached === NONE ? undefined : cached)) } : {}),
      };
    } catch (err) {
      this.log.warn({ err, claim: claim.keys[0] }, 'Redis did not answer a dedupe claim; the PostgreSQL claim of whoever replies decides');
      return { claimed: true };
    }
  }

  /** Redis expires its keys itself; the table behind them is pruned. */
  pruneClaims(): Promise<number> {
    return this.pg.pruneClaims();
  }

  appendTurn(conversation: string, avatar: string, turn: Turn): Promise<void> {
    return this.pg.appendTurn(conversation, avatar, turn);
  }

  recentTurns(conversation: string, avatar: string, limit: number): Promise<Turn[]> {
    return this.pg.recentTurns(conversation, avatar, limit);
  }

  hasAvatarSpoken(conversation: string, avatar: string): Promise<boolean> {
    return this.pg.hasAvatarSpoken(conversation, avatar);
  }

  /** Write-through: PostgreSQL first, then the cache (unconditionally, so a concurrent fill cannot keep the old value). */
  async setSticky(key: string, avatar: string | null): Promise<void> {
    await this.pg.setSticky(key, avatar);
    await this.redis.set(this.keys.sticky(key), avatar ?? NONE, 'PX', STICKY_CACHE_MS).catch((err: unknown) => this.dropCached(key, err));
  }

  /** Read-through: a miss fills the cache only if nothing newer arrived meanwhile (NX). */
  async getSticky(key: string): Promise<string | undefined> {
    let cached: string | null = null;
    try {
      cached = await this.redis.get(this.keys.sticky(key));
    } catch (err) {
      this.log.warn({ err }, 'Redis did not answer a cache read; reading PostgreSQL');
    }
    if (cached !== null) return cached === NONE ? undefined : cached;
    return this.stickyMissed(key);
  }

  /**
   * A cache miss: PostgreSQL's choice, and the cache filled. The fill is not waited for (it goes out
   * in one write with the event's next command, its chain link); the connection keeps the order of
   * commands, so a setSticky after it still wins.
   */
  private async stickyMissed(key: string): Promise<string | undefined> {
    const avatar = await this.stickyFromPg(key);
    void this.redis.set(this.keys.sticky(key), avatar ?? NONE, 'PX', STICKY_CACHE_MS, 'NX').catch((err: unknown) => this.log.warn({ err }, 'could not fill the sticky cache'));
    return avatar;
  }

  /**
   * PostgreSQL's sticky choice of `key`. The lookups made in one tick (the events whose Redis
   * replies came in one read) share one query: on a web replica a new conversation's every event
   * misses the cache, and each query was a socket write and a wake-up of the database.
   */
  private stickyFromPg(key: string): Promise<string | undefined> {
    let batch = this.stickyBatch;
    if (!batch) {
      const pending = new Map<string, StickyWaiter[]>();
      batch = this.stickyBatch = pending;
      process.nextTick(() => {
        this.stickyBatch = undefined;
        const keys = [...pending.keys()];
        const found = keys.length === 1 ? this.pg.getSticky(keys[0]).then((a) => new Map(a === undefined ? [] : [[keys[0], a]])) : this.pg.getStickies(keys);
        found.then(
          (avatars) => pending.forEach((waiting, k) => waiting.forEach((w) => w.resolve(avatars.get(k)))),
          (err: unknown) => pending.forEach((waiting) => waiting.forEach((w) => w.reject(err))),
        );
      });
    }
    const waiting = batch.get(key) ?? [];
    batch.set(key, waiting);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  }

  /** A cache entry that could not be updated is removed (best effort; it expires anyway). */
  private async dropCached(key: string, err: unknown): Promise<void> {
    this.log.warn({ err, sticky: key }, 'could not update the sticky cache; dropping the entry');
    await this.redis.del(this.keys.sticky(key)).catch((delErr: unknown) => this.log.warn({ err: delErr, sticky: key }, `the cached sticky choice may be stale for up to ${STICKY_CACHE_MS / 1000} s`));
  }

  addFeedback(record: FeedbackRecord): Promise<number> {
    return this.pg.addFeedback(record);
  }

  listFeedback(avatar: string): Promise<StoredFeedback[]> {
    return this.pg.listFeedback(avatar);
  }

  audit(entry: AuditInput): Promise<AuditEntry> {
    return this.pg.audit(entry);
  }

  auditEntries(filter?: { avatar?: string; action?: string; limit?: number }): Promise<AuditEntry[]> {
    return this.pg.auditEntries(filter);
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.pg.verifyAudit();
  }

  kvGet<T>(namespace: string, key: string): Promise<T | undefined> {
    return this.pg.kvGet<T>(namespace, key);
  }

  kvSet<T>(namespace: string, key: string, value: T): Promise<void> {
    return this.pg.kvSet(namespace, key, value);
  }

  kvDelete(namespace: string, key: string): Promise<void> {
    return this.pg.kvDelete(namespace, key);
  }

  kvList<T>(namespace: string): Promise<{ key: string; value: T }[]> {
    return this.pg.kvList<T>(namespace);
  }

  /** Revoke in PostgreSQL, then drop every cached sticky choice (revokes are rare; the cache refills). */
  async forgetAvatar(avatar: string): Promise<void> {
    await this.pg.forgetAvatar(avatar);
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', this.keys.stickyPattern, 'COUNT', 500);
      if (found.length > 0) await this.redis.unlink(...found);
      cursor = next;
    } while (cursor !== '0');
  }

  /** Shared by every replica on Redis; per replica while Redis does not answer. */
  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    if (limit <= 0) return { allowed: true, retryAfterMs: 0 };
    return (await this.hits([{ key, limit }], windowMs))[0];
  }

  private async hits(entries: { key: string; limit: number }[], windowMs: number): Promise<RateDecision[]> {
    try {
      return await this.scripts.hits(entries.map((e) => ({ key: this.keys.rate(e.key), limit: e.limit })), windowMs);
    } catch (err) {
      this.log.warn({ err, rate: entries[0]?.key }, 'Redis did not answer a rate-limit hit; limiting in this replica');
      const decisions: RateDecision[] = [];
      for (const e of entries) {
        const d = e.limit > 0 ? this.localRates.hit(e.key, e.limit, windowMs) : { allowed: true, retryAfterMs: 0 };
        decisions.push(d);
        if (!d.allowed) break;
      }
      return decisions;
    }
  }

  withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
    return this.locks.withLock(key, fn, options);
  }

  /** PostgreSQL and Redis both answer (the sticky cache would hide a PostgreSQL outage from a read). */
  async ping(): Promise<void> {
    await Promise.all([this.pg.ping(), this.redis.ping()]);
  }

  /** Idempotent: a second call waits for the first. */
  close(): Promise<void> {
    return (this.closing ??= Promise.all([this.pg.close(), this.closeRedis()]).then(() => undefined));
  }

  private async closeRedis(): Promise<void> {
    // Already ended (ioredis waits seconds before letting the process exit when an ended client is disconnected again).
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch((err: unknown) => {
      this.log.debug({ err }, 'Redis quit failed; disconnecting');
      this.redis.disconnect();
    });
  }
}

export interface ProductionStoreOptions extends PgStateStoreOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key (default `understudy:`), so one Redis can serve several deployments. */
  redisPrefix?: string;
}

/** Connect to both (each failure names its variable), migrate, and compose. */
export async function openProductionStateStore(options: ProductionStoreOptions): Promise<ProductionStateStore> {
  // While Redis is unreachable, commands fail at once instead of queueing for a reconnect, so
  // dedupe falls back to PostgreSQL without delaying the ack (Slack wants it within 3 s).
  // Auto-pipelining: the commands of the events in flight that are issued in one tick go out in one
  // write (a burst made one socket write per claim, rate hit, cache read and lock; those syscalls
  // were the largest part of the web replica's CPU).
  const redis = await connectRedis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  try {
    const pg = await openPgStateStore(options.databaseUrl, options);
    return new ProductionStateStore(pg, redis, { prefix: options.redisPrefix, log: options.log });
  } catch (err) {
    redis.disconnect();
    throw err;
  }
}
