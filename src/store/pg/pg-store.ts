import type { Pool, PoolClient } from 'pg';
import { UnderstudyError } from '../../errors';
import { silentLogger, type Logger } from '../../log';
import { loadAuditKey, nextEntry, publishHead, readAnchor, toAuditEntry, toVerification, verifyChainPaged, type AuditKey, type AuditRow } from '../audit-chain';
import { auditQuery, toFeedback, toTurn, type FeedbackRow, type TurnRow } from '../rows';
import { checkTtl } from '../local-locks';
import { SharedLocks, type ExpiringLockBackend } from '../shared-lock';
import type { AuditEntry, AuditInput, AuditVerification, FeedbackRecord, LockOptions, RateDecision, StateStore, StoredFeedback, Turn } from '../types';
import { LocalRateLimits } from '../local-rate-limits';
import { connectPg } from './connect';
import { migrate } from './migrations';

export interface PgStateStoreOptions {
  /** AUDIT_HMAC_KEY; else `keyFile` (created on first use), else a throwaway key (tests). */
  auditKey?: string;
  /** The audit key file every replica shares (`<dataDir>/audit.key`). */
  keyFile?: string;
  /** Where the audit head is anchored outside the database; none in tests. */
  anchorFile?: string;
  log?: Logger;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

/** Milliseconds as an interval from the database clock, so that every replica expires keys by one clock. */
const IN_MS = `clock_timestamp() + ($2::float8 * interval '1 millisecond')`;

/** Locks as rows that expire by the database clock. */
function pgLockBackend(pool: Pool): ExpiringLockBackend {
  return {
    tryAcquire: async (key, token, ttlMs) =>
      (await pool.query(
        `INSERT INTO locks(key, token, expires_at) VALUES ($1, $3, ${IN_MS})
         ON CONFLICT (key) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at WHERE locks.expires_at <= clock_timestamp()`,
        [key, ttlMs, token],
      )).rowCount === 1,
    release: async (key, token) => {
      await pool.query('DELETE FROM locks WHERE key = $1 AND token = $2', [key, token]);
    },
  };
}

/**
 * The state store on PostgreSQL, for several replicas sharing one database. Appends to the audit
 * chain take a transaction-scoped advisory lock, so replicas never fork the chain; claims and locks
 * expire by the database clock. Open it with `openPgStateStore`, which also migrates the schema.
 */
export class PgStateStore implements StateStore {
  private readonly log: Logger;
  private readonly locks: SharedLocks;
  private readonly rates = new LocalRateLimits();
  /** The expiring-row lock, also the fallback of a Redis lock when Redis does not answer. */
  readonly lockBackend: ExpiringLockBackend;
  private closed = false;
  /** The schema versions this store's start applied (empty when another replica had already migrated). */
  appliedMigrations: number[] = [];

  constructor(
    private readonly pool: Pool,
    private readonly auditKey: AuditKey,
    private readonly anchorFile: string | undefined,
    log: Logger = silentLogger,
  ) {
    this.log = log;
    this.lockBackend = pgLockBackend(pool);
    this.locks = new SharedLocks(this.lockBackend, log);
  }

  async claim(key: string, ttlMs: number, token?: string): Promise<boolean> {
    if (token !== undefined) return this.claimAs(key, token, ttlMs);
    checkTtl('claim', key, ttlMs);
    // One statement: a new key is inserted, an expired one taken over, a live one left alone (0 rows).
    const r = await this.pool.query(
      `INSERT INTO claims(key, expires_at) VALUES ($1, ${IN_MS})
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, owner = NULL WHERE claims.expires_at <= clock_timestamp()`,
      [key, Math.ceil(ttlMs)],
    );
    return r.rowCount === 1;
  }

  /** claim(), held by `owner`: also true (and the expiry renewed) when `owner` holds the key already. */
  async claimAs(key: string, owner: string, ttlMs: number): Promise<boolean> {
    checkTtl('claim', key, ttlMs);
    const r = await this.pool.query(
      `INSERT INTO claims(key, expires_at, owner) VALUES ($1, ${IN_MS}, $3)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, owner = excluded.owner
       WHERE claims.expires_at <= clock_timestamp() OR claims.owner = excluded.owner`,
      [key, Math.ceil(ttlMs), owner],
    );
    return r.rowCount === 1;
  }

