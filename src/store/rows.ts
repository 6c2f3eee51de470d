import type { StoredFeedback, Turn } from './types';

/** Rows as the SQL stores keep them (snake_case, NULL for absent); one mapping for SQLite and PostgreSQL. */
export interface TurnRow {
  role: Turn['role'];
  text: string;
  user_id: string | null;
  ref: string | null;
  citations: string | null;
  at: string;
}

export interface FeedbackRow {
  id: number | string;
  avatar: string;
  conversation: string;
  ref: string | null;
  user_id: string;
  kind: StoredFeedback['kind'];
  text: string | null;
  at: string;
}

export function toTurn(r: TurnRow): Turn {
  return {
    role: r.role,
    text: r.text,
    userId: r.user_id ?? undefined,
    ref: r.ref ?? undefined,
    citations: r.citations ? (JSON.parse(r.citations) as Turn['citations']) : undefined,
    at: r.at,
  };
}

/** PostgreSQL returns BIGSERIAL ids as strings. */
export function toFeedback(r: FeedbackRow): StoredFeedback {
  return { id: Number(r.id), avatar: r.avatar, conversation: r.conversation, ref: r.ref ?? undefined, userId: r.user_id, kind: r.kind, text: r.text ?? undefined, at: r.at };
}

/** The audit read both SQL stores run: newest `limit` entries matching the filter (placeholders `?` or `$n`). */
export function auditQuery(filter: { avatar?: string; action?: string; limit?: number }, placeholder: (n: number) => string): { sql: string; args: unknown[] } {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.avatar) where.push(`avatar = ${placeholder(args.push(filter.avatar))}`);
  if (filter.action) where.push(`action = ${placeholder(args.push(filter.action))}`);
  const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${placeholder(args.push(filter.limit ?? 1000))}`;
  return { sql, args };
}
