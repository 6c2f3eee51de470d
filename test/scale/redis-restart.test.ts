import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Redis } from 'ioredis';
import { openProductionStateStore, type ProductionStateStore } from '../../src/store/production-store';
import { connectRedis } from '../../src/store/redis-connection';
import { describeServices, freshSchema, type FreshSchema } from '../helpers/services';

/** A Redis server of this test's own, so that killing it disturbs no other test. */
class PrivateRedis {
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await answers(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }

  /** SIGKILL: no goodbye to the clients, as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describeServices('Redis restarted in the middle of a burst', () => {
  let db: FreshSchema;
  // A port unlikely to be taken, different per jest worker.
  const redis = new PrivateRedis(16_400 + Number(process.env.JEST_WORKER_ID ?? 1));
  const replicas: ProductionStateStore[] = [];

  beforeAll(async () => {
    db = await freshSchema();
    await redis.start();
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    await redis.kill();
    await db.drop();
  });

  it('no event is claimed twice and none is lost, before, during and after the restart', async () => {
    const url = `redis://127.0.0.1:${redis.port}/0`;
    for (let i = 0; i < 3; i++) replicas.push(await openProductionStateStore({ databaseUrl: db.url, redisUrl: url }));
    const keys = Array.from({ length: 150 }, (_, i) => `slack:event:Ev${i}`);
    const wins = new Map<string, number>();
    for (const [i, key] of keys.entries()) {
      if (i === 50) await redis.kill();
      if (i === 70) await redis.start();
      // Each event delivered twice, to two different replicas, at the same moment.
      const results = await Promise.all([replicas[i % 3].claim(key, 60_000), replicas[(i + 1) % 3].claim(key, 60_000)]);
      wins.set(key, results.filter(Boolean).length);
    }
    // Exactly one answer per distinct event.
    expect([...wins.values()].filter((n) => n !== 1)).toEqual([]);
    // A third delivery of any of them, now that Redis is back (and empty), is still refused.
    const late = await Promise.all(keys.map((key, i) => replicas[i % 3].claim(key, 60_000)));
    expect(late.filter(Boolean)).toEqual([]);
    // And the replicas use Redis again once they have reconnected.
    const status = (): string[] => replicas.map((r) => (r as unknown as { redis: Redis }).redis.status);
    for (let i = 0; i < 100 && status().some((st) => st !== 'ready'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(status()).toEqual(['ready', 'ready', 'ready']);
    expect(await replicas[0].claim('slack:event:after', 60_000)).toBe(true);
    expect(await replicas[1].claim('slack:event:after', 60_000)).toBe(false);
    const check = await connectRedis(`redis://127.0.0.1:${redis.port}/0`);
    expect(await check.exists('understudy:claim:slack:event:after')).toBe(1);
    check.disconnect();
  });
});
