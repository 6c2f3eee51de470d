import type { Logger } from 'pino';
import { BullMqJobQueue } from './bullmq-queue';
import { InProcessJobQueue } from './memory-queue';
import type { JobQueue } from './types';

/**
 * BullMQ on Redis when REDIS_URL is set, otherwise the in-process queue of the embedded mode.
 * `lockMs` (UNDERSTUDY_JOB_LOCK_MS): how long a worker's hold on a job lasts without renewal, and
 * how often the stalled check looks; a job whose worker died runs again within about twice that.
 */
export function createJobQueue(options: { redisUrl?: string; name?: string; log?: Logger; lockMs?: number }): JobQueue {
  if (options.redisUrl) {
    return new BullMqJobQueue({ url: options.redisUrl, name: options.name, log: options.log, lockDurationMs: options.lockMs, stalledIntervalMs: options.lockMs });
  }
  return new InProcessJobQueue(options.log);
}
