import crypto from 'node:crypto';
import type http from 'node:http';
import type { StateStore } from '../../store/types';

/** Who is signed in to the console: an admin (every avatar) or a subject (their own avatars only). */
export interface AdminSession {
  /** Platform-qualified (`slack:U1`, `lark:ou_1`) or `admin:token` for the ADMIN_TOKEN sign-in. */
  actor: string;
  role: 'admin' | 'subject';
  /** Shown in the header. */
  name: string;
  /** How they signed in. */
  via: 'token' | 'slack' | 'lark';
  /** Sent back by the page in the x-csrf-token header on every state-changing call. */
  csrf: string;
  expiresAt: number;
}

export const SESSION_COOKIE = 'understudy_admin';
const NS = 'admin-sessions';
const SESSION_TTL_MS = 12 * 3600_000;

/**
 * Console sessions in the state store (so every web replica knows them). The cookie holds a
 * random id; the store keeps only its SHA-256, so a copy of the database signs nobody in.
 */
export class AdminSessions {
  constructor(private readonly store: StateStore, private readonly now: () => number = Date.now) {}

  async create(who: Omit<AdminSession, 'csrf' | 'expiresAt'>): Promise<{ id: string; session: AdminSession }> {
    await this.prune();
    const id = crypto.randomBytes(32).toString('base64url');
    const session: AdminSession = { ...who, csrf: crypto.randomBytes(24).toString('base64url'), expiresAt: this.now() + SESSION_TTL_MS };
    await this.store.kvSet(NS, digest(id), session);
    return { id, session };
  }

  async get(id: string | undefined): Promise<AdminSession | undefined> {
    if (!id || id.length > 200) return undefined;
    const s = await this.store.kvGet<AdminSession>(NS, digest(id));
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      await this.store.kvDelete(NS, digest(id));
      return undefined;
    }
    return s;
  }

  async destroy(id: string | undefined): Promise<void> {
    if (id) await this.store.kvDelete(NS, digest(id));
  }

  private async prune(): Promise<void> {
    for (const { key, value } of await this.store.kvList<AdminSession>(NS)) if (value.expiresAt <= this.now()) await this.store.kvDelete(NS, key);
  }
}

function digest(id: string): string {
  return crypto.createHash('sha256').update(id).digest('hex');
}

/** Equal strings, compared in time that does not depend on where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

export function readCookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure behind HTTPS. */
export function sessionCookie(id: string, req: http.IncomingMessage, maxAgeS = SESSION_TTL_MS / 1000): string {
  const secure = isHttps(req) ? '; Secure' : '';
  return `${SESSION_COOKIE}=${id}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;
}

export function isHttps(req: http.IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true || String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim() === 'https';
}
