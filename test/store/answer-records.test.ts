import { startEventPruning } from '../../src/chat/event-pruning';
import { Redis } from 'ioredis';
import { ANSWER_RECORD_TTL_MS, chainAnswer, ORDER_WAIT_MS, forgetAnswerProgress, pruneAnswerRecords, readAnswerProgress, saveAnswerProgress } from '../../src/jobs/answer-job';
import { InProcessJobQueue } from '../../src/jobs/memory-queue';
import { silentLogger } from '../../src/log';
import { openProductionStateStore, type ProductionStateStore } from '../../src/store/production-store';
import { describeServices, freshPrefix, schemaPerTest, redisUrl } from '../helpers/services';
import { until } from '../helpers/wait';

/**
 * The records answer jobs keep in the state store (progress per event, the last job per
 * conversation) on PostgreSQL + Redis: let go when the queue has the job as completed, and
 * pruned by age when a crash left them (the event pruning that serve runs every hour).
 */
describeServices('answer-job records', () => {
  const db = schemaPerTest();
  let store: ProductionStateStore;
  beforeEach(async () => {
    store = await openProductionStateStore({ databaseUrl: db().url, redisUrl: redisUrl(), redisPrefix: freshPrefix() });
  });
  afterEach(async () => {
    await store.close();
  });
  const keys = async (namespace: string): Promise<string[]> => (await store.kvList(namespace)).map((e) => e.key).sort();

  it('prunes progress records and conversation chains not written for a day, and keeps the recent ones', async () => {
    const now = Date.now();
    await saveAnswerProgress(store, 'EvFresh', { placeholder: { channelId: 'D1', messageId: '1.1' } });
    await store.kvSet('answer_progress', 'EvOld', { placeholder: { channelId: 'D1', messageId: '1.2' }, at: now - ANSWER_RECORD_TTL_MS - 60_000 });
    // Written before records had a time.
    await store.kvSet('answer_progress', 'EvUndated', { answered: true });
    // Conversation chains in PostgreSQL, as builds before the Redis chain (AckPaths.chain) left them.
    await store.kvSet('answer_chain', 'slack:T1:D1:dm', { job: 'slack:event:EvFresh', at: now });
    await store.kvSet('answer_chain', 'slack:T1:D2:dm', { job: 'slack:event:EvOld', at: now - ANSWER_RECORD_TTL_MS - 60_000 });

    expect(await pruneAnswerRecords(store, ANSWER_RECORD_TTL_MS, now)).toBe(3);
    expect(await keys('answer_progress')).toEqual(['EvFresh']);
    expect(await keys('answer_chain')).toEqual(['slack:T1:D1:dm']);
  });

  it('the event pruning serve runs removes them too', async () => {
    await store.kvSet('answer_progress', 'EvOld', { answered: true, at: Date.now() - ANSWER_RECORD_TTL_MS - 1 });
    const stop = startEventPruning(store, silentLogger);
    try {
      await until(async () => (await keys('answer_progress')).length === 0, 'the old progress record to be pruned', 5_000);
    } finally {
      stop();
    }
  });

  it('a job is let go of once the queue records it as completed, not before', async () => {
    const queue = new InProcessJobQueue();
    const seenDuring: unknown[] = [];
    const worker = queue.process(
      {
        answer: async () => {
          await saveAnswerProgress(store, 'Ev1', { answered: true });
          seenDuring.push(await readAnswerProgress(store, 'Ev1'));
        },
      },
      { onCompleted: (job) => forgetAnswerProgress(store, (job.data as { eventId: string }).eventId) },
    );
    try {
      const { id } = await queue.enqueue('answer', { eventId: 'Ev1' });
      expect((await queue.waitFor(id, 5_000)).state).toBe('completed');
      expect(seenDuring).toEqual([expect.objectContaining({ answered: true })]);
      await until(async () => (await keys('answer_progress')).length === 0, 'the progress record to be deleted');
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('chains the answer jobs of a conversation: each names the one before it, a repeat of the last names none', async () => {
    const conv = 'slack:T1:D9:dm';
    expect(await chainAnswer(store, conv, 'j1')).toBeUndefined();
    expect(await chainAnswer(store, conv, 'j2')).toBe('j1');
    expect(await chainAnswer(store, conv, 'j2')).toBeUndefined();
    expect(await chainAnswer(store, conv, 'j3')).toBe('j2');
    expect(await chainAnswer(store, 'slack:T1:D10:dm', 'k1')).toBeUndefined();
  });

  it('production mode chains in Redis, one script, nothing in PostgreSQL: a link older than ORDER_WAIT_MS is not named, and it expires', async () => {
    const conv = 'slack:T1:D11:dm';
    const now = Date.now();
    expect(await chainAnswer(store, conv, 'j1', now - ORDER_WAIT_MS)).toBeUndefined();
    expect(await chainAnswer(store, conv, 'j2', now)).toBeUndefined();
    expect(await chainAnswer(store, conv, 'j3', now + 1)).toBe('j2');
    expect(await keys('answer_chain')).toEqual([]);
    const redis = new Redis(redisUrl());
    try {
      const [key] = await redis.keys(`*answer_chain:${conv}`);
      expect(await redis.pttl(key)).toBeGreaterThan(ORDER_WAIT_MS - 10_000);
      expect(await redis.pttl(key)).toBeLessThanOrEqual(ORDER_WAIT_MS);
    } finally {
      redis.disconnect();
    }
  });
});
