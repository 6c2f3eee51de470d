import { Pool } from 'pg';
import { databaseUrlProblem } from '../../config/service-urls';
import { UnderstudyError } from '../../errors';
import type { Logger } from '../../log';
import { connectFailure } from '../redis-connection';

/** Where DATABASE_URL points, for error messages (never the password). */
export function pgTarget(url: string): string {
  const u = new URL(url);
  return `${u.hostname || u.searchParams.get('host') || 'localhost'}:${u.port || 5432}`;
}

/** Throws a CONFIG_INVALID error naming the variable when DATABASE_URL is not a PostgreSQL URL. */
export function checkDatabaseUrl(url: string, variable = 'DATABASE_URL'): void {
  const problem = databaseUrlProblem(url);
  if (problem) throw new UnderstudyError('CONFIG_INVALID', `${variable}: ${problem}`, { details: { variable } });
}

/**
 * A pool on DATABASE_URL whose first connection has worked; otherwise throws
 * "DATABASE_URL: cannot connect to host:port (ECONNREFUSED)" (or the server's refusal: a missing
 * database, a wrong password).
 */
export async function connectPg(url: string, log: Logger, options: { max?: number } = {}): Promise<Pool> {
  checkDatabaseUrl(url);
  const pool = new Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection (a database restart) must not crash the process; the pool replaces it.
  pool.on('error', (err) => log.warn({ err }, 'PostgreSQL connection lost; the pool reconnects on next use'));
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch((endErr: unknown) => log.debug({ err: endErr }, 'closing the failed pool'));
    throw new UnderstudyError('CONFIG_INVALID', `DATABASE_URL: cannot connect to ${pgTarget(url)} (${connectFailure(err)})`, {
      cause: err,
      details: { variable: 'DATABASE_URL' },
    });
  }
  return pool;
}
