import type http from 'node:http';
import type { Runtime } from '../../app/runtime';
import type { JobQueue } from '../../jobs/types';
import type { HttpServer } from '../http-server';
import { auditRoutes } from './audit-api';
import { avatarRoutes } from './avatars-api';
import { evalRoutes } from './eval-api';
import { errorReply, HttpError, isJson, jsonBody, matchRoute, sameOrigin, sendJson, type AdminRoute } from './http';
import { AdminSessions, readCookie, sameSecret, SESSION_COOKIE, sessionCookie, type AdminSession } from './sessions';
import { AdminOAuth, oauthProviders, sendContinuePage, type Provider } from './oauth';
import { skillRoutes } from './skill-api';
import { mountWebAssets, webRoot } from '../web-static';
import { sendAdminPage } from './static';

const API = '/admin/api';
/** Sign-in attempts per address per minute. */
const SIGN_IN_PER_MIN = 10;

export interface AdminConsoleOptions {
  queue: JobQueue;
  /** dist/web; tests may point elsewhere. */
  distDir?: string;
  /** Also serve /assets/* and /favicon.svg from dist/web (when no other mount does). */
  serveAssets?: boolean;
}

/**
 * The admin console at /admin: a page (dist/web/admin.html) and a JSON API under /admin/api.
 * Without a session the pages redirect to /admin/sign-in and the API answers 401 with no data;
 * every state-changing call needs JSON, our own Origin and the session's CSRF token.
 */
