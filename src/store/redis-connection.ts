import { Redis, type RedisOptions } from 'ioredis';
import { redisUrlProblem } from '../config/service-urls';
import { UnderstudyError } from '../errors';

/**
 * REDIS_URL as ioredis options: `redis://[user:password@]host[:port][/db]` (or `rediss://` for
 * TLS). Throws a CONFIG_INVALID error that names the variable when the URL is malformed.
 */
export function redisOptions(url: string, variable = 'REDIS_URL'): RedisOptions {
  const problem = redisUrlProblem(url);
  if (problem) throw new UnderstudyError('CONFIG_INVALID', `${variable}: ${problem}`, { details: { variable } });
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  const port = u.port ? Number(u.port) : 6379;
  return {
    // new URL keeps IPv6 literals in brackets; ioredis wants them bare.
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: db === '' ? 0 : Number(db),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    connectTimeout: 5_000,
  };
}

/** The network error's code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT), else the first message (a server's refusal). */
export function connectFailure(err: unknown): string {
  let message: string | undefined;
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown[] } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
    if (!message && typeof e.message === 'string' && e.message) message = e.message;
    // AggregateError from a host with several addresses: the first attempt says enough.
    e = (e.errors?.[0] ?? e.cause) as typeof e;
  }
  return message ?? String(err);
}

/**
 * Connect to REDIS_URL and check that it answers (PING) before returning the client; otherwise
 * throw "REDIS_URL: cannot connect to host:port (ECONNREFUSED)". `overrides` go to ioredis as
 * they are (a BullMQ worker passes `maxRetriesPerRequest: null`). The caller attaches its own
 * 'error' listener: later connection errors (a Redis restart) are emitted while ioredis reconnects.
 */
export async function connectRedis(url: string, overrides: RedisOptions = {}): Promise<Redis> {
  const options = redisOptions(url);
  // No reconnect loop before the first connection has worked (it would outlive the throw below);
  // afterwards ioredis's usual backoff, or the caller's.
  let connected = false;
  const retry = overrides.retryStrategy ?? ((times: number) => Math.min(times * 50, 2_000));
  const client = new Redis({ ...options, lazyConnect: true, ...overrides, retryStrategy: (times) => (connected ? retry(times) : null) });
  // Until the first connection has worked, a failure is reported once, by the throw below, with the socket's error.
  let socketError: unknown;
  const quiet = (err: unknown): void => {
    socketError ??= err;
  };
  client.on('error', quiet);
  try {
    await client.connect();
    await client.ping();
    connected = true;
  } catch (err) {
    // A client that has already ended must not be disconnected again (ioredis then waits seconds before letting the process exit).
    if (client.status !== 'end') client.disconnect();
    throw new UnderstudyError('CONFIG_INVALID', `REDIS_URL: cannot connect to ${options.host}:${options.port} (${connectFailure(socketError ?? err)})`, {
      cause: err,
      details: { variable: 'REDIS_URL' },
    });
  }
  client.off('error', quiet);
  return client;
}
