import type { Pool, PoolClient } from 'pg';
import { UnderstudyError } from '../../errors';
import type { Logger } from '../../log';

/**
 * Versioned schema changes, applied in order on start. A released migration is never edited:
 * a change is a new entry. Version N is MIGRATIONS[N - 1]; `schema_migrations` records what ran.
 */
export const MIGRATIONS: { name: string; sql: string }[] = [
  {
    name: 'initial state tables',
    sql: `
      CREATE TABLE claims (key TEXT PRIMARY KEY, expires_at TIMESTAMPTZ NOT NULL);
      CREATE INDEX claims_expiry ON claims(expires_at);
      CREATE TABLE turns (
        id BIGSERIAL PRIMARY KEY, conversation TEXT NOT NULL, avatar TEXT NOT NULL, role TEXT NOT NULL,
        text TEXT NOT NULL, user_id TEXT, ref TEXT, citations TEXT, at TEXT NOT NULL);
      CREATE INDEX turns_conv ON turns(conversation, avatar, id);
      CREATE INDEX turns_avatar ON turns(avatar);
      CREATE TABLE sticky (key TEXT PRIMARY KEY, avatar TEXT NOT NULL, at TIMESTAMPTZ NOT NULL);
      CREATE TABLE feedback (
        id BIGSERIAL PRIMARY KEY, avatar TEXT NOT NULL, conversation TEXT NOT NULL, ref TEXT,
        user_id TEXT NOT NULL, kind TEXT NOT NULL, text TEXT, at TEXT NOT NULL);
      CREATE INDEX feedback_avatar ON feedback(avatar, id);
      -- detail is the exact JSON text the hash covers, so it stays TEXT (jsonb would reorder keys).
      CREATE TABLE audit (
        seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, avatar TEXT,
        detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE INDEX audit_avatar_action ON audit(avatar, action, seq);
      CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$;
      CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
      CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
      CREATE TABLE kv (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, at TIMESTAMPTZ NOT NULL, PRIMARY KEY (namespace, key));
      -- Per-conversation locks across replicas when no Redis stands in front (expiring rows).
      CREATE TABLE locks (key TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL);`,
  },
  {
    // A claim taken for a job (the worker answering a handed-off event) names it, so the same job run again keeps it.
    name: 'claim owners',
    sql: `ALTER TABLE claims ADD COLUMN owner TEXT;`,
  },
];

/**
 * Bring the schema in the connection's search path up to date. Replicas starting together
 * queue on an advisory lock (keyed by the schema, so schemas in one database do not wait for
 * each other): the first applies what is missing, the others find nothing left to do.
 * Returns the versions this call applied.
 */
export async function migrate(pool: Pool, log: Logger): Promise<number[]> {
  const client = await pool.connect();
  let failed: unknown;
  try {
    const schema = (await client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0].s;
    if (!schema) {
      throw new UnderstudyError('CONFIG_INVALID', 'DATABASE_URL: no schema of the search path exists; create it or fix search_path', { details: { variable: 'DATABASE_URL' } });
    }
    const lockKey = `understudy:migrations:${schema}`;
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
    try {
      return await applyMissing(client, schema, log);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
    }
  } catch (err) {
    failed = err;
    throw err;
  } finally {
    // After a failure the session may still hold the lock (or sit in an aborted transaction): discard it, never reuse it.
    client.release(failed !== undefined);
  }
}

async function applyMissing(client: PoolClient, schema: string, log: Logger): Promise<number[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
  const newest = Math.max(0, ...done);
  if (newest > MIGRATIONS.length) {
    throw new UnderstudyError('CONFIG_INVALID', `DATABASE_URL: schema ${schema} is at version ${newest}, newer than this build supports (${MIGRATIONS.length}); upgrade Understudy`, {
      details: { variable: 'DATABASE_URL', schema, version: newest },
    });
  }
  const applied: number[] = [];
  for (let v = 1; v <= MIGRATIONS.length; v++) {
    if (done.has(v)) continue;
    const m = MIGRATIONS[v - 1];
    await client.query('BEGIN');
    try {
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations(version, name) VALUES ($1, $2)', [v, m.name]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw new UnderstudyError('INTERNAL', `PostgreSQL migration ${v} (${m.name}) failed in schema ${schema}: ${(err as Error).message}`, { cause: err, details: { schema, version: v } });
    }
    applied.push(v);
    log.info({ schema, version: v, migration: m.name }, 'PostgreSQL migration applied');
  }
  return applied;
}
