import type { Answer, Citation } from '../../../src/answer/types';
import { readEvents } from '../shared/sse';

/** What the server says about an avatar (GET /playground/api/avatars). */
export interface AvatarInfo {
  slug: string;
  handle: string;
  name: string;
  nameEn?: string;
  title: string;
  team?: string;
  languages?: ('zh' | 'en')[];
  personStatus?: 'active' | 'departed';
  status: 'active' | 'paused' | 'revoked';
  pronoun?: 'he' | 'she' | 'they';
  label?: { en: string; zh: string };
  disclosure?: { en: string; zh: string };
}

/** The answer and its citations, as the server sends them (a type-only import: nothing of the server is bundled). */
export type { Answer, Citation };

export interface Passage {
  avatar: string;
  source: string;
  locator: string;
  kind: string;
  title?: string;
  url?: string;
  date?: string;
  author?: string;
  document?: { lines: { n: number; text: string }[]; highlight: { from: number; to: number }; more: { before: boolean; after: boolean } };
  message?: { text: string; thread?: { root?: string; replies: { locator: string; text: string; author?: string; date?: string; cited: boolean }[] } };
}

/** What an answer stream reports as it goes; `ref` names the message it shows (a meeting shows several). */
export type AskEvent =
  | { kind: 'status'; text: string; ref?: string }
  | { kind: 'draft'; text: string; ref?: string }
  | { kind: 'answer'; answer: Answer; ref?: string }
  | { kind: 'notice'; text: string; code?: string; ref?: string }
  | { kind: 'error'; message: string };

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'pgToken';
const SESSION_KEY = 'understudy.session';

/**
 * The token (when the server has PLAYGROUND_TOKEN) arrives in the URL fragment, which is never
 * sent to the server or in a Referer; it is kept for this tab only and removed from the address bar.
 */
function takeToken(): string | null {
  const m = /[#&]token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const token = takeToken();
// Conversation ids come from the server, tied to this browser's session, never from the page.
let session = localStorage.getItem(SESSION_KEY) ?? '';

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = {};
  if (json) h['content-type'] = 'application/json';
  if (token) h.authorization = `Bearer ${token}`;
  if (session) h['x-playground-session'] = session;
  return h;
}

async function errorOf(res: Response): Promise<HttpError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: string; notices?: string[] };
    message = body.notices?.join('\n') || body.error || message;
  } catch {
    // Not JSON: the status line says enough.
  }
  return new HttpError(res.status, message);
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: headers(false) });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: headers(true), body: JSON.stringify(body) });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export const listAvatars = (): Promise<AvatarInfo[]> => getJson('/playground/api/avatars');

export async function openConversation(): Promise<string> {
  const r = await postJson<{ session: string; conversation: string }>('/playground/api/conversations', {});
  session = r.session;
  try {
    localStorage.setItem(SESSION_KEY, session);
  } catch {
    // Without storage the session lasts as long as the page.
  }
  return r.conversation;
}

/**
 * Ask, streaming: `onEvent` gets the status, drafts, then the answer or a notice. Rejects with an
 * HttpError when the server refuses before streaming, or a TypeError when the network fails.
 */
export async function ask(input: { avatar: string; question: string; conversation: string }, onEvent: (e: AskEvent) => void, signal?: AbortSignal): Promise<void> {
  const res = await fetch('/playground/api/ask', {
    method: 'POST',
    headers: { ...headers(true), accept: 'text/event-stream' },
    body: JSON.stringify(input),
    signal,
  });
  if (!res.ok || !res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) throw await errorOf(res);
  let finished = false;
  for await (const { event, data } of readEvents(res.body)) {
    const d = (data ?? {}) as Record<string, unknown>;
    const ref = typeof d.ref === 'string' ? d.ref : undefined;
    if (event === 'status') onEvent({ kind: 'status', text: String(d.text ?? ''), ref });
    else if (event === 'draft') onEvent({ kind: 'draft', text: String(d.text ?? ''), ref });
    else if (event === 'answer') onEvent({ kind: 'answer', answer: d.answer as Answer, ref });
    else if (event === 'notice') onEvent({ kind: 'notice', text: String(d.text ?? ''), code: d.code as string | undefined, ref });
    else if (event === 'error') onEvent({ kind: 'error', message: String(d.message ?? '') });
    else if (event === 'done') finished = true;
  }
  // The connection dropped before the server said it was done.
  if (!finished) throw new TypeError('the answer stream ended early');
}

export const sendFeedback = (body: { avatar: string; conversation: string; kind: 'up' | 'down' | 'correction'; ref?: string; text?: string; lang?: 'zh' | 'en' }): Promise<{ ok: boolean; text: string }> =>
  postJson('/playground/api/feedback', body);

export const fetchPassage = (avatar: string, c: Pick<Citation, 'source' | 'locator'>): Promise<{ passage: Passage }> =>
  getJson(`/playground/api/passage?${new URLSearchParams({ avatar, source: c.source, locator: c.locator })}`);
