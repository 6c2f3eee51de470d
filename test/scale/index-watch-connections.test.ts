import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createRuntime } from '../../src/app/runtime';
import { silentLogger } from '../../src/log';
import { INDEX_PUBLISHED_CHANNEL } from '../../src/retrieval/index-watch';
import { serve } from '../../src/serve';
import { connectRedis } from '../../src/store/redis-connection';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { describeServices, redisUrl, schemaPerTest } from '../helpers/services';
import { until } from '../helpers/wait';

/**
 * Index announcements (a Redis subscriber per process) are for long-running replicas: a one-shot
 * command such as `understudy ask` with production settings opens none. Subscriptions are
 * counted with PUBSUB NUMSUB, which spans every database: run this file on its own.
 */
describeServices('index announcements belong to serve', () => {
  jest.setTimeout(60_000);
  const db = schemaPerTest();
  const subscribers = async (): Promise<number> => {
    const redis = await connectRedis(redisUrl());
    try {
      const [, n] = (await redis.pubsub('NUMSUB', INDEX_PUBLISHED_CHANNEL)) as [string, number];
      return Number(n);
    } finally {
      redis.disconnect();
    }
  };

  it('a runtime (what ask, search and ingest use) subscribes to nothing; serve subscribes, and unsubscribes when it closes', async () => {
    const root = tmpDir('watch-');
    makeAvatar(root, 'lz', { 'rollback.md': '# Rollback\n\nRoll back first with deployctl rollback.\n' });
    const env = { DATABASE_URL: db().url, REDIS_URL: redisUrl(), PORT: '0', HOST: '127.0.0.1', UNDERSTUDY_QUEUE: `watch-${Date.now()}` };
    const dirs = { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') };
    const baseline = await subscribers();

    const oneShot = createRuntime(env, dirs, { logger: silentLogger });
    try {
      await oneShot.ready();
      await oneShot.service.ingest('lz');
      const answer = await oneShot.service.ask('lz', { question: 'how do I roll back?', viewer: { platform: 'cli', userId: 'me', surface: 'local' }, conversation: 'cli:me', actor: 'cli:me' });
      expect(answer.citations.length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(await subscribers()).toBe(baseline);
    } finally {
      await oneShot.close();
    }

    const runtime = createRuntime(env, dirs, { logger: silentLogger });
    const out = new PassThrough();
    out.resume();
    const handle = await serve(runtime, { stdout: out, stderr: out, stdin: new PassThrough(), env, cwd: root, isTTY: false }, { interactive: false });
    try {
      await until(async () => (await subscribers()) === baseline + 1, 'serve to subscribe to index announcements');
    } finally {
      await handle.close();
      await runtime.close();
    }
    await until(async () => (await subscribers()) === baseline, 'serve to unsubscribe when it closes');
  });
});
