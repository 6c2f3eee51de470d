import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';

/**
 * The real PostgreSQL and Redis the production-mode tests run against (.ci/run starts them).
 * On a dev machine without them those suites are skipped with a notice; in CI (CI=true or
 * UNDERSTUDY_REQUIRE_SERVICES=1) their absence fails the run instead.
 *
 * Isolation: each PostgreSQL test gets its own schema (`freshSchema`); Redis tests use a key
 * prefix of their own, and a test that must FLUSHDB uses a database number of its own from
 * REDIS_DB below, so that concurrent jest workers never see each other's keys.
 */
export const PG_URL = process.env.UNDERSTUDY_TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
export const REDIS_BASE = process.env.UNDERSTUDY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Redis database numbers, one per test file that keeps keys of fixed names or flushes its database,
 * so files running at once in other jest workers never meet (db 0 is for fresh queue names/prefixes;
 * db 15 is bench scale's default BENCH_REDIS_URL).
 */
/** `bench` is not a test: `npm run bench -- scale` keeps its claims and queues in db 15 (BENCH_REDIS_URL); no test may flush it. */
export const REDIS_DB = { indexWatch: 9, lease: 10, productionStore: 11, serveProduction: 12, socketLease: 13, answerJobs: 7, backgroundJobs: 8, answerOrder: 6, handoffJournal: 4, bench: 15 } as const;

export const redisUrl = (db = 0): string => `${REDIS_BASE}/${db}`;

const REQUIRED = process.env.CI === 'true' || process.env.UNDERSTUDY_REQUIRE_SERVICES === '1';

/** A TCP probe in a child process, so that test files can decide synchronously whether to run. */
function missingServices(): string[] {
  const targets = [
    { name: 'PostgreSQL', url: new URL(PG_URL), port: 5432 },
    { name: 'Redis', url: new URL(REDIS_BASE), port: 6379 },
  ].map((t) => ({ name: t.name, host: t.url.hostname, port: Number(t.url.port || t.port) }));
  const code = `
    const net = require('node:net');
    const targets = ${JSON.stringify(targets)};
    Promise.all(targets.map((t) => new Promise((resolve) => {
      const s = net.connect(t.port, t.host);
      s.setTimeout(2000, () => { s.destroy(); resolve(t.name); });
      s.on('connect', () => { s.destroy(); resolve(null); });
      s.on('error', () => resolve(t.name));
    }))).then((down) => { process.stdout.write(JSON.stringify(down.filter(Boolean))); });`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 10_000 });
  try {
    return JSON.parse(r.stdout) as string[];
  } catch {
    return ['PostgreSQL', 'Redis'];
  }
}

const missing = missingServices();
if (missing.length > 0) {
  const what = `${missing.join(' and ')} not answering (${PG_URL}, ${REDIS_BASE})`;
  if (REQUIRED) throw new Error(`${what}: CI needs them for the production-mode tests (.ci/run starts them; see README "Production mode").`);
  process.stderr.write(`\n*** NOTICE: ${what}, so this file's production-mode tests are SKIPPED. Set UNDERSTUDY_REQUIRE_SERVICES=1 to fail instead.\n\n`);
}

/** `describe` for a suite that needs PostgreSQL and Redis. */
export const describeServices: jest.Describe = missing.length === 0 ? describe : describe.skip;

export interface FreshSchema {
  schema: string;
  /** DATABASE_URL whose connections use only this schema. */
  url: string;
  drop(): Promise<void>;
}

/** An empty schema of its own, reached through `url` (search_path set at connect), dropped by `drop()`. */
export async function freshSchema(): Promise<FreshSchema> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const drop = async (): Promise<void> => {
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  };
  return { schema, url: url.toString(), drop };
}

/** An empty schema for each test of the enclosing `describe`, dropped after it: `const db = schemaPerTest(); ... db().url`. */
export function schemaPerTest(): () => FreshSchema {
  let current: FreshSchema | undefined;
  beforeEach(async () => {
    current = await freshSchema();
  });
  afterEach(async () => {
    await current?.drop();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('schemaPerTest(): use it inside a test');
    return current;
  };
}

/** An empty database of its own (public schema only), dropped by `drop()`: what a first deployment starts against. */
export async function freshDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const drop = async (): Promise<void> => {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  return { name, url: url.toString(), drop };
}

/** One statement on its own connection (schema set-up, tampering behind a store's back). */
export async function adminQuery(sql: string, params: unknown[] = [], schema?: string): Promise<{ rows: Record<string, unknown>[] }> {
  const client = new Client({ connectionString: PG_URL, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** A Redis key prefix no other test uses. */
export const freshPrefix = (): string => `t:${randomBytes(6).toString('hex')}:`;
