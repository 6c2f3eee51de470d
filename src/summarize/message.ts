// The history types are the chat contract's (chat/history.ts); summarize re-exports them for its own modules.
import type { HistoryMessage } from '../chat/history';

export type { HistoryMessage } from '../chat/history';

export const DAY_MS = 86_400_000;

/** The thread a message belongs to, or its own id when it stands alone. */
export function threadKey(m: HistoryMessage): string {
  return m.threadId ?? m.id;
}

/** Oldest first; ties keep id order so output is stable. */
export function sortMessages(messages: HistoryMessage[]): HistoryMessage[] {
  return [...messages].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function displayName(m: HistoryMessage): string {
  return m.userName || m.userId || '?';
}
