import type http from 'node:http';
import { classifyError, type ErrorCode } from '../../errors';
import { readBody, send } from '../http-server';
import { isHttps, type AdminSession } from './sessions';

/** One admin API call: its parsed URL, path parameters, signed-in session and JSON body. */
export interface AdminRequest {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  session: AdminSession;
  body: Record<string, unknown>;
}

export type AdminHandler = (r: AdminRequest) => Promise<unknown>;

export interface AdminRoute {
  method: 'GET' | 'POST';
  /** `/avatars/:slug/pause`, below /admin/api. */
  path: string;
  handler: AdminHandler;
}

/** An error the API answers with its status and sentence. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  AVATAR_NOT_FOUND: 404,
  INPUT_INVALID: 400,
  ACCESS_DENIED: 403,
  AVATAR_UNAVAILABLE: 409,
  CONSENT_REQUIRED: 409,
  INDEX_MISSING: 409,
  FILE_UNREADABLE: 400,
  RATE_LIMITED: 429,
};

/** The status and sentence for a failed call; internal errors say nothing of their insides. */
export function errorReply(err: unknown): { status: number; error: string; code?: string } {
  if (err instanceof HttpError) return { status: err.status, error: err.message };
  const e = classifyError(err);
  const status = STATUS_OF[e.code] ?? 500;
  return { status, error: status === 500 ? 'internal error' : e.message, code: e.code };
}

export function matchRoute(routes: AdminRoute[], method: string, path: string): { route: AdminRoute; params: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== method) continue;
    const want = route.path.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(parts[i]);
      else ok = want[i] === parts[i];
    }
    if (ok) return { route, params };
  }
  return undefined;
}

export async function jsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const raw = (await readBody(req, 100_000)).toString('utf8');
  if (!raw.trim()) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpError(400, 'the body must be a JSON object');
}

export function isJson(req: http.IncomingMessage): boolean {
  return /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
}

/**
 * A state-changing call must come from our own page: an Origin (or, failing that, a Referer) of
 * this very host. Together with SameSite=Strict cookies and the CSRF header this stops another
 * site from acting with an admin's session.
 */
export function sameOrigin(req: http.IncomingMessage): boolean {
  const host = req.headers.host;
  if (!host) return false;
  const expected = `${isHttps(req) ? 'https' : 'http'}://${host}`.toLowerCase();
  const origin = req.headers.origin;
  if (origin) return origin.toLowerCase() === expected;
  const referer = req.headers.referer;
  return typeof referer === 'string' && (referer.toLowerCase() === expected || referer.toLowerCase().startsWith(`${expected}/`));
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.setHeader('cache-control', 'no-store');
  send(res, status, body);
}
