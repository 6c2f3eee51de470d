/**
 * Everything the bot remembers between events. One small interface so that a Postgres/Redis
 * backend can replace the embedded SQLite one when several replicas run.
 */

export interface Turn {
  role: 'user' | 'avatar';
  text: string;
  userId?: string;
  /** Platform reference of the message (Slack ts, Feishu message id). */
  ref?: string;
  /** Cited sources of an avatar turn, for feedback and `/avatar mine`. */
  citations?: { source: string; locator: string }[];
  at: string;
}

export interface FeedbackRecord {
  avatar: string;
  conversation: string;
  /** The rated message's platform reference. */
  ref?: string;
  userId: string;
  kind: 'up' | 'down' | 'correction';
  text?: string;
}

export interface StoredFeedback extends FeedbackRecord {
  id: number;
  at: string;
}

export interface AuditInput {
  /** Platform-qualified user id (`slack:U1`), `cli:<os user>` or `system`. */
  actor: string;
  action: string;
  avatar?: string;
  /** Facts about the action: question, source paths shown, reason. Never secrets. */
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends AuditInput {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** First sequence number whose hash does not match, when not ok. */
  brokenAt?: number;
  /** What is wrong, when not ok: an edited entry, deleted newest entries, a missing anchor. */
  reason?: string;
}

export interface RateDecision {
  /** The hit was counted and may go ahead. */
  allowed: boolean;
  /** When refused: milliseconds until the oldest counted hit leaves the window; 0 when allowed. */
  retryAfterMs: number;
}

export interface LockOptions {
  /** The lock frees itself after this long even if `fn` has not finished (a crashed holder must not block the conversation forever). */
  ttlMs: number;
}

/**
 * The state port. Every method returns a promise so that a store behind a network (PostgreSQL,
 * Redis) can implement it; the embedded SQLite one answers at once. Callers await every call,
 * writes included, so that ordering (dedupe before work, audit before the reply) holds for all.
 */
export interface StateStore {
  /**
   * Set-if-absent with expiry: true for the first caller of `key` until `ttlMs` has passed,
   * false for everyone else meanwhile (dedupe across retries, replicas and restarts). A key
   * claimed with `token` is also true again for a caller with the same token (the same acked
   * delivery replayed from a handoff journal after a crash); without a token every claim is new.
   */
  claim(key: string, ttlMs: number, token?: string): Promise<boolean>;
  /** Delete expired claims; the number removed. Stores that expire keys themselves return 0. */
  pruneClaims(): Promise<number>;

  appendTurn(conversation: string, avatar: string, turn: Turn): Promise<void>;
  /** The newest `limit` turns, oldest first. */
  recentTurns(conversation: string, avatar: string, limit: number): Promise<Turn[]>;
  hasAvatarSpoken(conversation: string, avatar: string): Promise<boolean>;

  setSticky(key: string, avatar: string | null): Promise<void>;
  getSticky(key: string): Promise<string | undefined>;

  addFeedback(record: FeedbackRecord): Promise<number>;
  listFeedback(avatar: string): Promise<StoredFeedback[]>;

  /** Append one entry to the hash chain, atomically (no two entries share a sequence number). */
  audit(entry: AuditInput): Promise<AuditEntry>;
  auditEntries(filter?: { avatar?: string; action?: string; limit?: number }): Promise<AuditEntry[]>;
  verifyAudit(): Promise<AuditVerification>;

  /** Small JSON values: consent records, collection cursors, pending corrections. */
  kvGet<T>(namespace: string, key: string): Promise<T | undefined>;
  kvSet<T>(namespace: string, key: string, value: T): Promise<void>;
  kvDelete(namespace: string, key: string): Promise<void>;
  kvList<T>(namespace: string): Promise<{ key: string; value: T }[]>;

  /**
   * Rate limit: count a hit of `key` if fewer than `limit` were counted in the last `windowMs`
   * (a sliding window), else refuse it without counting it. `limit` 0 means no limit. Shared by
   * every replica where the store is (Redis); per process for the embedded store.
   */
  hit(key: string, limit: number, windowMs: number): Promise<RateDecision>;

  /**
   * Run `fn` while holding the lock `key` (one conversation at a time); waits its turn, frees the
   * lock when `fn` settles (also on a throw) or after `ttlMs`, and answers with `fn`'s result.
   */
  withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions): Promise<T>;

  /** Resolves when every backend behind the store answers (for /readyz); throws when one does not. */
  ping(): Promise<void>;

  /** Delete conversations and feedback of an avatar (revoke); the audit log keeps the fact. */
  forgetAvatar(avatar: string): Promise<void>;
  close(): Promise<void>;

  /** Production mode only (Redis in front of PostgreSQL): the web replica's ack path in fewer round trips. */
  readonly ackPaths?: AckPaths;
}

/**
 * One Redis round trip each where the methods above take several, and the durable claim that
 * backs the Redis-only one. A web replica claims events in Redis alone; whoever replies to an
 * event (the worker answering it, or the web replica for a reply of its own) first takes the
 * event's PostgreSQL keys with `claimDurably`, so a Redis restart or flush cannot make a second answer.
 */
export interface AckPaths {
  /**
   * Redis alone: claim `keys` in order, stopping at the first already taken; true when every one was
   * claimed here. A key held with this `token` counts as claimed here (the same delivery handed off
   * again from a handoff journal); without a token every claim is new.
   */
  claimFresh(keys: string[], ttlMs: number, token?: string): Promise<boolean>;
  /**
   * PostgreSQL's unique key, held by `owner`: true when `key` was free or expired (now `owner`'s),
   * or is `owner`'s already (the same job run again); false while another owner holds it.
   */
  claimDurably(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * claimFresh, then what the gates after the dedupe gate would ask next, in the same round trip:
   * `hits` (counted only when every key was claimed) and the sticky choice of `sticky` (read only
   * when every hit was allowed). When Redis does not answer, claimed as claimFresh is, and nothing else.
   */
  admit(request: Admission): Promise<Admitted>;
  /** hit() of each entry in order, stopping at the first refusal: the decisions made, the refused one last. */
  hits(entries: { key: string; limit: number }[], windowMs: number): Promise<RateDecision[]>;
  /**
   * Make `value` the latest link of `key` (for `ttlMs`) and answer the link before it, unless that
   * one is `value` itself (then nothing changes) or was made `maxAgeMs` or longer before `now`.
   */
  chain(key: string, value: string, now: number, maxAgeMs: number, ttlMs: number): Promise<string | undefined>;
}

/** AckPaths.admit: the dedupe claim, and the rate hits and sticky lookup that would follow it. */
export interface Admission {
  claim: { keys: string[]; ttlMs: number; token?: string };
  hits?: { entries: { key: string; limit: number }[]; windowMs: number };
  sticky?: string;
}

export interface Admitted {
  claimed: boolean;
  /** hits() of the request's entries, when they were counted. */
  rate?: RateDecision[];
  /** getSticky() of the request's key, when it was read: the cached choice, or PostgreSQL's on a cache miss. */
  sticky?: () => Promise<string | undefined>;
}
