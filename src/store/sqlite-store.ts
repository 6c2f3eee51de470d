import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UnderstudyError } from '../errors';
import { silentLogger, type Logger } from '../log';
import { ensurePrivateFile, mkdirPrivate } from '../util/fs-atomic';
import { ANCHOR_FILE, KEY_FILE, loadAuditKey, MIGRATION_ACTION, nextEntry, publishHead, readAnchor, toAuditEntry, toVerification, verifyChain, type AuditKey, type AuditRow, type ChainCheck } from './audit-chain';
import { checkTtl, LocalLocks } from './local-locks';
import { auditQuery, toFeedback, toTurn, type FeedbackRow, type TurnRow } from './rows';
import type { AuditEntry, AuditInput, AuditVerification, FeedbackRecord, LockOptions, RateDecision, StateStore, StoredFeedback, Turn } from './types';
import { LocalRateLimits } from './local-rate-limits';
import { checkStateFile, sqliteDamage, stateCorruptError } from './state-health';
import { summarizeProblems } from '../util/sqlite-check';

/** Ordered migrations; the index + 1 is the schema version they bring the database to. */
const MIGRATIONS: string[] = [
  `CREATE TABLE events (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
   CREATE TABLE turns (
     id INTEGER PRIMARY KEY AUTOINCREMENT, conversation TEXT NOT NULL, avatar TEXT NOT NULL, role TEXT NOT NULL,
     text TEXT NOT NULL, user_id TEXT, ref TEXT, citations TEXT, at TEXT NOT NULL);
   CREATE INDEX turns_conv ON turns(conversation, avatar, id);
   CREATE TABLE sticky (key TEXT PRIMARY KEY, avatar TEXT NOT NULL, at TEXT NOT NULL);
   CREATE TABLE feedback (
     id INTEGER PRIMARY KEY AUTOINCREMENT, avatar TEXT NOT NULL, conversation TEXT NOT NULL, ref TEXT,
     user_id TEXT NOT NULL, kind TEXT NOT NULL, text TEXT, at TEXT NOT NULL);
   CREATE TABLE audit (
     seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, avatar TEXT,
     detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
   CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
   CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
   CREATE TABLE kv (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY(namespace, key));`,
  // Dedupe keys carry their own expiry (set-if-absent with a TTL). Keys of version 1 kept the
  // day that pruning used to allow them.
  `CREATE TABLE claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
   INSERT INTO claims(key, expires_at) SELECT key, at + ${24 * 60 * 60_000} FROM events;
   DROP TABLE events;`,
  // A claim may name its holder (a handoff journal entry): the same delivery replayed after a crash gets it back.
  `ALTER TABLE claims ADD COLUMN owner TEXT;`,
];

export interface StateStoreOptions {
  now?: () => Date;
  /** AUDIT_HMAC_KEY; without it the key lives in audit.key beside the database (audit-chain.ts). */
  auditKey?: string;
  /** Where the audit head is logged on every append, and a broken chain on start. */
  log?: Logger;
}

/**
 * The embedded state store: one SQLite file in WAL mode under the data dir. better-sqlite3 is
 * synchronous, so each method does its work before its promise is returned; the promises are the
 * port's shape (types.ts). Locks are in-process: one SQLite file serves one process.
 */
export class SqliteStateStore implements StateStore {
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly auditKey: AuditKey;
  private readonly anchorFile: string | undefined;
  private readonly log: Logger;
  private readonly locks = new LocalLocks();
  private readonly rates = new LocalRateLimits();

  constructor(file: string, options: StateStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? silentLogger;
    try {
      if (file !== ':memory:') {
        mkdirPrivate(path.dirname(file));
        // SQLite gives the -wal and -shm files the mode of the database file, so 0600 here covers them.
        ensurePrivateFile(file);
        for (const side of [`${file}-wal`, `${file}-shm`]) if (fs.existsSync(side)) fs.chmodSync(side, 0o600);
      }
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
    } catch (err) {
      throw new UnderstudyError('INTERNAL', `cannot open the state database ${file}: ${(err as Error).message}`, { cause: err, details: { file } });
    }
    this.migrate(file);
    const memory = file === ':memory:';
    this.auditKey = loadAuditKey({ envKey: options.auditKey, keyFile: memory ? undefined : path.join(path.dirname(file), KEY_FILE) });
    this.anchorFile = memory ? undefined : path.join(path.dirname(file), ANCHOR_FILE);
    this.checkAuditOnStart(file);
  }

