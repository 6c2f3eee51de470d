import crypto from 'node:crypto';
import type http from 'node:http';
import { WebClient } from '@slack/web-api';
import type { Runtime } from '../../app/runtime';
import { avatarsOf } from '../../distill/subject';
import { send } from '../http-server';
import { HttpError } from './http';
import { readCookie, type AdminSession } from './sessions';

export type Provider = 'slack' | 'lark';

/** Who a platform says signed in. */
interface Identity {
  actor: string;
  name: string;
}

const STATE_NS = 'admin-oauth-state';
const STATE_COOKIE = 'understudy_oauth';
const STATE_TTL_MS = 10 * 60_000;
const SLACK_AUTHORIZE = 'https://slack.com/openid/connect/authorize';
const LARK_DEFAULT = 'https://open.feishu.cn';

interface PendingState {
  provider: Provider;
  next: string;
  expiresAt: number;
}

/** Which platform sign-ins are on: ADMIN_URL plus the platform's app credentials. */
export function oauthProviders(runtime: Runtime): Provider[] {
  const { adminOAuth, lark } = runtime.config;
  if (!adminOAuth.url) return [];
  return [...(adminOAuth.slack ? (['slack'] as const) : []), ...(lark?.appId && lark.appSecret ? (['lark'] as const) : [])];
}

const redirectUri = (runtime: Runtime, provider: Provider): string => `${runtime.config.adminOAuth.url}/admin/oauth/${provider}/callback`;
const safeNext = (next: string | null): string => (next && /^\/admin(\/[\w/-]*)?$/.test(next) && !next.startsWith('/admin/sign-in') ? next : '/admin');

/** Why a platform sign-in was refused (the sign-in page says it in words). */
export type Refusal = 'expired' | 'denied' | 'unconfirmed' | 'not-allowed';

/**
 * Sign in with Slack (OpenID Connect: openid.connect.token, then openid.connect.userInfo) or
 * Feishu (authen v1: access_token, then user_info). A random state, kept server-side and in a
 * short SameSite=Lax cookie, ties the callback to the browser that started it.
 */
export class AdminOAuth {
  constructor(private readonly runtime: Runtime) {}

  private get store() {
    return this.runtime.service.store;
  }

  async start(req: http.IncomingMessage, res: http.ServerResponse, provider: Provider): Promise<void> {
    if (!oauthProviders(this.runtime).includes(provider)) throw new HttpError(404, `Sign in with ${provider} is not configured here.`);
    const state = crypto.randomBytes(24).toString('base64url');
    const next = safeNext(new URL(req.url ?? '/', 'http://x').searchParams.get('next'));
    await this.store.kvSet<PendingState>(STATE_NS, state, { provider, next, expiresAt: Date.now() + STATE_TTL_MS });
    const redirect = redirectUri(this.runtime, provider);
    let location: string;
    if (provider === 'slack') {
      const q = new URLSearchParams({ response_type: 'code', scope: 'openid profile', client_id: this.runtime.config.adminOAuth.slack?.clientId ?? '', state, nonce: crypto.randomBytes(12).toString('hex'), redirect_uri: redirect });
      location = `${SLACK_AUTHORIZE}?${q}`;
    } else {
      const q = new URLSearchParams({ app_id: this.runtime.config.lark?.appId ?? '', redirect_uri: redirect, state });
      location = `${this.larkDomain()}/open-apis/authen/v1/index?${q}`;
    }
    const secure = this.runtime.config.adminOAuth.url?.startsWith('https:') ? '; Secure' : '';
    res.writeHead(302, { location, 'cache-control': 'no-store', 'set-cookie': `${STATE_COOKIE}=${state}; Path=/admin/oauth; HttpOnly; SameSite=Lax; Max-Age=600${secure}` });
    res.end();
  }

