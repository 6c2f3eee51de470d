import crypto from 'node:crypto';
import type http from 'node:http';
import os from 'node:os';
import { UnderstudyError } from '../../errors';

/**
 * The web playground shows team documents to whoever can reach it, so it guards itself like a
 * local developer tool: loopback by default, a token when reachable from elsewhere, Host
 * names checked against DNS rebinding, and JSON-only posts (a form or `text/plain` post from
 * another site cannot be made without a CORS preflight, which we never grant).
 */

export const MIN_TOKEN_CHARS = 16;

export function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The address to listen on when the playground is on: loopback unless HOST says otherwise. */
export function playgroundHost(configured: string | undefined): string {
  return configured ?? '127.0.0.1';
}

/** Refuse to expose the playground beyond loopback without a token worth the name. */
export function assertPlaygroundBinding(host: string, token: string | undefined): void {
  if (token !== undefined && token.length < MIN_TOKEN_CHARS) {
    throw new UnderstudyError('CONFIG_INVALID', `PLAYGROUND_TOKEN must be at least ${MIN_TOKEN_CHARS} characters (for example \`openssl rand -hex 24\`).`, {
      details: { variables: ['PLAYGROUND_TOKEN'] },
    });
  }
  if (!isLoopback(host) && !token) {
    throw new UnderstudyError(
      'CONFIG_INVALID',
      `The web playground would listen on ${host} (HOST), where anyone who can reach the port could read the avatars' team documents. Set PLAYGROUND_TOKEN to a secret of at least ${MIN_TOKEN_CHARS} characters, or leave HOST unset (127.0.0.1).`,
      { details: { variables: ['PLAYGROUND_TOKEN', 'HOST'] } },
    );
  }
}

/** Host names a browser may use to reach us: loopback names, plus the bound address and the machine's own names when bound elsewhere. */
export function allowedHostNames(host: string): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === '0.0.0.0' || bare === '::') {
    names.add(os.hostname().toLowerCase());
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase().split('%')[0]);
  } else {
    names.add(bare);
  }
  return names;
}

/** The name part of a Host header: `[::1]:3000` → `::1`, `Example.org:80` → `example.org`. */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  if (v6) return v6[1];
  const m = /^([^:]+)(?::\d+)?$/.exec(h);
  return m ? m[1].replace(/\.$/, '') : undefined;
}

export function isJson(req: http.IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json';
}

/** Constant-time comparison of `Authorization: Bearer <token>` with the configured token. */
export function bearerMatches(req: http.IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const digest = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(m[1]), digest(token));
}
