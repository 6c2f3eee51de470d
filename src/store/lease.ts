import crypto from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { silentLogger } from '../log';
import { connectRedis } from './redis-connection';

/*
 * A lease on Redis for what only one replica may hold at a time (a Slack Socket Mode or a Feishu
 * long connection: two would each receive every event). Acquired with SET key owner NX PX ttl,
 * renewed and released only by its owner (compare-and-set scripts), so a replica that was
 * paused past the TTL cannot renew or delete a lease another has taken since.
 */

/** Extend the lease only if we still own it. */
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
/** Delete the lease only if we still own it. */
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** A holder killed with kill -9 stops renewing: another replica takes over at most this long after its last renewal (plus one retry). */
export const LEASE_TTL_MS = 5_000;

export interface LeaseOptions {
  /** Lease lifetime without renewal. Default LEASE_TTL_MS. */
  ttlMs?: number;
  /** How often the holder renews. Default a third of the TTL. */
  renewMs?: number;
  /** How often a waiting replica tries to acquire. Default 1 s. */
  retryMs?: number;
  /** Who holds it, for the key's value and the logs. Default host:pid:random. */
  owner?: string;
  log?: Logger;
}

/** What the lease guards: started once acquired, stopped when the lease is lost or released. */
export interface LeasedConnection {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LeaseHolder {
  readonly key: string;
  readonly owner: string;
  /** Whether this replica holds the lease and its connection is started. */
  readonly held: boolean;
  /** Stop the connection (if held), release the lease and stop trying. */
  close(): Promise<void>;
}

/** The Redis key of a single-holder connection, e.g. leaseKey('slack-socket', 'A0123'). */
export function leaseKey(kind: string, id: string): string {
  return `understudy:lease:${kind}:${id}`;
}

/**
 * Hold `key` on Redis while running `connection`: returns at once; in the background this replica
 * tries to acquire the lease every `retryMs`, starts the connection when it has it, renews it
 * every `renewMs`, and stops the connection when a renewal finds the lease gone or taken, or
 * when it could not renew for a whole TTL (Redis unreachable: another replica may have it by
 * then). After a loss it goes back to waiting, so it can take over again.
 */
export async function holdLease(redisUrl: string, key: string, connection: LeasedConnection, options: LeaseOptions = {}): Promise<LeaseHolder> {
  const redis = await connectRedis(redisUrl);
  const log = (options.log ?? silentLogger).child({ lease: key });
  redis.on('error', (err) => log.error({ err }, 'lease: Redis connection error'));
  const ttl = options.ttlMs ?? LEASE_TTL_MS;
  const renewEvery = options.renewMs ?? Math.floor(ttl / 3);
  const retryEvery = options.retryMs ?? 1_000;
  const owner = options.owner ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  let held = false;
  let closed = false;
  let renewedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let step: Promise<void> = Promise.resolve();

  const lose = async (why: string): Promise<void> => {
    held = false;
    log.warn({ owner, why }, 'lease lost; stopping the connection');
    try {
      await connection.stop();
    } catch (err) {
      log.error({ err }, 'lease: stopping the connection failed');
    }
  };

  /** A connection that fails to start on the first try (a wrong token) fails the caller's start, as without a lease. */
  let firstFailure: unknown;
  let first = true;
  const tick = async (): Promise<void> => {
    if (closed) return;
    if (!held) {
      const got = await trySet(redis, key, owner, ttl, log);
      if (!got) return;
      held = true;
      renewedAt = Date.now();
      log.info({ owner }, 'lease acquired; starting the connection');
      try {
        await connection.start();
      } catch (err) {
        held = false;
        await release(redis, key, owner, log);
        if (first) firstFailure = err;
        else log.error({ err }, 'lease: the connection failed to start; released the lease for another replica');
      }
      return;
    }
    let still: boolean | undefined;
    try {
      still = Number(await redis.eval(RENEW, 1, key, owner, String(ttl))) === 1;
    } catch (err) {
      log.error({ err }, 'lease: renewal failed');
    }
    if (still === true) renewedAt = Date.now();
    else if (still === false) await lose('the lease expired or another replica holds it');
    else if (Date.now() - renewedAt >= ttl) await lose('not renewed for a whole TTL');
  };

  const run = (): Promise<void> => tick().catch((err: unknown) => log.error({ err }, 'lease: unexpected failure; trying again'));
  const schedule = (): void => {
    if (closed) return;
    timer = setTimeout(() => {
      step = run().finally(schedule);
    }, held ? renewEvery : retryEvery);
  };

  step = run().finally(() => {
    first = false;
    if (firstFailure === undefined) schedule();
  });
  await step;
  if (firstFailure !== undefined) {
    closed = true;
    await redis.quit().catch((err: unknown) => log.error({ err }, 'lease: closing the Redis connection failed'));
    throw firstFailure;
  }
  return {
    key,
    owner,
    get held() {
      return held;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await step;
      if (held) {
        held = false;
        try {
          await connection.stop();
        } finally {
          await release(redis, key, owner, log);
        }
      }
      await redis.quit().catch((err: unknown) => log.error({ err }, 'lease: closing the Redis connection failed'));
    },
  };
}

async function trySet(redis: Redis, key: string, owner: string, ttl: number, log: Logger): Promise<boolean> {
  try {
    return (await redis.set(key, owner, 'PX', ttl, 'NX')) === 'OK';
  } catch (err) {
    log.error({ err }, 'lease: cannot reach Redis to acquire');
    return false;
  }
}

async function release(redis: Redis, key: string, owner: string, log: Logger): Promise<void> {
  try {
    await redis.eval(RELEASE, 1, key, owner);
  } catch (err) {
    // It expires by itself after the TTL.
    log.error({ err }, 'lease: release failed');
  }
}

/**
 * Start a connection only one replica may hold: at once when there is no REDIS_URL (embedded
 * mode, one process), else under a lease on `key` (holdLease). Returns what stops it (and
 * releases the lease).
 */
export async function startLeased(redisUrl: string | undefined, key: string, connection: LeasedConnection, options: LeaseOptions = {}): Promise<() => Promise<void>> {
  if (!redisUrl) {
    await connection.start();
    return () => connection.stop();
  }
  const holder = await holdLease(redisUrl, key, connection, options);
  if (!holder.held) (options.log ?? silentLogger).info({ lease: key }, 'another replica holds this connection; standing by to take over');
  return () => holder.close();
}
