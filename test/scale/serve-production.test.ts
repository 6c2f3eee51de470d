import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/store/redis-connection';
import { capturingLogger } from '../helpers/capturing-logger';
import { runCli } from '../helpers/cli';
import type { FakeSlack } from '../helpers/fake-slack';
import { tmpDir } from '../helpers/fixtures';
import { adminQuery, describeServices, freshSchema, REDIS_DB, redisUrl, type FreshSchema } from '../helpers/services';
import { eventBody, LZ_SECRET, slackWorkspace, startFakeSlack, startSlack, type SlackHarness } from '../helpers/slack-harness';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Answers the fake Slack received (the avatar's reply carries the feedback buttons). */
const answers = (fake: FakeSlack): number =>
  fake.calls.filter((c) => !c.args.failed && (c.method === 'chat.update' || c.method === 'chat.postMessage') && JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback')).length;

describeServices('serve in production mode (DATABASE_URL + REDIS_URL)', () => {
  const url = redisUrl(REDIS_DB.serveProduction);
  let db: FreshSchema;
  let redis: Redis;
  let fake: FakeSlack;
  const replicas: SlackHarness[] = [];

  beforeEach(async () => {
    db = await freshSchema();
    redis = await connectRedis(url);
    await redis.flushdb();
    fake = await startFakeSlack();
  });
  afterEach(async () => {
    for (const h of replicas.splice(0)) {
      await h.close();
      await h.runtime.close();
    }
    await fake.stop();
    redis.disconnect();
    await db.drop();
  });

  it('answers a signed Slack event once when it is delivered twice, to two replicas, and again after a Redis flush', async () => {
    const capture = capturingLogger();
    /** Errors the replicas logged, shown beside a count that is off. */
    const errors = (): unknown[] => capture.lines().filter((l) => Number(l.level) >= 50).map((l) => ({ msg: l.msg, err: (l.err as { message?: string } | undefined)?.message }));
    // Two replicas that share only PostgreSQL and Redis: each has its own data dir (indexes) and
    // job queue, so what keeps the second delivery from being answered is the shared state alone.
    const roots = [slackWorkspace(), slackWorkspace()];
    for (const [i, root] of roots.entries()) {
      replicas.push(await startSlack({ root, fake, logger: capture.log, env: { DATABASE_URL: db.url, REDIS_URL: url, UNDERSTUDY_QUEUE: `replica-${i}` } }));
    }
    const [a, b] = replicas;
    /**
     * The HTTP ack can come back before the listener has dispatched the event, so under load idle()
     * may be asked too early: wait for the first answer, then for both replicas to be idle a few turns running.
     */
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 200 && answers(fake) === 0; i++) await sleep(50);
      for (let round = 0; round < 3; round++) {
        await sleep(100);
        await Promise.all([a.idle(), b.idle()]);
      }
    };
    const body = eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'How do I roll back?' }, { app: 'A_LZ' });

    expect((await a.send(body, { secret: LZ_SECRET })).status).toBe(200);
    expect((await b.send(body, { secret: LZ_SECRET, retryNum: 1 })).status).toBe(200);
    await settle();
    expect({ answers: answers(fake), errors: errors() }).toEqual({ answers: 1, errors: [] });

    // Redis forgets the event; PostgreSQL's unique key still refuses it.
    await redis.flushdb();
    expect((await b.send(body, { secret: LZ_SECRET, retryNum: 2 })).status).toBe(200);
    await settle();
    expect({ answers: answers(fake), errors: errors() }).toEqual({ answers: 1, errors: [] });

    // The state is in PostgreSQL, not in a state.db beside the indexes.
    const count = async (sql: string): Promise<number> => Number((await adminQuery(sql, [], db.schema)).rows[0].n);
    expect(await count(`SELECT count(*) AS n FROM claims WHERE key LIKE 'slack:event:%'`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM turns WHERE avatar = 'lao-zhang'`)).toBe(2);
    expect(await count(`SELECT count(*) AS n FROM audit WHERE action = 'ask'`)).toBe(1);
    for (const root of roots) expect(fs.existsSync(path.join(root, 'data', 'state.db'))).toBe(false);
    expect(await a.runtime.service.store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('serve stops before listening when PostgreSQL does not answer, naming DATABASE_URL', async () => {
    const cwd = tmpDir('serve-prod-');
    const r = await runCli(['serve'], { cwd, env: { PORT: '0', DATABASE_URL: 'postgres://root@127.0.0.1:1/test', REDIS_URL: url } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('DATABASE_URL: cannot connect to 127.0.0.1:1 (ECONNREFUSED)');
  });

});

// Config checks need no running services.
describe('production-mode settings', () => {
  it('refuses DATABASE_URL without REDIS_URL, and malformed URLs, naming the variable', async () => {
    const cwd = tmpDir('serve-prod-');
    const alone = await runCli(['serve'], { cwd, env: { PORT: '0', DATABASE_URL: 'postgres://root@127.0.0.1:5432/test' } });
    expect(alone.code).toBe(1);
    expect(alone.stderr).toMatch(/REDIS_URL is required when DATABASE_URL is set/);
    const bad = await runCli(['serve'], { cwd, env: { PORT: '0', DATABASE_URL: 'mysql://127.0.0.1/x', REDIS_URL: 'redis://127.0.0.1:6379/zero' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/DATABASE_URL has the scheme mysql, not postgres or postgresql/);
    expect(bad.stderr).toMatch(/REDIS_URL has "zero" where the database number goes/);
  });

  it('stays embedded without them: SQLite state in the data dir', async () => {
    const cwd = tmpDir('serve-embedded-');
    const r = await runCli(['audit', '--verify'], { cwd });
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(cwd, 'data', 'state.db'))).toBe(true);
  });
});
