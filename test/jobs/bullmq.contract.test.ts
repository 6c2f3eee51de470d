import { randomUUID } from 'node:crypto';
import { BullMqJobQueue } from '../../src/jobs/bullmq-queue';
import { jobQueueContract } from './job-queue.contract';
import { REDIS_URL } from './redis';

// Real Redis (127.0.0.1:6379, or REDIS_URL); each test on a queue of its own, obliterated after.
jobQueueContract('BullMQ on Redis', async () => {
  const name = `test-${randomUUID()}`;
  const queue = new BullMqJobQueue({ url: REDIS_URL, name });
  return {
    queue,
    cleanup: async () => {
      const sweeper = new BullMqJobQueue({ url: REDIS_URL, name });
      await sweeper.obliterate();
      await sweeper.close();
    },
  };
});