export function mountAdminConsole(server: HttpServer, runtime: Runtime, options: AdminConsoleOptions): void {
  const dist = options.distDir ?? webRoot();
  const sessions = new AdminSessions(runtime.service.store);
  const routes: AdminRoute[] = [...avatarRoutes(runtime, options.queue), ...skillRoutes(runtime), ...auditRoutes(runtime), ...evalRoutes(runtime)];
  const sessionOf = (req: http.IncomingMessage): Promise<AdminSession | undefined> => sessions.get(readCookie(req, SESSION_COOKIE));
  const oauth = new AdminOAuth(runtime);
  const providers = oauthProviders(runtime);
  const methods = { token: Boolean(runtime.config.adminToken), slack: providers.includes('slack'), lark: providers.includes('lark') };

  // Pages: the sign-in page for everyone, the rest only with a session.
  server.routePrefix('GET', '/admin', async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname.replace(/\/+$/, '') || '/';
    if (p !== '/admin' && !p.startsWith('/admin/')) return sendJson(res, 404, { ok: false, error: 'not found' });
    if (p.startsWith(`${API}/`) || p === API) return api(req, res, 'GET', p.slice(API.length));
    if (p === '/admin/sign-in') return sendAdminPage(res, dist);
    const signInWith = /^\/admin\/oauth\/(slack|lark)\/(start|callback)$/.exec(p);
    if (signInWith) return platformSignIn(req, res, signInWith[1] as Provider, signInWith[2] as 'start' | 'callback');
    if (!(await sessionOf(req))) {
      res.writeHead(302, { location: `/admin/sign-in?next=${encodeURIComponent(p)}`, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    await sendAdminPage(res, dist);
  });
  server.routePrefix('POST', API, async (req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    if (!p.startsWith(`${API}/`)) return sendJson(res, 404, { ok: false, error: 'not found' });
    await api(req, res, 'POST', p.slice(API.length));
  });
  if (options.serveAssets) mountWebAssets(server, dist);

  async function api(req: http.IncomingMessage, res: http.ServerResponse, method: 'GET' | 'POST', path: string): Promise<void> {
    try {
      if (method === 'POST') {
        if (!isJson(req)) throw new HttpError(415, 'content-type must be application/json');
        if (!sameOrigin(req)) throw new HttpError(403, 'This call must come from the admin console page itself (Origin check).');
      }
      // Open to everyone: which sign-ins exist, and signing in.
      if (method === 'GET' && path === '/sign-in-methods') return sendJson(res, 200, methods);
      if (method === 'POST' && path === '/sign-in') return await signIn(req, res);
      const session = await sessionOf(req);
      if (!session) throw new HttpError(401, 'Sign in first.');
      if (method === 'POST' && !sameSecret(String(req.headers['x-csrf-token'] ?? ''), session.csrf)) {
        throw new HttpError(403, 'Missing or wrong CSRF token: reload the console and try again.');
      }
      if (method === 'GET' && path === '/session') return sendJson(res, 200, { actor: session.actor, name: session.name, role: session.role, via: session.via, csrf: session.csrf, expiresAt: new Date(session.expiresAt).toISOString() });
      if (method === 'POST' && path === '/sign-out') {
        await sessions.destroy(readCookie(req, SESSION_COOKIE));
        await runtime.service.store.audit({ actor: session.actor, action: 'admin_sign_out', detail: { via: session.via } });
        res.setHeader('set-cookie', sessionCookie('', req, 0));
        return sendJson(res, 200, { ok: true });
      }
      const found = matchRoute(routes, method, path);
      if (!found) throw new HttpError(404, 'No such admin API.');
      const url = new URL(req.url ?? '/', 'http://x');
      const body = method === 'POST' ? await jsonBody(req) : {};
      const out = await found.route.handler({ req, res, params: found.params, query: url.searchParams, session, body });
      sendJson(res, 200, out);
    } catch (err) {
      const { status, error, code } = errorReply(err);
      if (status === 500) runtime.log.error({ err, path }, 'admin API failed');
      sendJson(res, status, { ok: false, error, ...(code ? { code } : {}) });
    }
  }

  async function platformSignIn(req: http.IncomingMessage, res: http.ServerResponse, provider: Provider, step: 'start' | 'callback'): Promise<void> {
    try {
      if (step === 'start') return await oauth.start(req, res, provider);
      const result = await oauth.callback(req, provider);
      const clearState = `understudy_oauth=; Path=/admin/oauth; HttpOnly; SameSite=Lax; Max-Age=0`;
      if ('refused' in result) {
        res.writeHead(302, { location: `/admin/sign-in?error=${encodeURIComponent(result.refused)}`, 'cache-control': 'no-store', 'set-cookie': clearState });
        res.end();
        return;
      }
      const { id } = await sessions.create(result.who);
      await runtime.service.store.audit({ actor: result.who.actor, action: 'admin_sign_in', detail: { via: provider, role: result.who.role } });
      res.setHeader('set-cookie', [sessionCookie(id, req), clearState]);
      sendContinuePage(res, result.next);
    } catch (err) {
      const { status, error } = errorReply(err);
      if (status === 500) runtime.log.error({ err, provider }, 'admin console sign-in failed');
      sendJson(res, status, { ok: false, error });
    }
  }

  async function signIn(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const expected = runtime.config.adminToken;
    if (!expected) throw new HttpError(404, 'Token sign-in is off: set ADMIN_TOKEN on the server.');
    const where = req.socket.remoteAddress ?? 'unknown';
    const rate = await runtime.service.store.hit(`admin-sign-in:${where}`, SIGN_IN_PER_MIN, 60_000);
    if (!rate.allowed) {
      res.setHeader('retry-after', String(Math.ceil(rate.retryAfterMs / 1000)));
      throw new HttpError(429, 'Too many sign-in attempts; wait a minute.');
    }
    const body = await jsonBody(req);
    const given = typeof body.token === 'string' ? body.token.trim() : '';
    if (!given || !sameSecret(given, expected)) {
      await runtime.service.store.audit({ actor: `web:${where}`, action: 'admin_sign_in_refused', detail: { via: 'token' } });
      throw new HttpError(401, 'That is not the admin token.');
    }
    const { id } = await sessions.create({ actor: 'admin:token', role: 'admin', name: 'Admin', via: 'token' });
    await runtime.service.store.audit({ actor: 'admin:token', action: 'admin_sign_in', detail: { via: 'token' } });
    res.setHeader('set-cookie', sessionCookie(id, req));
    sendJson(res, 200, { ok: true });
  }
}
