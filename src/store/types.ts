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

export interface StateStore {
  readonly schemaVersion: number;

  /** Record an event key; false if it was seen before (dedupe across retries and restarts). */
  claimEvent(key: string): boolean;
  pruneEvents(olderThanMs: number): number;

  appendTurn(conversation: string, avatar: string, turn: Turn): void;
  recentTurns(conversation: string, avatar: string, limit: number): Turn[];
  hasAvatarSpoken(conversation: string, avatar: string): boolean;

  setSticky(key: string, avatar: string | null): void;
  getSticky(key: string): string | undefined;

  addFeedback(record: FeedbackRecord): number;
  listFeedback(avatar: string): StoredFeedback[];

  audit(entry: AuditInput): AuditEntry;
  auditEntries(filter?: { avatar?: string; action?: string; limit?: number }): AuditEntry[];
  verifyAudit(): AuditVerification;

  /** Small JSON values: consent records, collection cursors, pending corrections. */
  kvGet<T>(namespace: string, key: string): T | undefined;
  kvSet<T>(namespace: string, key: string, value: T): void;
  kvDelete(namespace: string, key: string): void;
  kvList<T>(namespace: string): { key: string; value: T }[];

  /** Delete conversations and feedback of an avatar (revoke); the audit log keeps the fact. */
  forgetAvatar(avatar: string): void;
  close(): void;
}
