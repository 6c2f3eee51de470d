import crypto from 'node:crypto';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Session {
  conversations: Set<string>;
  lastSeen: number;
}

/**
 * Browser sessions of the playground and the conversations each one opened. Ids are random
 * UUIDs made here, never by the page, and a conversation answers only to its own session, so
 * nobody can continue (and read the memory of) another person's conversation by guessing.
 * Kept in memory: a restart starts everyone afresh, which is what a playground wants.
 */
export class PlaygroundSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly maxSessions = 1000,
    private readonly maxConversations = 200,
    private readonly idleMs = 12 * 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new conversation in the given session, or in a new session when that one is unknown. */
  open(sessionId: string | undefined): { session: string; conversation: string } {
    let id = sessionId && this.get(sessionId) ? sessionId : undefined;
    if (!id) {
      this.evict();
      id = crypto.randomUUID();
      this.sessions.set(id, { conversations: new Set(), lastSeen: this.now() });
    }
    const session = this.get(id)!;
    const conversation = crypto.randomUUID();
    session.conversations.add(conversation);
    // Oldest conversations go first once a session has opened very many.
    if (session.conversations.size > this.maxConversations) session.conversations.delete(session.conversations.values().next().value as string);
    return { session: id, conversation };
  }

  owns(sessionId: string | undefined, conversation: string): boolean {
    const s = sessionId ? this.get(sessionId) : undefined;
    return s !== undefined && s.conversations.has(conversation);
  }

  private get(id: string): Session | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (this.now() - s.lastSeen > this.idleMs) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeen = this.now();
    // Re-insert so that the map's order is least recently used first.
    this.sessions.delete(id);
    this.sessions.set(id, s);
    return s;
  }

  private evict(): void {
    while (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
  }
}
