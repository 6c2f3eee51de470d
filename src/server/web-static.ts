import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { send, type HttpServer, type RouteHandler } from './http-server';

/**
 * The browser app's production bundle (web/, built by `npm run build:web`, which `npm install`
 * runs): dist/web beside the package, served to the chat page and the admin console alike.
 * Hashed files under /assets/ are cached for a year; the pages themselves never (they name the
 * current hashes).
 */

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.html': 'text/html',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain',
};

/** dist/web of this package: found from the package root, whether we run from src/ (tests) or dist/src/. */
export function webRoot(from = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(from, '../../dist/web');
    dir = up;
  }
  return path.join(dir, 'dist', 'web');
}

/** GET and HEAD on a path (or a prefix): Node's response sends no body to a HEAD request, so the GET handler answers both. */
export function routeGetAndHead(server: HttpServer, route: string, handler: RouteHandler, prefix = false): void {
  for (const method of ['GET', 'HEAD']) {
    if (prefix) server.routePrefix(method, route, handler);
    else server.route(method, route, handler);
  }
}

/** A file inside `root` named by a URL path, or undefined for anything that leaves it. */
function fileIn(root: string, urlPath: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return undefined;
  }
  if (rel.includes('\0')) return undefined;
  const file = path.resolve(root, `.${path.posix.normalize(`/${rel}`)}`);
  return file.startsWith(root + path.sep) ? file : undefined;
}

async function sendFile(res: http.ServerResponse, file: string, cache: string): Promise<boolean> {
  let body: Buffer;
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) return false;
    body = await fs.promises.readFile(file);
  } catch {
    return false;
  }
  const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    'content-type': type.startsWith('text/') || type === 'image/svg+xml' || type === 'application/json' ? `${type}; charset=utf-8` : type,
    'content-length': body.length,
    'cache-control': cache,
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
  return true;
}

/** How a page of the bundle is sent: its Content-Security-Policy and Referrer-Policy. */
export interface PagePolicy {
  csp: string;
  referrer: 'no-referrer' | 'same-origin';
}

/** A page of the bundle (index.html, admin.html), never framed, or a page saying how to build the bundle. */
export async function sendWebPage(res: http.ServerResponse, name: string, root: string, policy: PagePolicy): Promise<void> {
  res.setHeader('content-security-policy', policy.csp);
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', policy.referrer);
  if (await sendFile(res, path.join(root, name), 'no-store')) return;
  res.setHeader('cache-control', 'no-store');
  send(res, 503, missingBundlePage(root), 'text/html');
}

function missingBundlePage(root: string): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Understudy: web app not built</title></head><body>
<h1>The web app is not built</h1>
<p>${esc(root)} holds no web bundle. Run <code>npm run build:web</code> (or <code>npm install</code>, which builds it) and reload this page.</p>
<p>The API and the chat platforms work without it; <code>npm start</code> in a terminal also gives the terminal chat.</p>
</body></html>`;
}

const mounted = new WeakSet<HttpServer>();

/**
 * `/assets/*` and `/favicon.svg` from the bundle, to GET and HEAD. They hold no data (the code of
 * the pages), so they need no token and no Host check. Safe to call more than once (the chat and
 * the admin console both need it).
 */
export function mountWebAssets(server: HttpServer, root: string): void {
  if (mounted.has(server)) return;
  mounted.add(server);
  const notFound = (res: http.ServerResponse): void => send(res, 404, { ok: false, error: 'not found' });
  const asset: RouteHandler = async (req, res) => {
    const file = fileIn(root, req.url ?? '/');
    if (!file || !(await sendFile(res, file, 'public, max-age=31536000, immutable'))) notFound(res);
  };
  routeGetAndHead(server, '/assets/', asset, true);
  routeGetAndHead(server, '/favicon.svg', async (_req, res) => {
    if (!(await sendFile(res, path.join(root, 'favicon.svg'), 'public, max-age=86400'))) notFound(res);
  });
  // Browsers ask for /favicon.ico whatever the page says.
  routeGetAndHead(server, '/favicon.ico', (_req, res) => {
    res.statusCode = 301;
    res.setHeader('location', '/favicon.svg');
    res.end();
  });
}
