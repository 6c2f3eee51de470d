import { loadJson, saveJson } from '../shared/storage';
import type { Answer } from './api';

/** One message as the page shows it. */
export interface ChatMessage {
  id: string;
  role: 'user' | 'avatar' | 'notice';
  text: string;
  /** Avatar messages: thinking (status only), streaming (drafts), done, or error (with retry). */
  state?: 'thinking' | 'streaming' | 'done' | 'error';
  status?: string;
  answer?: Answer;
  /** The answer's message id, which feedback refers to. */
  ref?: string;
  /** The question this message answers, for Retry. */
  question?: string;
  error?: string;
  /** Notices the router sent with (or instead of) the answer: a rate limit, access refused. */
  notices?: string[];
  feedback?: { kind: 'up' | 'down' | 'correction'; text: string };
}

export interface Conversation {
  id: string;
  avatar: string;
  /** The server's conversation id (memory and first contact follow it). */
  server?: string;
  title: string;
  updated: number;
  messages: ChatMessage[];
}

const KEY = 'understudy.conversations.v1';
/** Conversations kept per avatar; the oldest go first. */
const KEEP = 30;

export function loadConversations(): Conversation[] {
  const list = loadJson<Conversation[]>(KEY, []);
  if (!Array.isArray(list)) return [];
  // A reload cut off an answer: it is an error to retry, not an endless "thinking".
  return list.map((c) => ({
    ...c,
    messages: c.messages.map((m) => (m.state === 'thinking' || m.state === 'streaming' ? { ...m, state: 'error' as const } : m)),
  }));
}

export function saveConversations(list: Conversation[]): void {
  const kept: Conversation[] = [];
  const perAvatar = new Map<string, number>();
  for (const c of [...list].sort((a, b) => b.updated - a.updated)) {
    const n = perAvatar.get(c.avatar) ?? 0;
    if (n >= KEEP) continue;
    perAvatar.set(c.avatar, n + 1);
    kept.push(c);
  }
  saveJson(KEY, kept);
}

export function newId(): string {
  return crypto.randomUUID();
}
