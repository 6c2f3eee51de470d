/** The console's calls to /admin/api: JSON in and out, the CSRF token on every POST. */

import type { EvalRun } from '../../../src/server/admin/eval-run';

export interface Session {
  actor: string;
  name: string;
  role: 'admin' | 'subject';
  via: 'token' | 'slack' | 'lark';
  csrf: string;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

let csrf = '';
export function setCsrf(token: string): void {
  csrf = token;
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/admin/api${path}`, {
      method,
      credentials: 'same-origin',
      headers: method === 'POST' ? { 'content-type': 'application/json', 'x-csrf-token': csrf } : {},
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    });
  } catch {
    throw new ApiError(0, 'The server could not be reached. Check that Understudy is running, then retry.');
  }
  const data = (await res.json().catch(() => ({}))) as { error?: string };
  if (res.status === 401 && path !== '/sign-in') {
    window.location.assign(`/admin/sign-in?next=${encodeURIComponent(window.location.pathname)}`);
  }
  if (!res.ok) throw new ApiError(res.status, data.error ?? `The server answered ${res.status}.`);
  return data as T;
}

export const get = <T>(path: string): Promise<T> => call<T>('GET', path);
export const post = <T>(path: string, body?: unknown): Promise<T> => call<T>('POST', path, body);

export interface AvatarSummary {
  slug: string;
  handle: string;
  name: string;
  nameEn?: string;
  title: string;
  team: string;
  personStatus: 'active' | 'departed';
  languages: string[];
  status: 'active' | 'paused' | 'revoked';
  corpus: { sources: number; chunks: number };
  lastIngest: string | null;
  indexVersion: string | null;
  visibility: { default: string; rules: { path: string; visibility: string; audience?: string[] }[] };
  access: { users: string[]; groups: string[]; channels: string[]; dm_visibility: string[] };
  questions: number;
  askers: { actor: string; count: number }[];
  feedback: { up: number; down: number; correction: number; ratio: number | null };
  skillVersion: number | null;
  pendingCorrections: number;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  avatar?: string;
  detail?: Record<string, unknown>;
  hash: string;
}

/** One eval run (the server's own type; a type-only import, nothing of the server is bundled). */
export type { EvalRun };
