import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from 'pino';
import { UnderstudyError } from '../../errors';
import type { LarkAppConfig } from './apps';
import { sdkLogger } from './sdk-logger';
import { TokenCache } from './token-cache';

/** Codes that mean the tenant token is missing, invalid or expired: fetch a new one, once. */
const TOKEN_CODES = new Set([99991661, 99991663, 99991664, 99991665, 99991668, 99991677]);
/** Frequency limits: the Open API gateway, message sending per app, per chat. */
const RATE_CODES = new Set([99991400, 99991429, 11232, 11233, 230020]);
/** The app lacks a scope (99991672) or the user lacks one (99991679). */
const SCOPE_CODES = new Set([99991672, 99991679, 230027]);
const NOT_IN_CHAT_CODES = new Set([230002, 232011, 230006]);
const AUTH_CODES = new Set([10003, 10014, 99991401, 99991543]);

export interface RetryPolicy {
  /** Rate-limit retries per call. */
  retries: number;
  /** First backoff when Feishu does not say how long to wait; doubles each time. */
  baseDelayMs: number;
  /** Longest single wait, and the most waited in all for one call. */
  maxDelayMs: number;
  totalDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseDelayMs: 500, maxDelayMs: 10_000, totalDelayMs: 30_000 };

interface Failure {
  status?: number;
  code?: number;
  msg: string;
  resetSeconds?: number;
  scopes: string[];
  cause: unknown;
}

interface ApiBody {
  code?: number;
  msg?: string;
  error?: { permission_violations?: { subject?: string }[] };
}

function scopesOf(body: ApiBody | undefined): string[] {
  const fromViolations = (body?.error?.permission_violations ?? []).map((v) => v.subject ?? '').filter(Boolean);
  if (fromViolations.length) return fromViolations;
  const m = /\[([^\]]+)\]/.exec(body?.msg ?? '');
  return m ? m[1].split(',').map((s) => s.trim()).filter(Boolean) : [];
}

function failureOf(err: unknown): Failure {
  const e = err as { response?: { status?: number; data?: ApiBody; headers?: Record<string, unknown> }; message?: string };
  if (e?.response) {
    const body = e.response.data && typeof e.response.data === 'object' ? e.response.data : undefined;
    const reset = Number(e.response.headers?.['x-ogw-ratelimit-reset'] ?? e.response.headers?.['retry-after']);
    return { status: e.response.status, code: body?.code, msg: body?.msg ?? e.message ?? 'HTTP error', resetSeconds: Number.isFinite(reset) && reset > 0 ? reset : undefined, scopes: scopesOf(body), cause: err };
  }
  // The SDK's own token fetch reports a business failure as "failed to get tenant_access_token, code: N, msg: ...".
  const m = /code: (\d+), msg: (.*)$/.exec(e?.message ?? '');
  return { code: m ? Number(m[1]) : undefined, msg: m ? m[2] : (e?.message ?? String(err)), scopes: [], cause: err };
}

/** A Feishu failure as a stable code; the message names the call and, for scopes, what to add. */
export function classifyLarkFailure(f: Failure, method: string, app: string): UnderstudyError {
  const what = `Feishu ${method} (app ${app}) failed${f.code !== undefined ? ` with code ${f.code}` : ''}${f.status ? ` (HTTP ${f.status})` : ''}: ${f.msg}`;
  if (f.code !== undefined && SCOPE_CODES.has(f.code)) {
    const needed = f.scopes.length ? f.scopes.join(' or ') : '(see the message)';
    return new UnderstudyError('PLATFORM_SCOPE', `${what}. Add the permission ${needed} to the app (Permissions & Scopes), then publish a new version`, { cause: f.cause, details: { needed: f.scopes, code: f.code } });
  }
  if (f.code !== undefined && NOT_IN_CHAT_CODES.has(f.code)) return new UnderstudyError('PLATFORM_NOT_IN_CHANNEL', `${what}. Add the bot to the chat`, { cause: f.cause, details: { code: f.code } });
  if ((f.code !== undefined && (AUTH_CODES.has(f.code) || TOKEN_CODES.has(f.code))) || /tenant_access_token/.test(f.msg)) {
    return new UnderstudyError('PLATFORM_AUTH', `${what}. Check the app id and secret`, { cause: f.cause, details: { code: f.code } });
  }
  if (f.status === 429 || (f.code !== undefined && RATE_CODES.has(f.code))) return new UnderstudyError('RATE_LIMITED', what, { cause: f.cause, details: { code: f.code } });
  return new UnderstudyError('PLATFORM_TRANSIENT', what, { cause: f.cause, details: { code: f.code, status: f.status } });
}

