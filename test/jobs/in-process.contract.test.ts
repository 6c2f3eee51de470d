import { InProcessJobQueue } from '../../src/jobs/memory-queue';
import { jobQueueContract } from './job-queue.contract';

jobQueueContract('in-process', async () => ({ queue: new InProcessJobQueue(), cleanup: async () => undefined }));
