import type { AckPaths, AuditEntry, AuditInput, AuditVerification, FeedbackRecord, LockOptions, RateDecision, StateStore, StoredFeedback, Turn } from './types';

/**
 * A store still connecting (PostgreSQL and Redis are behind a network), usable at once: every
 * call waits for the connection and then goes to the real store, and fails with the connection's
 * error (naming DATABASE_URL or REDIS_URL) if it could not be made. This keeps the runtime's
 * construction synchronous; `ready()` lets a server fail fast before it listens.
 */
export class PendingStateStore implements StateStore {
  private readonly opening: Promise<StateStore>;
  private opened: StateStore | undefined;

  constructor(opening: Promise<StateStore>) {
    this.opening = opening;
    opening.then((store) => (this.opened = store)).catch(() => undefined);
    // The failure is reported by ready() and by each call; it must not also crash the process as unhandled.
    opening.catch(() => undefined);
  }

  async ready(): Promise<void> {
    await this.opening;
  }

  /** The real store's, once it is open (Runtime.ready resolves before a server takes events). */
  get ackPaths(): AckPaths | undefined {
    return this.opened?.ackPaths;
  }

  private async use<T>(fn: (store: StateStore) => Promise<T>): Promise<T> {
    return fn(await this.opening);
  }

  claim(key: string, ttlMs: number, token?: string): Promise<boolean> {
    return this.use((s) => s.claim(key, ttlMs, token));
  }
  pruneClaims(): Promise<number> {
    return this.use((s) => s.pruneClaims());
  }
  appendTurn(conversation: string, avatar: string, turn: Turn): Promise<void> {
    return this.use((s) => s.appendTurn(conversation, avatar, turn));
  }
  recentTurns(conversation: string, avatar: string, limit: number): Promise<Turn[]> {
    return this.use((s) => s.recentTurns(conversation, avatar, limit));
  }
  hasAvatarSpoken(conversation: string, avatar: string): Promise<boolean> {
    return this.use((s) => s.hasAvatarSpoken(conversation, avatar));
  }
  setSticky(key: string, avatar: string | null): Promise<void> {
    return this.use((s) => s.setSticky(key, avatar));
  }
  getSticky(key: string): Promise<string | undefined> {
    return this.use((s) => s.getSticky(key));
  }
  addFeedback(record: FeedbackRecord): Promise<number> {
    return this.use((s) => s.addFeedback(record));
  }
  listFeedback(avatar: string): Promise<StoredFeedback[]> {
    return this.use((s) => s.listFeedback(avatar));
  }
  audit(entry: AuditInput): Promise<AuditEntry> {
    return this.use((s) => s.audit(entry));
  }
  auditEntries(filter?: { avatar?: string; action?: string; limit?: number }): Promise<AuditEntry[]> {
    return this.use((s) => s.auditEntries(filter));
  }
  verifyAudit(): Promise<AuditVerification> {
    return this.use((s) => s.verifyAudit());
  }
  kvGet<T>(namespace: string, key: string): Promise<T | undefined> {
    return this.use((s) => s.kvGet<T>(namespace, key));
  }
  kvSet<T>(namespace: string, key: string, value: T): Promise<void> {
    return this.use((s) => s.kvSet(namespace, key, value));
  }
  kvDelete(namespace: string, key: string): Promise<void> {
    return this.use((s) => s.kvDelete(namespace, key));
  }
  kvList<T>(namespace: string): Promise<{ key: string; value: T }[]> {
    return this.use((s) => s.kvList<T>(namespace));
  }
  hit(key: string, limit: number, windowMs: number): Promise<RateDecision> {
    return this.use((s) => s.hit(key, limit, windowMs));
  }
  withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions): Promise<T> {
    return this.use((s) => s.withLock(key, fn, options));
  }
  ping(): Promise<void> {
    return this.use((s) => s.ping());
  }
  forgetAvatar(avatar: string): Promise<void> {
    return this.use((s) => s.forgetAvatar(avatar));
  }

  /** Closes the store once it has opened; a store that never opened has nothing to close. */
  async close(): Promise<void> {
    const store = await this.opening.catch(() => undefined);
    await store?.close();
  }
}