  async pruneClaims(): Promise<number> {
    const r = await this.pool.query('DELETE FROM claims WHERE expires_at <= clock_timestamp()');
    await this.pool.query('DELETE FROM locks WHERE expires_at <= clock_timestamp()');
    return r.rowCount ?? 0;
  }

  async appendTurn(conversation: string, avatar: string, turn: Turn): Promise<void> {
    await this.pool.query('INSERT INTO turns(conversation, avatar, role, text, user_id, ref, citations, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      conversation,
      avatar,
      turn.role,
      turn.text,
      turn.userId ?? null,
      turn.ref ?? null,
      turn.citations ? JSON.stringify(turn.citations) : null,
      turn.at,
    ]);
  }

  async recentTurns(conversation: string, avatar: string, limit: number): Promise<Turn[]> {
    const { rows } = await this.pool.query<TurnRow>('SELECT role, text, user_id, ref, citations, at FROM turns WHERE conversation = $1 AND avatar = $2 ORDER BY id DESC LIMIT $3', [
      conversation,
      avatar,
      limit,
    ]);
    return rows.reverse().map(toTurn);
  }

  async hasAvatarSpoken(conversation: string, avatar: string): Promise<boolean> {
    const r = await this.pool.query("SELECT 1 FROM turns WHERE conversation = $1 AND avatar = $2 AND role = 'avatar' LIMIT 1", [conversation, avatar]);
    return r.rowCount === 1;
  }

  async setSticky(key: string, avatar: string | null): Promise<void> {
    if (avatar === null) await this.pool.query('DELETE FROM sticky WHERE key = $1', [key]);
    else await this.pool.query('INSERT INTO sticky(key, avatar, at) VALUES ($1, $2, now()) ON CONFLICT (key) DO UPDATE SET avatar = excluded.avatar, at = excluded.at', [key, avatar]);
  }

  async getSticky(key: string): Promise<string | undefined> {
    return (await this.pool.query<{ avatar: string }>('SELECT avatar FROM sticky WHERE key = $1', [key])).rows[0]?.avatar;
  }

  /** getSticky of several keys in one query: the choices found, by key. */
  async getStickies(keys: string[]): Promise<Map<string, string>> {
    const r = await this.pool.query<{ key: string; avatar: string }>('SELECT key, avatar FROM sticky WHERE key = ANY($1::text[])', [keys]);
    return new Map(r.rows.map((row) => [row.key, row.avatar]));
  }