  /** Verify the chain against the anchor on every start; seal a chain of the unkeyed first version. */
  private checkAuditOnStart(file: string): void {
    const v = this.checkAudit();
    if (!v.ok) {
      this.log.error({ file, entries: v.entries, brokenAt: v.brokenAt, reason: v.reason }, `audit log does not verify: ${v.reason}; run \`understudy audit --verify\``);
      return;
    }
    if (v.entries > 0 && v.keyed === 0) {
      const seal = this.appendAudit({ actor: 'system', action: MIGRATION_ACTION, detail: { legacy_entries: v.entries, legacy_head: v.head?.hash ?? null, key: this.auditKey.source } });
      this.log.info({ file, legacy_entries: v.entries, seq: seal.seq }, 'audit log migrated to a keyed chain: the unkeyed entries verified and are now sealed');
    }
  }

  private checkAudit(): ChainCheck {
    const rows = this.db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as IterableIterator<AuditRow>;
    return verifyChain(rows, this.auditKey, this.anchorFile ? readAnchor(this.anchorFile) : 'none');
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(file: string): void {
    const current = this.schemaVersion;
    if (current > MIGRATIONS.length) {
      throw new UnderstudyError('INTERNAL', `${file} has schema version ${current}, newer than this build supports (${MIGRATIONS.length}); upgrade Understudy`);
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  private iso(): string {
    return this.now().toISOString();
  }

  async claim(key: string, ttlMs: number, token?: string): Promise<boolean> {
    checkTtl('claim', key, ttlMs);
    const now = this.now().getTime();
    // One statement: a new key is inserted, an expired one (or one held with this token) is taken
    // over, a live one is left alone (0 changes). NULL = NULL is not true: no token matches none.
    const info = this.db
      .prepare('INSERT INTO claims(key, expires_at, owner) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at, owner = excluded.owner WHERE claims.expires_at <= ? OR claims.owner = excluded.owner')
      .run(key, now + Math.ceil(ttlMs), token ?? null, now);
    return info.changes === 1;
  }

  async pruneClaims(): Promise<number> {
    return this.db.prepare('DELETE FROM claims WHERE expires_at <= ?').run(this.now().getTime()).changes;
  }

  async appendTurn(conversation: string, avatar: string, turn: Turn): Promise<void> {
    this.db
      .prepare('INSERT INTO turns(conversation, avatar, role, text, user_id, ref, citations, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(conversation, avatar, turn.role, turn.text, turn.userId ?? null, turn.ref ?? null, turn.citations ? JSON.stringify(turn.citations) : null, turn.at);
  }

  async recentTurns(conversation: string, avatar: string, limit: number): Promise<Turn[]> {
    const rows = this.db
      .prepare('SELECT role, text, user_id, ref, citations, at FROM turns WHERE conversation = ? AND avatar = ? ORDER BY id DESC LIMIT ?')
      .all(conversation, avatar, limit) as TurnRow[];
    return rows.reverse().map(toTurn);
  }

  async hasAvatarSpoken(conversation: string, avatar: string): Promise<boolean> {
    return this.db.prepare("SELECT 1 FROM turns WHERE conversation = ? AND avatar = ? AND role = 'avatar' LIMIT 1").get(conversation, avatar) !== undefined;
  }

  async setSticky(key: string, avatar: string | null): Promise<void> {
    if (avatar === null) this.db.prepare('DELETE FROM sticky WHERE key = ?').run(key);
    else this.db.prepare('INSERT INTO sticky(key, avatar, at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET avatar = excluded.avatar, at = excluded.at').run(key, avatar, this.iso());
  }

  async getSticky(key: string): Promise<string | undefined> {
    return (this.db.prepare('SELECT avatar FROM sticky WHERE key = ?').get(key) as { avatar: string } | undefined)?.avatar;
  }

  async addFeedback(r: FeedbackRecord): Promise<number> {
    const info = this.db
      .prepare('INSERT INTO feedback(avatar, conversation, ref, user_id, kind, text, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(r.avatar, r.conversation, r.ref ?? null, r.userId, r.kind, r.text ?? null, this.iso());
    return Number(info.lastInsertRowid);
  }

  async listFeedback(avatar: string): Promise<StoredFeedback[]> {
    return (this.db.prepare('SELECT * FROM feedback WHERE avatar = ? ORDER BY id').all(avatar) as FeedbackRow[]).map(toFeedback);
  }


  async audit(input: AuditInput): Promise<AuditEntry> {
    return this.appendAudit(input);
  }

  /** The append itself, synchronous so that the constructor can seal a legacy chain. One transaction: read the head, link, insert. */
  private appendAudit(input: AuditInput): AuditEntry {
    const entry = this.db.transaction((): AuditEntry => {
      const head = this.db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
      const { entry: next, row } = nextEntry(this.auditKey, head, input, this.iso());
      this.db
        .prepare('INSERT INTO audit(seq, at, actor, action, avatar, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(row.seq, row.at, row.actor, row.action, row.avatar, row.detail, row.prev_hash, row.hash);
      return next;
    })();
    publishHead(this.anchorFile, this.log, entry);
    return entry;
  }

  async auditEntries(filter: { avatar?: string; action?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const { sql, args } = auditQuery(filter, () => '?');
    return (this.db.prepare(sql).all(...args) as AuditRow[]).reverse().map(toAuditEntry);
  }


  async verifyAudit(): Promise<AuditVerification> {
    const v = this.checkAudit();
    return toVerification(v);
  }

  async kvGet<T>(namespace: string, key: string): Promise<T | undefined> {
    const row = this.db.prepare('SELECT value FROM kv WHERE namespace = ? AND key = ?').get(namespace, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async kvSet<T>(namespace: string, key: string, value: T): Promise<void> {
    this.db
      .prepare('INSERT INTO kv(namespace, key, value, at) VALUES (?, ?, ?, ?) ON CONFLICT(namespace, key) DO UPDATE SET value = excluded.value, at = excluded.at')
      .run(namespace, key, JSON.stringify(value), this.iso());
  }

  async kvDelete(namespace: string, key: string): Promise<void> {
    this.db.prepare('DELETE FROM kv WHERE namespace = ? AND key = ?').run(namespace, key);
  }

  async kvList<T>(namespace: string): Promise<{ key: string; value: T }[]> {
    const rows = this.db.prepare('SELECT key, value FROM kv WHERE namespace = ? ORDER BY key').all(namespace) as { key: string; value: string }[];
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as T }));
  }

  /**
   * Revoke: delete the avatar's conversations and feedback so that no copy stays on disk. A plain
   * DELETE leaves the rows' bytes in free pages of state.db and in state.db-wal, so the deletes
   * run with secure_delete (freed content is zeroed) and the WAL is checkpointed and truncated.
   */
  async forgetAvatar(avatar: string): Promise<void> {
    const secure = this.db.pragma('secure_delete', { simple: true }) as number;
    this.db.pragma('secure_delete = ON');
    try {
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM turns WHERE avatar = ?').run(avatar);
        this.db.prepare('DELETE FROM feedback WHERE avatar = ?').run(avatar);
        this.db.prepare('DELETE FROM sticky WHERE avatar = ?').run(avatar);
      })();
    } finally {
      this.db.pragma(`secure_delete = ${secure ? 'ON' : 'OFF'}`);
    }
    // Not a throw: the revoke around this must still finish (status revoked, files gone).
    const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    if (result && result.busy) {
      this.log.error({ avatar }, 'revoke: another process kept state.db-wal busy, so the deleted conversations may still be in it until the next checkpoint; stop other Understudy processes and run the revoke again');
    }
  }

  /** Per process: one SQLite file serves one process (PostgreSQL alone shares no rate limits; production mode has Redis for them). */
  async hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    return this.rates.hit(key, limit, windowMs);
  }

  withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
    return this.locks.withLock(key, fn, options);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  /** Closes at once (before the promise is returned), so a caller that does not await still leaves no handle open. */
  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

export function openStateStore(dataDir: string, options: Omit<StateStoreOptions, 'now'> = {}): SqliteStateStore {
  const file = path.join(dataDir, 'state.db');
  // Damaged pages would otherwise stop each command with a bare "database disk image is malformed".
  const health = checkStateFile(file);
  if (!health.ok) throw stateCorruptError(file, summarizeProblems(health.problems));
  try {
    return new SqliteStateStore(file, options);
  } catch (err) {
    const damage = sqliteDamage(err);
    if (damage) throw stateCorruptError(file, damage, err);
    throw err;
  }
}