  /** The platform sends the browser back here with a code; the answer is who they are, or why not. */
  async callback(req: http.IncomingMessage, provider: Provider): Promise<{ who: Omit<AdminSession, 'csrf' | 'expiresAt'>; next: string } | { refused: Refusal }> {
    const url = new URL(req.url ?? '/', 'http://x');
    const state = url.searchParams.get('state') ?? '';
    const code = url.searchParams.get('code') ?? '';
    const pending = state ? await this.store.kvGet<PendingState>(STATE_NS, state) : undefined;
    if (state) await this.store.kvDelete(STATE_NS, state);
    if (!pending || pending.provider !== provider || pending.expiresAt <= Date.now() || readCookie(req, STATE_COOKIE) !== state) {
      return { refused: 'expired' };
    }
    if (!code) return { refused: 'denied' };
    let identity: Identity;
    try {
      identity = provider === 'slack' ? await this.slackIdentity(code) : await this.larkIdentity(code);
    } catch (err) {
      this.runtime.log.warn({ err, provider }, 'admin console sign-in: the platform refused the code');
      return { refused: 'unconfirmed' };
    }
    const admin = this.runtime.config.admins.some((a) => a.toLowerCase() === identity.actor.toLowerCase());
    const own = avatarsOf(this.runtime.service, identity.actor);
    if (!admin && own.length === 0) {
      await this.store.audit({ actor: identity.actor, action: 'admin_sign_in_refused', detail: { via: provider } });
      return { refused: 'not-allowed' };
    }
    return { who: { actor: identity.actor, name: identity.name, role: admin ? 'admin' : 'subject', via: provider }, next: pending.next };
  }

  private async slackIdentity(code: string): Promise<Identity> {
    const creds = this.runtime.config.adminOAuth.slack;
    const options = { slackApiUrl: creds?.apiUrl, retryConfig: { retries: 1 } };
    const token = await new WebClient(undefined, options).openid.connect.token({ client_id: creds?.clientId ?? '', client_secret: creds?.clientSecret ?? '', code, redirect_uri: redirectUri(this.runtime, 'slack') });
    if (!token.access_token) throw new Error('openid.connect.token gave no access token');
    const info = (await new WebClient(token.access_token, options).openid.connect.userInfo()) as unknown as Record<string, unknown>;
    const userId = info['https://slack.com/user_id'];
    if (typeof userId !== 'string' || !userId) throw new Error('openid.connect.userInfo gave no user id');
    return { actor: `slack:${userId}`, name: typeof info.name === 'string' ? info.name : userId };
  }

  private larkDomain(): string {
    return (this.runtime.config.lark?.domain ?? LARK_DEFAULT).replace(/\/+$/, '');
  }

  private async larkIdentity(code: string): Promise<Identity> {
    const lark = this.runtime.config.lark;
    const base = this.larkDomain();
    const call = async (path: string, init: { method: 'GET' | 'POST'; bearer?: string; body?: unknown }): Promise<Record<string, unknown>> => {
      const res = await fetch(`${base}${path}`, {
        method: init.method,
        headers: { 'content-type': 'application/json; charset=utf-8', ...(init.bearer ? { authorization: `Bearer ${init.bearer}` } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(10_000),
      });
      const json = (await res.json()) as { code?: number; msg?: string } & Record<string, unknown>;
      if (!res.ok || json.code !== 0) throw new Error(`${path}: ${json.code ?? res.status} ${json.msg ?? ''}`.trim());
      return json;
    };
    const app = await call('/open-apis/auth/v3/app_access_token/internal', { method: 'POST', body: { app_id: lark?.appId, app_secret: lark?.appSecret } });
    const user = (await call('/open-apis/authen/v1/access_token', { method: 'POST', bearer: String(app.app_access_token), body: { grant_type: 'authorization_code', code } })).data as { access_token?: string } | undefined;
    if (!user?.access_token) throw new Error('authen/v1/access_token gave no access token');
    const info = (await call('/open-apis/authen/v1/user_info', { method: 'GET', bearer: user.access_token })).data as { open_id?: string; name?: string; en_name?: string } | undefined;
    if (!info?.open_id) throw new Error('authen/v1/user_info gave no open_id');
    return { actor: `lark:${info.open_id}`, name: info.name || info.en_name || info.open_id };
  }
}

/**
 * After the platform's redirect the browser is on a navigation whose redirect chain crossed sites;
 * browsers that then withhold SameSite=Strict cookies still send them on a navigation this page
 * of our own origin starts.
 */
export function sendContinuePage(res: http.ServerResponse, next: string): void {
  const esc = next.replace(/[^\w/-]/g, '');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'");
  send(res, 200, `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${esc}"><title>Signed in</title></head><body><main><p>Signed in. <a href="${esc}">Continue to the admin console</a>.</p></main></body></html>`, 'text/html');
}
