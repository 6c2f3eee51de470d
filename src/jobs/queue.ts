import type { Logger } from 'pino';
import { BullMqJobQueue } from './bullmq-queue';
import { InProcessJobQueue } from './memory-queue';
import type { JobQueue } from './types';

/** BullMQ on Redis when REDIS_URL is set, otherwise the in-process queue of the embedded mode. */
export function createJobQueue(options: { redisUrl?: string; name?: string; log?: Logger }): JobQueue {
  if (options.redisUrl) return new BullMqJobQueue({ url: options.redisUrl, name: options.name, log: options.log });
  return new InProcessJobQueue(options.log);
}
