import { openPgStateStore } from '../../src/store/pg/pg-store';
import { MIGRATIONS } from '../../src/store/pg/migrations';
import { adminQuery, describeServices, freshDatabase, PG_URL, schemaPerTest } from '../helpers/services';

describeServices('PostgreSQL migrations', () => {
  const schema = schemaPerTest();

  it('two replicas starting against an empty database at the same moment run the migrations once', async () => {
    const empty = await freshDatabase();
    try {
      const [a, b] = await Promise.all([openPgStateStore(empty.url), openPgStateStore(empty.url)]);
      const all = MIGRATIONS.map((_, i) => i + 1);
      // One applied everything, the other found nothing left to do.
      expect([a.appliedMigrations, b.appliedMigrations].sort((x, y) => y.length - x.length)).toEqual([all, []]);
      expect(await a.claim('slack:event:Ev1', 60_000)).toBe(true);
      expect(await b.claim('slack:event:Ev1', 60_000)).toBe(false);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await empty.drop();
    }
  });

  it('several replicas starting in one schema at once: each version applied once, and a restart applies nothing', async () => {
    const [a, b, c] = await Promise.all([openPgStateStore(schema().url), openPgStateStore(schema().url), openPgStateStore(schema().url)]);
    try {
      const all = MIGRATIONS.map((_, i) => i + 1);
      expect([a, b, c].map((s) => s.appliedMigrations).sort((x, y) => y.length - x.length)).toEqual([all, [], []]);
      const { rows } = await adminQuery('SELECT version FROM schema_migrations ORDER BY version', [], schema().schema);
      expect(rows.map((r) => r.version)).toEqual(all);
      // All work on the same tables.
      expect(await a.claim('slack:event:Ev1', 60_000)).toBe(true);
      expect(await b.claim('slack:event:Ev1', 60_000)).toBe(false);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
    const again = await openPgStateStore(schema().url);
    expect(again.appliedMigrations).toEqual([]);
    await again.close();
  });

  it('refuses a schema newer than this build, naming DATABASE_URL', async () => {
    await (await openPgStateStore(schema().url)).close();
    await adminQuery(`INSERT INTO schema_migrations(version, name) VALUES (999, 'from the future')`, [], schema().schema);
    await expect(openPgStateStore(schema().url)).rejects.toThrow(/DATABASE_URL: schema t_\w+ is at version 999, newer than this build supports/);
  });

  it('names DATABASE_URL and the address when nothing answers there', async () => {
    await expect(openPgStateStore('postgres://root@127.0.0.1:1/test')).rejects.toThrow('DATABASE_URL: cannot connect to 127.0.0.1:1 (ECONNREFUSED)');
  });

  it('passes on the server\'s refusal (a database that does not exist)', async () => {
    const url = new URL(PG_URL);
    url.pathname = '/no_such_database_here';
    await expect(openPgStateStore(url.toString())).rejects.toThrow(/DATABASE_URL: cannot connect to .*database "no_such_database_here" does not exist/);
  });

  it('rejects a URL that is not a PostgreSQL one, naming the variable', async () => {
    await expect(openPgStateStore('mysql://127.0.0.1/x')).rejects.toThrow('DATABASE_URL: has the scheme mysql, not postgres or postgresql');
  });
});
