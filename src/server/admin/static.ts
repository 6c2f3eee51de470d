import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { send } from '../http-server';

/** dist/web, built by `npm run build:web` (and by npm install): found from src/ (tests) and dist/src/ alike. */
export function webDistDir(from = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'web');
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.html': 'text/html',
};

/** The console's page: scripts only from this origin, never framed. */
export const ADMIN_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function sendAdminPage(res: http.ServerResponse, dist: string): void {
  const file = path.join(dist, 'admin.html');
  res.setHeader('cache-control', 'no-store');
  if (!fs.existsSync(file)) {
    send(res, 503, 'The admin console is not built: run `npm run build:web` (npm install does it).', 'text/plain');
    return;
  }
  res.setHeader('content-security-policy', ADMIN_CSP);
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('x-content-type-options', 'nosniff');
  send(res, 200, fs.readFileSync(file, 'utf8'), 'text/html');
}

/** A built file under dist/web (`/assets/<name>`, `/favicon.svg`); names only, no directories. */
export function sendBuiltFile(res: http.ServerResponse, dist: string, urlPath: string): void {
  const m = /^\/(assets\/)?([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(urlPath);
  const file = m ? path.join(dist, m[1] ?? '', m[2]) : undefined;
  if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    send(res, 404, { ok: false, error: 'not found' });
    return;
  }
  const body = fs.readFileSync(file);
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'x-content-type-options': 'nosniff',
    // Hashed names under /assets never change.
    'cache-control': m?.[1] ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
  });
  res.end(body);
}