  async addFeedback(r: FeedbackRecord): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>(
      'INSERT INTO feedback(avatar, conversation, ref, user_id, kind, text, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
      [r.avatar, r.conversation, r.ref ?? null, r.userId, r.kind, r.text ?? null, new Date().toISOString()],
    );
    return Number(rows[0].id);
  }

  async listFeedback(avatar: string): Promise<StoredFeedback[]> {
    return (await this.pool.query<FeedbackRow>('SELECT * FROM feedback WHERE avatar = $1 ORDER BY id', [avatar])).rows.map(toFeedback);
  }


  /** One transaction under an advisory lock: read the head, link, insert. Replicas append one at a time. */
  async audit(input: AuditInput): Promise<AuditEntry> {
    const entry = await this.transaction(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtext('understudy:audit:' || current_schema()))");
      const head = (await c.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1')).rows[0];
      const { entry: next, row } = nextEntry(this.auditKey, head && { seq: Number(head.seq), hash: head.hash }, input, new Date().toISOString());
      await c.query('INSERT INTO audit(seq, at, actor, action, avatar, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        row.seq, row.at, row.actor, row.action, row.avatar, row.detail, row.prev_hash, row.hash,
      ]);
      return next;
    });
    // Replicas may write the anchor out of order; an anchor behind the head still verifies.
    publishHead(this.anchorFile, this.log, entry);
    return entry;
  }

  async auditEntries(filter: { avatar?: string; action?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const { sql, args } = auditQuery(filter, (n) => `$${n}`);
    return (await this.pool.query<AuditRow>(sql, args)).rows.reverse().map((r) => toAuditEntry(normalizeRow(r)));
  }


  async verifyAudit(): Promise<AuditVerification> {
    return toVerification(await verifyChainPaged(this.auditRows(), this.auditKey, this.anchorFile ? readAnchor(this.anchorFile) : 'none'));
  }

  /** The whole chain in order, read 5,000 rows at a time. */
  private async *auditRows(): AsyncGenerator<AuditRow> {
    for (let after = 0; ; ) {
      const { rows } = await this.pool.query<AuditRow>('SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT 5000', [after]);
      for (const r of rows) yield normalizeRow(r);
      if (rows.length < 5000) return;
      after = Number(rows[rows.length - 1].seq);
    }
  }

  /** Verify the chain on start; a broken one is logged, not fatal (as for SQLite). */
  async checkAuditOnStart(): Promise<void> {
    const v = await this.verifyAudit();
    if (!v.ok) this.log.error({ entries: v.entries, brokenAt: v.brokenAt, reason: v.reason }, `audit log does not verify: ${v.reason}; run \`understudy audit --verify\``);
  }

  async kvGet<T>(namespace: string, key: string): Promise<T | undefined> {
    const row = (await this.pool.query<{ value: string }>('SELECT value FROM kv WHERE namespace = $1 AND key = $2', [namespace, key])).rows[0];
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async kvSet<T>(namespace: string, key: string, value: T): Promise<void> {
    await this.pool.query('INSERT INTO kv(namespace, key, value, at) VALUES ($1, $2, $3, now()) ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, at = excluded.at', [
      namespace,
      key,
      JSON.stringify(value),
    ]);
  }

  async kvDelete(namespace: string, key: string): Promise<void> {
    await this.pool.query('DELETE FROM kv WHERE namespace = $1 AND key = $2', [namespace, key]);
  }

  async kvList<T>(namespace: string): Promise<{ key: string; value: T }[]> {
    // COLLATE "C": byte order, the same order SQLite gives, whatever the database's locale.
    const { rows } = await this.pool.query<{ key: string; value: string }>('SELECT key, value FROM kv WHERE namespace = $1 ORDER BY key COLLATE "C"', [namespace]);
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as T }));
  }

  /**
   * Revoke: delete the avatar's conversations, feedback and sticky choices in one transaction.
   * PostgreSQL frees the rows' space at the next (auto)vacuum; it does not zero it the way
   * SQLite's secure_delete does, so disk-level erasure is the database operator's policy.
   */
  async forgetAvatar(avatar: string): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('DELETE FROM turns WHERE avatar = $1', [avatar]);
      await c.query('DELETE FROM feedback WHERE avatar = $1', [avatar]);
      await c.query('DELETE FROM sticky WHERE avatar = $1', [avatar]);
    });
  }

  /** Per process: one SQLite file serves one process (PostgreSQL alone shares no rate limits; production mode has Redis for them). */
  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    return this.rates.hit(key, limit, windowMs);
  }

  withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
    return this.locks.withLock(key, fn, options);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let failed = false;
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      failed = true;
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => this.log.warn({ err: rollbackErr }, 'ROLLBACK failed; the connection is discarded'));
      throw err;
    } finally {
      client.release(failed);
    }
  }
}

/** pg returns BIGINT as a string; the chain works on numbers. */
function normalizeRow(r: AuditRow): AuditRow {
  return { ...r, seq: Number(r.seq) };
}

/** Connect to DATABASE_URL, migrate (once across replicas), load the audit key and verify the chain. */
export async function openPgStateStore(url: string, options: PgStateStoreOptions = {}): Promise<PgStateStore> {
  const log = options.log ?? silentLogger;
  const pool = await connectPg(url, log, { max: options.poolSize });
  try {
    const applied = await migrate(pool, log);
    const key = loadAuditKey({ envKey: options.auditKey, keyFile: options.keyFile });
    const store = new PgStateStore(pool, key, options.anchorFile, log);
    store.appliedMigrations = applied;
    await store.checkAuditOnStart();
    return store;
  } catch (err) {
    await pool.end().catch((endErr: unknown) => log.debug({ err: endErr }, 'closing the pool after a failed open'));
    throw err;
  }
}
