import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { INDEX_PUBLISHED_CHANNEL, watchIndexes } from '../../src/retrieval/index-watch';
import { connectRedis } from '../../src/store/redis-connection';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir, write } from '../helpers/fixtures';
import { until } from '../helpers/wait';
import { REDIS_DB, redisUrl } from '../helpers/services';

/** A database of its own (see REDIS_DB), so other test files' keys never meet these. */
const REDIS_URL = redisUrl(REDIS_DB.indexWatch);

function service(root: string): AvatarService {
  return new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
}


describe('index versions announced on Redis', () => {
  it('a version published by one replica reaches the other by notification, which loads it at once', async () => {
    const root = tmpDir('versions-redis-');
    const dir = makeAvatar(root, 'lz', { 'rollback.md': '# Rollback\n\nRoll back first: `deployctl rollback billing-gateway`.\n' });
    const worker = service(root);
    const web = service(root);
    await worker.ingest('lz');
    expect((await web.index('lz').search('deployctl rollback')).hits[0]?.chunk.source).toBe('rollback.md');

    const heard: { slug: string; version: string }[] = [];
    const workerWatch = await watchIndexes(REDIS_URL, () => undefined);
    const webWatch = await watchIndexes(REDIS_URL, (slug, version) => {
      heard.push({ slug, version });
      web.indexPublished(slug);
    });
    try {
      write(dir, 'corpus/rota.md', '# Rota\n\nChiara carries the crimson pager this week.\n');
      await worker.ingest('lz');
      const published = worker.index('lz').version as string;
      await until(() => heard.some((h) => h.version === published));
      expect(heard).toContainEqual({ slug: 'lz', version: published });
      // Loaded on the notification, before any pointer check of its own.
      expect(web.index('lz').version).toBe(published);
      expect((await web.index('lz').search('Chiara crimson pager')).hits[0]?.chunk.source).toBe('rota.md');
    } finally {
      await workerWatch.close();
      await webWatch.close();
      web.close();
      worker.close();
    }
  });

  it('ignores malformed announcements', async () => {
    const heard: string[] = [];
    const watch = await watchIndexes(REDIS_URL, (slug) => heard.push(slug));
    const redis = await connectRedis(REDIS_URL);
    try {
      await redis.publish(INDEX_PUBLISHED_CHANNEL, 'not json');
      await redis.publish(INDEX_PUBLISHED_CHANNEL, JSON.stringify({ slug: 'lz' }));
      await redis.publish(INDEX_PUBLISHED_CHANNEL, JSON.stringify({ slug: 'ok', version: 'v1', origin: 'elsewhere' }));
      await until(() => heard.length > 0);
      expect(heard).toEqual(['ok']);
    } finally {
      await redis.quit();
      await watch.close();
    }
  });
});
