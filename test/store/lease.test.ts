import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { holdLease, leaseKey, type LeasedConnection } from '../../src/store/lease';
import { connectRedis } from '../../src/store/redis-connection';
import { until } from '../helpers/wait';
import { REDIS_DB, redisUrl } from '../helpers/services';

/** A database of its own (see REDIS_DB), so other test files' keys never meet these. */
const REDIS_URL = redisUrl(REDIS_DB.lease);
const DIST_LEASE = path.resolve(__dirname, '../../dist/src/store/lease.js');


/** A connection that records whether it runs, like a Socket Mode client would. */
function recorder(): LeasedConnection & { running: boolean; starts: number; stops: number } {
  const c = {
    running: false,
    starts: 0,
    stops: 0,
    start: async () => {
      c.running = true;
      c.starts++;
    },
    stop: async () => {
      c.running = false;
      c.stops++;
    },
  };
  return c;
}

describe('Redis lease for single-holder connections', () => {
  let redis: Redis;
  const keys: string[] = [];
  const key = (name: string): string => {
    const k = leaseKey('test', `${name}-${process.pid}-${Date.now()}`);
    keys.push(k);
    return k;
  };

  beforeAll(async () => {
    redis = await connectRedis(REDIS_URL);
  });
  afterAll(async () => {
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('only one of two replicas holds it; when the holder stops, the other takes over', async () => {
    const k = key('two');
    const a = recorder();
    const b = recorder();
    const holderA = await holdLease(REDIS_URL, k, a, { ttlMs: 3_000, retryMs: 100 });
    const holderB = await holdLease(REDIS_URL, k, b, { ttlMs: 3_000, retryMs: 100 });
    try {
      expect([holderA.held, holderB.held]).toEqual([true, false]);
      expect([a.running, b.running]).toEqual([true, false]);
      expect(await redis.get(k)).toBe(holderA.owner);
      // Renewals keep it past its TTL.
      await new Promise((r) => setTimeout(r, 3_500));
      expect([holderA.held, holderB.held]).toEqual([true, false]);
      await holderA.close();
      expect(a.running).toBe(false);
      await until(() => holderB.held && b.running);
      expect(await redis.get(k)).toBe(holderB.owner);
    } finally {
      await holderA.close();
      await holderB.close();
    }
    expect(await redis.get(k)).toBeNull();
  });

  it('a holder whose lease was taken stops its connection at the next renewal', async () => {
    const k = key('stolen');
    const a = recorder();
    const holder = await holdLease(REDIS_URL, k, a, { ttlMs: 1_500, renewMs: 100 });
    try {
      expect(a.running).toBe(true);
      await redis.set(k, 'someone-else', 'PX', 60_000);
      await until(() => !a.running);
      expect(holder.held).toBe(false);
      // Its release must not delete the other owner's lease.
      await holder.close();
      expect(await redis.get(k)).toBe('someone-else');
    } finally {
      await holder.close();
    }
  });

  it('a connection that fails to start on the first try fails the start and leaves the lease free', async () => {
    const k = key('refused');
    const refused: LeasedConnection = { start: async () => Promise.reject(new Error('invalid_auth')), stop: async () => undefined };
    await expect(holdLease(REDIS_URL, k, refused)).rejects.toThrow(/invalid_auth/);
    expect(await redis.get(k)).toBeNull();
  });

  it('the holder process is killed with SIGKILL: another replica takes the connection over within 10 s', async () => {
    const k = key('killed');
    const script = `
      const { holdLease } = require(${JSON.stringify(DIST_LEASE)});
      holdLease(${JSON.stringify(REDIS_URL)}, ${JSON.stringify(k)}, {
        start: async () => process.stdout.write('connected\\n'),
        stop: async () => process.stdout.write('disconnected\\n'),
      }).then((h) => process.stdout.write(h.held ? 'holding\\n' : 'waiting\\n'));
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
    try {
      await until(() => out.includes('holding'));
      const b = recorder();
      const holder = await holdLease(REDIS_URL, k, b, { retryMs: 250 });
      try {
        expect(holder.held).toBe(false);
        child.kill('SIGKILL');
        expect(await exited).toBe('SIGKILL');
        const killedAt = Date.now();
        // The default TTL is 5 s: generous timeout here, the 10 s bound is reported below.
        await until(() => b.running, "the other holder running", 30_000);
        const tookOverMs = Date.now() - killedAt;
        process.stdout.write(`lease takeover after kill -9: ${tookOverMs} ms\n`);
        expect(holder.held).toBe(true);
        expect(await redis.get(k)).toBe(holder.owner);
      } finally {
        await holder.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
