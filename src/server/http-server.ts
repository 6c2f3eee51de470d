import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { UnderstudyError } from '../errors';
import { metrics } from '../jobs/metrics';
import { silentLogger } from '../log';

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/** A dependency /readyz checks: resolves when it is reachable, throws (or times out) when not. */
export type ReadinessCheck = () => Promise<void>;

/** How long /readyz waits for each dependency before calling it unreachable. */
const READY_CHECK_TIMEOUT_MS = 2_000;

/**
 * One HTTP server on PORT for everything: health, readiness, metrics, Slack events, Feishu
 * events, playground. Unknown paths get 404 at once (the Feishu SDK's own adapter would leave
 * them hanging). `/healthz` says the process is alive and serving; `/readyz` also checks that
 * the database, Redis and the job queue answer, so a load balancer sends no traffic to a
 * replica that cannot reach them.
 */
export class HttpServer {
  private readonly routes = new Map<string, RouteHandler>();
  private readonly prefixes: { method: string; prefix: string; handler: RouteHandler }[] = [];
  private server: http.Server | undefined;
  private ready = false;
  private health: () => Record<string, unknown> = () => ({});
  private readonly checks = new Map<string, ReadinessCheck>();
  /** Platform event endpoints (path -> platform), counted in the events metrics. */
  private readonly eventPaths = new Map<string, string>();

  constructor(private readonly log: Logger = silentLogger) {
    this.route('GET', '/healthz', (_req, res) => {
      const body = { ok: this.ready, ...this.health() };
      send(res, this.ready ? 200 : 503, body);
    });
    this.route('GET', '/readyz', async (_req, res) => {
      const { ok, checks } = await this.readiness();
      const failed = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
      send(res, ok ? 200 : 503, { ok, ...(this.ready ? {} : { starting: true }), checks, ...(failed.length ? { failed } : {}) });
    });
  }

  /** Add a dependency /readyz checks (database, redis, queue). */
  readinessCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Count requests to a platform's event endpoint (received) and its 2xx answers (acked). */
  meterEvents(path: string, platform: string): void {
    this.eventPaths.set(path, platform);
  }

  private async readiness(): Promise<{ ok: boolean; checks: Record<string, string> }> {
    const results = await Promise.all(
      [...this.checks].map(async ([name, check]): Promise<[string, string]> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`)), READY_CHECK_TIMEOUT_MS);
            }),
          ]);
          return [name, 'ok'];
        } catch (err) {
          this.log.warn({ err, dependency: name }, 'readiness check failed');
          return [name, err instanceof Error ? err.message : String(err)];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(results);
    return { ok: this.ready && results.every(([, v]) => v === 'ok'), checks };
  }

  route(method: string, path: string, handler: RouteHandler): void {
    this.routes.set(`${method.toUpperCase()} ${path}`, handler);
  }

  routePrefix(method: string, prefix: string, handler: RouteHandler): void {
    this.prefixes.push({ method: method.toUpperCase(), prefix, handler });
  }

  setHealth(fn: () => Record<string, unknown>): void {
    this.health = fn;
  }

  markReady(ready = true): void {
    this.ready = ready;
  }

  async listen(port: number, host?: string): Promise<number> {
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, port, host)));
      this.server?.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0];
    const method = (req.method ?? 'GET').toUpperCase();
    const handler =
      this.routes.get(`${method} ${url}`) ?? this.prefixes.find((p) => p.method === method && url.startsWith(p.prefix))?.handler;
    if (!handler) {
      const known = [...this.routes.keys()].some((k) => k.endsWith(` ${url}`));
      send(res, known ? 405 : 404, { ok: false, error: known ? 'method not allowed' : 'not found' });
      return;
    }
    const platform = this.eventPaths.get(url);
    if (platform) {
      metrics.eventsReceived.inc({ platform });
      res.once('finish', () => {
        if (res.statusCode >= 200 && res.statusCode < 300) metrics.eventsAcked.inc({ platform });
      });
    }
    try {
      await handler(req, res);
    } catch (err) {
      this.log.error({ err, path: url }, 'HTTP handler failed');
      if (!res.headersSent) send(res, 500, { ok: false, error: 'internal error' });
      else res.end();
    }
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

export function send(res: http.ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const payload = typeof body === 'string' && contentType !== 'application/json' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': `${contentType}; charset=utf-8`, 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** A delivery that reached a process too late in its stop to be journaled: 503, so the platform sends it again (to another replica, or to the next start). */
export function refuseStopping(res: http.ServerResponse): void {
  res.setHeader('retry-after', '1');
  send(res, 503, { ok: false, error: 'shutting down: send it again' });
}

/** Read a request body with a size cap; rejects with status 413 beyond it. */
export async function readBody(req: http.IncomingMessage, maxBytes = 1_000_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A port that is taken or not ours to bind is a setting to change, not an internal error. */
function listenError(err: NodeJS.ErrnoException, port: number, host?: string): Error {
  const where = `${host ?? '0.0.0.0'}:${port}`;
  if (err.code === 'EADDRINUSE') {
    return new UnderstudyError('CONFIG_INVALID', `port ${port} is already in use (${where}); set PORT to a free port, e.g. PORT=${port + 1} npm start`, { cause: err });
  }
  if (err.code === 'EACCES') {
    return new UnderstudyError('CONFIG_INVALID', `not allowed to listen on ${where}; set PORT to a port above 1024`, { cause: err });
  }
  return err;
}