/** The Open API base URL: LARK_DOMAIN (Feishu, Lark, or a local server), else Feishu. */
export function larkDomain(domain: string | undefined): string | lark.Domain {
  return domain ? domain.replace(/\/+$/, '') : lark.Domain.Feishu;
}

/**
 * One app's Open API client: the SDK's Client with its own token cache, and every call made
 * through `call()`: a token-expired code refetches the token once, frequency limits and HTTP 429
 * wait and retry within a bound, a missing scope is logged with the scope to add.
 */
export class LarkApi {
  readonly client: lark.Client;
  private readonly cache = new TokenCache();

  constructor(
    readonly app: LarkAppConfig,
    domain: string | undefined,
    private readonly log: Logger,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.client = new lark.Client({
      appId: app.appId,
      appSecret: app.appSecret,
      domain: larkDomain(domain),
      cache: this.cache,
      logger: sdkLogger(log),
      loggerLevel: lark.LoggerLevel.info,
    });
  }

  /** Run one Open API call; `fn` returns the SDK's `{code, msg, data}` body. */
  async call<T>(method: string, fn: () => Promise<{ code?: number; msg?: string; data?: T } | undefined>): Promise<T> {
    let tokenRetried = false;
    let attempt = 0;
    let waited = 0;
    for (;;) {
      let failure: Failure;
      try {
        const res = await fn();
        if (!res || res.code === undefined || res.code === 0) return (res?.data ?? {}) as T;
        failure = { status: 200, code: res.code, msg: res.msg ?? '', scopes: scopesOf(res as ApiBody), cause: res };
      } catch (err) {
        failure = failureOf(err);
      }
      if (failure.code !== undefined && TOKEN_CODES.has(failure.code) && !tokenRetried) {
        tokenRetried = true;
        this.cache.clear();
        this.log.warn({ method, code: failure.code }, 'Feishu says the tenant token is no longer valid: fetching a new one');
        continue;
      }
      const limited = failure.status === 429 || (failure.code !== undefined && RATE_CODES.has(failure.code));
      if (limited && attempt < this.retry.retries) {
        const delay = Math.min(this.retry.maxDelayMs, failure.resetSeconds !== undefined ? failure.resetSeconds * 1000 : this.retry.baseDelayMs * 2 ** attempt);
        if (waited + delay <= this.retry.totalDelayMs) {
          attempt++;
          waited += delay;
          this.log.warn({ method, code: failure.code, status: failure.status, wait_ms: delay, attempt }, 'Feishu frequency limit: waiting before retrying');
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
      }
      const e = classifyLarkFailure(failure, method, this.app.name);
      if (e.code === 'PLATFORM_SCOPE') this.log.error({ method, code: failure.code, needed: failure.scopes }, e.message);
      else this.log.warn({ method, code: failure.code, status: failure.status, error: e.code }, e.message);
      throw e;
    }
  }

  /** The bot's own identity; fails fast on a wrong app id or secret. */
  async botInfo(): Promise<{ open_id?: string; app_name?: string }> {
    // Not in the SDK's typed surface; the body has `bot` beside `code`, not under `data`.
    const body = await this.call<{ bot?: { open_id?: string; app_name?: string } }>('bot.v3.info', async () => {
      const res = await this.client.request<{ code?: number; msg?: string; bot?: { open_id?: string; app_name?: string } }>({ method: 'GET', url: '/open-apis/bot/v3/info', timeout: 15_000 });
      return res && { code: res.code, msg: res.msg, data: { bot: res.bot } };
    });
    return body.bot ?? {};
  }
}
