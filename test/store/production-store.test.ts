import { Redis } from 'ioredis';
import { openProductionStateStore, type ProductionStateStore } from '../../src/store/production-store';
import { connectRedis } from '../../src/store/redis-connection';
import { describeServices, freshPrefix, freshSchema, REDIS_DB, redisUrl, type FreshSchema } from '../helpers/services';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describeServices('production state store: Redis fast paths, PostgreSQL truth', () => {
  // A Redis database of this file's own, so FLUSHDB touches no other test.
  const url = redisUrl(REDIS_DB.productionStore);
  let db: FreshSchema;
  let admin: Redis;
  const open: ProductionStateStore[] = [];
  /** One replica: its own connections to the shared schema and Redis database. */
  const replica = async (prefix = 'understudy:'): Promise<ProductionStateStore> => {
    const s = await openProductionStateStore({ databaseUrl: db.url, redisUrl: url, redisPrefix: prefix });
    open.push(s);
    return s;
  };

  beforeEach(async () => {
    db = await freshSchema();
    admin = await connectRedis(url);
    await admin.flushdb();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    admin.disconnect();
    await db.drop();
  });

  it('Redis flushed in the middle: a second claim of the same key still fails', async () => {
    const a = await replica();
    const b = await replica();
    expect(await a.claim('slack:event:Ev1', 60_000)).toBe(true);
    expect(await admin.exists('understudy:claim:slack:event:Ev1')).toBe(1);
    await admin.flushdb();
    // Redis has forgotten the claim; PostgreSQL's unique key has not.
    expect(await b.claim('slack:event:Ev1', 60_000)).toBe(false);
    expect(await a.claim('slack:event:Ev1', 60_000)).toBe(false);
    expect(await b.claim('slack:event:Ev2', 60_000)).toBe(true);
  });

  it('a retry refused by Redis never reaches PostgreSQL, and one replica of many wins each key', async () => {
    const replicas = await Promise.all([replica(), replica(), replica()]);
    const wins = await Promise.all(Array.from({ length: 30 }, (_, i) => replicas[i % 3].claim('slack:message:C1:1.0001', 60_000)));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('with Redis gone, PostgreSQL alone dedupes: nothing answered twice, nothing lost', async () => {
    const a = await replica();
    expect(await a.claim('before', 60_000)).toBe(true);
    // This replica's connection to Redis is down (as in a Redis restart); commands fail at once.
    (a as unknown as { redis: Redis }).redis.disconnect();
    expect(await a.claim('before', 60_000)).toBe(false);
    expect(await a.claim('during', 60_000)).toBe(true);
    expect(await a.claim('during', 60_000)).toBe(false);
    // Readiness says so, even though reads still work.
    await expect(a.ping()).rejects.toThrow();
    // Locks fall back to PostgreSQL rows.
    expect(await a.withLock('conv:A', async () => 'locked in PostgreSQL', { ttlMs: 5_000 })).toBe('locked in PostgreSQL');
    // A replica still on Redis refuses what PostgreSQL recorded meanwhile.
    const b = await replica();
    expect(await b.claim('during', 60_000)).toBe(false);
  });

  it('holds a conversation lock across replicas: never two holders at once', async () => {
    const replicas = await Promise.all([replica(), replica()]);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        replicas[i % 2].withLock('conv:slack:T1:C1:1.0001', async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(15);
          inside--;
        }, { ttlMs: 10_000 }),
      ),
    );
    expect(most).toBe(1);
    expect(await admin.exists('understudy:lock:conv:slack:T1:C1:1.0001')).toBe(0);
  });

  it('shares rate limits between replicas, and limits per replica while Redis is gone', async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).hit('user:slack:U1', 4, 60_000)));
    expect(results.filter((r) => r.allowed)).toHaveLength(4);
    (a as unknown as { redis: Redis }).redis.disconnect();
    expect((await a.hit('user:slack:U1', 4, 60_000)).allowed).toBe(true);
  });

  it('sticky choices are cached in Redis and stay right across replicas, a flush and a revoke', async () => {
    const prefix = freshPrefix();
    const [a, b] = await Promise.all([replica(prefix), replica(prefix)]);
    await a.setSticky('slack:T1:D1', 'lao-zhang');
    expect(await admin.get(`${prefix}sticky:slack:T1:D1`)).toBe('lao-zhang');
    expect(await b.getSticky('slack:T1:D1')).toBe('lao-zhang');
    await b.setSticky('slack:T1:D1', 'wang-fang');
    expect(await a.getSticky('slack:T1:D1')).toBe('wang-fang');
    await admin.flushdb();
    expect(await a.getSticky('slack:T1:D1')).toBe('wang-fang');
    expect(await b.getSticky('slack:T1:D9')).toBeUndefined();
    await a.forgetAvatar('wang-fang');
    expect(await b.getSticky('slack:T1:D1')).toBeUndefined();
  });

  it('ack paths: Redis claims in one script stop at the first key taken; PostgreSQL claims belong to an owner, across a flush', async () => {
    const [a, b] = [await replica(), await replica()];
    const fast = (s: ProductionStateStore) => s.ackPaths;
    expect(await fast(a).claimFresh(['slack:event:E1', 'slack:message:C1:1'], 60_000)).toBe(true);
    expect(await fast(b).claimFresh(['slack:event:E1', 'slack:message:C1:1'], 60_000)).toBe(false);
    // A second event id for the same message: its event key is taken, the message refuses it.
    expect(await fast(b).claimFresh(['slack:event:E2', 'slack:message:C1:1'], 60_000)).toBe(false);
    expect(await admin.exists('understudy:claim:slack:event:E2')).toBe(1);
    // A known event does not go on to claim its message.
    expect(await fast(a).claimFresh(['slack:event:E1', 'slack:message:C1:2'], 60_000)).toBe(false);
    expect(await admin.exists('understudy:claim:slack:message:C1:2')).toBe(0);
    // Nothing durable yet: PostgreSQL holds no key until someone replies.
    expect(await a.claim('slack:event:E3', 60_000)).toBe(true);
    expect(await fast(a).claimDurably('slack:event:E1', 'job-1', 60_000)).toBe(true);
    await admin.flushdb();
    expect(await fast(b).claimDurably('slack:event:E1', 'job-1', 60_000)).toBe(true);
    expect(await fast(b).claimDurably('slack:event:E1', 'job-2', 60_000)).toBe(false);
    // A key claimed without an owner (claim()) is nobody's to take again.
    expect(await fast(b).claimDurably('slack:event:E3', 'job-1', 60_000)).toBe(false);
    // Expired: the next owner takes it.
    expect(await fast(a).claimDurably('slack:event:E4', 'job-1', 1)).toBe(true);
    await sleep(20);
    expect(await fast(b).claimDurably('slack:event:E4', 'job-2', 60_000)).toBe(true);
    expect(await fast(a).claimDurably('slack:event:E4', 'job-1', 60_000)).toBe(false);
  });

  it('ack paths: rate hits in one script count in order and stop at the first refusal, shared by replicas, per replica while Redis is gone', async () => {
    const [a, b] = [await replica(), await replica()];
    const decisions = async (s: ProductionStateStore): Promise<boolean[]> => (await s.ackPaths.hits([{ key: 'user', limit: 2 }, { key: 'free', limit: 0 }, { key: 'workspace', limit: 3 }], 60_000)).map((d) => d.allowed);
    expect(await decisions(a)).toEqual([true, true, true]);
    expect(await decisions(b)).toEqual([true, true, true]);
    expect(await decisions(a)).toEqual([false]);
    // The refused user's hit did not count against the workspace: one place is left there.
    expect((await b.hit('workspace', 3, 60_000)).allowed).toBe(true);
    expect((await a.hit('workspace', 3, 60_000)).allowed).toBe(false);
    const refused = await b.ackPaths.hits([{ key: 'user', limit: 2 }], 60_000);
    expect(refused[0].retryAfterMs).toBeGreaterThan(0);
    const c = await replica();
    (c as unknown as { redis: Redis }).redis.disconnect();
    expect(await decisions(c)).toEqual([true, true, true]);
    expect(await decisions(c)).toEqual([true, true, true]);
    expect(await decisions(c)).toEqual([false]);
  });

  it('ack paths: admit claims, then counts the rate hits and reads the sticky choice in the same script, each only when the step before let the event on', async () => {
    const [a, b] = [await replica(), await replica()];
    await a.setSticky('slack:T1:D1', 'lao-zhang');
    const request = (event: string, sticky = 'slack:T1:D1', token?: string) => ({
      claim: { keys: [`slack:event:${event}`, `slack:message:D1:${event}`], ttlMs: 60_000, token },
      hits: { entries: [{ key: 'user', limit: 2 }, { key: 'workspace', limit: 10 }], windowMs: 60_000 },
      sticky,
    });
    const first = await a.ackPaths.admit(request('E1'));
    expect(first.claimed).toBe(true);
    expect(first.rate?.map((d) => d.allowed)).toEqual([true, true]);
    expect(await first.sticky?.()).toBe('lao-zhang');
    // A duplicate (another replica) counts no hit and reads nothing.
    expect(await b.ackPaths.admit(request('E1'))).toEqual({ claimed: false });
    expect(await admin.zcard('understudy:rate:user')).toBe(1);
    expect((await b.ackPaths.admit(request('E2'))).rate?.map((d) => d.allowed)).toEqual([true, true]);
    // The user's window is full: refused, the workspace not counted, the sticky choice not read.
    const refused = await a.ackPaths.admit(request('E3'));
    expect(refused.claimed).toBe(true);
    expect(refused.rate?.map((d) => d.allowed)).toEqual([false]);
    expect(refused.rate?.[0].retryAfterMs).toBeGreaterThan(0);
    expect(refused.sticky).toBeUndefined();
    expect(await admin.zcard('understudy:rate:workspace')).toBe(2);
    // A claim held with the same token is this delivery's again (a journal replay); another token's is not.
    expect((await a.ackPaths.admit({ claim: { keys: ['slack:event:E4'], ttlMs: 60_000, token: 'entry-1' } })).claimed).toBe(true);
    expect((await b.ackPaths.admit({ claim: { keys: ['slack:event:E4'], ttlMs: 60_000, token: 'entry-1' } })).claimed).toBe(true);
    expect((await b.ackPaths.admit({ claim: { keys: ['slack:event:E4'], ttlMs: 60_000, token: 'entry-2' } })).claimed).toBe(false);
    // Not cached: PostgreSQL's choice (or none), and the cache filled for the next event.
    await admin.flushdb();
    const missed = await b.ackPaths.admit({ claim: { keys: ['slack:event:E5'], ttlMs: 60_000 }, sticky: 'slack:T1:D1' });
    const none = await b.ackPaths.admit({ claim: { keys: ['slack:event:E6'], ttlMs: 60_000 }, sticky: 'slack:T1:D9' });
    expect(await missed.sticky?.()).toBe('lao-zhang');
    expect(await none.sticky?.()).toBeUndefined();
    await b.ping();
    expect(await admin.get('understudy:sticky:slack:T1:D1')).toBe('lao-zhang');
    expect(await admin.get('understudy:sticky:slack:T1:D9')).toBe('');
    // Redis gone: claimed (whoever replies claims in PostgreSQL), and the gates make their own calls.
    const c = await replica();
    (c as unknown as { redis: Redis }).redis.disconnect();
    expect(await c.ackPaths.admit(request('E7'))).toEqual({ claimed: true });
  });

  it('sticky lookups that miss the cache together each get their own key\'s choice', async () => {
    const [a, b] = [await replica(), await replica()];
    await a.setSticky('slack:T1:D1', 'lao-zhang');
    await a.setSticky('slack:T1:D2', 'wang-fang');
    await admin.flushdb();
    const keys = ['slack:T1:D1', 'slack:T1:D2', 'slack:T1:D3', 'slack:T1:D1'];
    expect(await Promise.all(keys.map((k) => b.getSticky(k)))).toEqual(['lao-zhang', 'wang-fang', undefined, 'lao-zhang']);
    expect(await b.getSticky('slack:T1:D2')).toBe('wang-fang');
  });

  it('names REDIS_URL and the address when Redis does not answer', async () => {
    await expect(openProductionStateStore({ databaseUrl: db.url, redisUrl: 'redis://127.0.0.1:1/0' })).rejects.toThrow('REDIS_URL: cannot connect to 127.0.0.1:1 (ECONNREFUSED)');
    await expect(openProductionStateStore({ databaseUrl: db.url, redisUrl: 'http://127.0.0.1:6379' })).rejects.toThrow('REDIS_URL: has the scheme http, not redis or rediss');
  });
});
