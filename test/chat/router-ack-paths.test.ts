import path from 'node:path';
import type { Redis } from 'ioredis';
import { AvatarService } from '../../src/app/avatar-service';
import type { RouteContext } from '../../src/chat/middleware';
import { ChatRouter } from '../../src/chat/router';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { openProductionStateStore, type ProductionStateStore } from '../../src/store/production-store';
import { connectRedis } from '../../src/store/redis-connection';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { dmEvent, RecordingTransport } from '../helpers/recording-transport';
import { describeServices, freshPrefix, freshSchema, REDIS_DB, redisUrl, type FreshSchema } from '../helpers/services';

/*
 * A web replica's gates on the production store: the dedupe gate's one script (AckPaths.admit)
 * also counts the rate hits and reads the sticky choice; the later gates use what it read.
 */
describeServices('router on the production store (a web replica\'s gates)', () => {
  const url = redisUrl(REDIS_DB.productionStore);
  let db: FreshSchema;
  let admin: Redis;
  const stores: ProductionStateStore[] = [];

  beforeEach(async () => {
    db = await freshSchema();
    admin = await connectRedis(url);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    admin.disconnect();
    await db.drop();
  });

  it('hands off each event once, with the sticky choice, and stops a flood with one notice', async () => {
    const prefix = freshPrefix();
    const root = tmpDir();
    makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nroll back first\n' });
    makeAvatar(root, 'lin-xiaoyu', { 'pricing.md': '# Pricing\n\nPLUS costs 99 yuan\n' });
    const replica = async (): Promise<{ router: ChatRouter; handed: { id: string; avatar?: string }[] }> => {
      const store = await openProductionStateStore({ databaseUrl: db.url, redisUrl: url, redisPrefix: prefix });
      stores.push(store);
      const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store });
      const handed: { id: string; avatar?: string }[] = [];
      const handOff = async (ctx: RouteContext): Promise<boolean> => {
        handed.push({ id: ctx.event.eventId, avatar: ctx.avatar });
        return true;
      };
      return { router: new ChatRouter({ service, rateLimits: { userPerMinute: 4, workspacePerMinute: 1000 }, handOff }), handed };
    };
    const [a, b] = [await replica(), await replica()];
    const t = new RecordingTransport();
    const first = dmEvent('@lin-xiaoyu-avatar what does PLUS cost?');
    await a.router.handle(first, t);
    // The same delivery to the other replica (a Slack retry): refused, and not counted.
    await b.router.handle({ ...first }, t);
    const second = dmEvent('and in the second year?');
    await b.router.handle(second, t);
    // Not in the cache: PostgreSQL's choice.
    await admin.del(`${prefix}sticky:slack:T1:D1`);
    const third = dmEvent('and for students?');
    await a.router.handle(third, t);
    expect([...a.handed, ...b.handed].sort((x, y) => x.id.localeCompare(y.id))).toEqual(
      [first, second, third].map((e) => ({ id: e.eventId, avatar: 'lin-xiaoyu' })).sort((x, y) => x.id.localeCompare(y.id)),
    );
    expect(t.texts()).toEqual([]);
    // The fourth question is the user's last in the minute; the fifth and sixth are refused, told once.
    for (const text of ['fourth', 'fifth', 'sixth']) await b.router.handle(dmEvent(text), t);
    expect(b.handed).toHaveLength(2);
    expect(t.texts()).toHaveLength(1);
    expect(t.texts()[0]).toMatch(/asking faster than I can keep up/);
  });
});
