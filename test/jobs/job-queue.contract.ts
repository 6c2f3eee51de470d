import { PermanentJobError, RetryLater, type JobContext, type JobQueue } from '../../src/jobs/types';

/**
 * What every JobQueue must do, in process or on Redis. A backend runs it from its own
 * `*.contract.test.ts`:
 *
 *   jobQueueContract('in-process', async () => ({ queue: new InProcessJobQueue(), cleanup: async () => undefined }));
 *
 * `make` returns an empty queue (a fresh queue name on Redis) and a cleanup that removes what
 * the test left; each test gets its own. Backoffs are short real waits: a Redis queue keeps
 * its own clock.
 */
export function jobQueueContract(name: string, make: () => Promise<{ queue: JobQueue; cleanup: () => Promise<void> }>): void {
  describe(`JobQueue contract: ${name}`, () => {
    let queue: JobQueue;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ queue, cleanup } = await make());
    });
    afterEach(async () => {
      await queue.close();
      await cleanup();
    });

    it('runs an enqueued job with its handler and keeps the result', async () => {
      queue.process({ ingest: async (job: JobContext<{ slug: string }>) => ({ ingested: job.data.slug, kind: job.kind, attempt: job.attempt }) });
      const { id } = await queue.enqueue('ingest', { slug: 'lao-zhang' });
      const done = await queue.waitFor(id, 10_000);
      expect(done).toMatchObject({ id, kind: 'ingest', state: 'completed', attemptsMade: 1, result: { ingested: 'lao-zhang', kind: 'ingest', attempt: 1 }, data: { slug: 'lao-zhang' } });
    });

    it('adds a job once per idempotency key, whatever ids look like (colons included)', async () => {
      const seen: string[] = [];
      const id = 'answer:slack:T1:Ev0001';
      const first = await queue.enqueue('answer', { n: 1 }, { id });
      const again = await queue.enqueue('answer', { n: 2 }, { id });
      expect(first.id).toBe(id);
      expect(again.id).toBe(id);
      queue.process({ answer: async (job: JobContext<{ n: number }>) => void seen.push(`${job.id}#${job.data.n}`) });
      await queue.waitFor(id, 10_000);
      // Still a duplicate after the job finished.
      await queue.enqueue('answer', { n: 3 }, { id });
      const other = await queue.enqueue('answer', { n: 4 }, { id: 'answer:slack:T1:Ev0002' });
      await queue.waitFor(other.id, 10_000);
      expect(seen).toEqual([`${id}#1`, 'answer:slack:T1:Ev0002#4']);
    });

    it('tells a handler its run and the runs allowed, and dead-letters a permanent failure at once', async () => {
      const runs: string[] = [];
      queue.process({
        summarize: async (job) => {
          runs.push(`${job.attempt}/${job.attempts}`);
          throw new PermanentJobError('the channel is gone');
        },
      });
      const { id } = await queue.enqueue('summarize', {}, { attempts: 3, backoffMs: 50 });
      const done = await queue.waitFor(id, 10_000);
      expect(done).toMatchObject({ state: 'dead', attemptsMade: 1, error: expect.stringContaining('the channel is gone') });
      expect(runs).toEqual(['1/3']);
      expect((await queue.deadLetters()).map((j) => j.id)).toEqual([id]);
    });

    it('retries a failing job with growing waits, and a later attempt can succeed', async () => {
      const at: number[] = [];
      queue.process({
        distill: async (job) => {
          at.push(Date.now());
          if (job.attempt < 3) throw new Error(`flaky ${job.attempt}`);
          return 'ok';
        },
      });
      const { id } = await queue.enqueue('distill', {}, { attempts: 3, backoffMs: 150 });
      const done = await queue.waitFor(id, 15_000);
      expect(done).toMatchObject({ state: 'completed', attemptsMade: 3, result: 'ok' });
      expect(at).toHaveLength(3);
      // Backoff 150 ms then 300 ms: the waits are at least that (never less), and the second is the longer.
      expect(at[1] - at[0]).toBeGreaterThanOrEqual(140);
      expect(at[2] - at[1]).toBeGreaterThanOrEqual(290);
    });

    it('keeps a job that used up its attempts as a dead letter with its last error', async () => {
      let runs = 0;
      queue.process({
        summarize: async () => {
          runs++;
          throw new Error(`summary failed (run ${runs})`);
        },
      });
      const { id } = await queue.enqueue('summarize', { channel: 'C1' }, { id: 'summarize-C1', attempts: 2, backoffMs: 50 });
      const done = await queue.waitFor(id, 10_000);
      expect(done).toMatchObject({ id: 'summarize-C1', state: 'dead', attemptsMade: 2, error: 'summary failed (run 2)' });
      expect(runs).toBe(2);
      expect((await queue.deadLetters()).map((j) => j.id)).toEqual(['summarize-C1']);
      expect((await queue.counts()).dead).toBe(1);
    });

    it('dead-letters at once a job of a kind the worker has no handler for', async () => {
      queue.process({ answer: async () => 'unused' });
      const { id } = await queue.enqueue('ingest', {}, { attempts: 5, backoffMs: 10 });
      const done = await queue.waitFor(id, 10_000);
      expect(done.state).toBe('dead');
      expect(done.attemptsMade).toBe(1);
      expect(done.error).toMatch(/no handler for jobs of kind "ingest"/);
    });

    it('reports progress that readers see while the job runs', async () => {
      let release!: () => void;
      const hold = new Promise<void>((resolve) => (release = resolve));
      let reported!: () => void;
      const progressed = new Promise<void>((resolve) => (reported = resolve));
      queue.process({
        ingest: async (job) => {
          await job.progress({ files: 3, of: 10 });
          reported();
          await hold;
          await job.progress(100);
        },
      });
      const { id } = await queue.enqueue('ingest', {});
      await progressed;
      expect(await queue.get(id)).toMatchObject({ state: 'active', progress: { files: 3, of: 10 } });
      release();
      expect(await queue.waitFor(id, 10_000)).toMatchObject({ state: 'completed', progress: 100 });
    });

    it('runs at most `concurrency` jobs at once in one worker, and counts what waits', async () => {
      let running = 0;
      let peak = 0;
      let release!: () => void;
      const hold = new Promise<void>((resolve) => (release = resolve));
      const ids = [];
      for (let i = 0; i < 6; i++) ids.push((await queue.enqueue('answer', { i })).id);
      expect((await queue.counts()).waiting).toBe(6);
      queue.process(
        {
          answer: async () => {
            running++;
            peak = Math.max(peak, running);
            await hold;
            running--;
          },
        },
        { concurrency: 2 },
      );
      const deadline = Date.now() + 10_000;
      while (running < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const counts = await queue.counts();
      expect(counts.active).toBe(2);
      expect(counts.waiting).toBe(4);
      release();
      for (const id of ids) await queue.waitFor(id, 10_000);
      expect(peak).toBe(2);
      expect((await queue.counts()).completed).toBe(6);
    });

    it('puts back a job that throws RetryLater: its slot goes to the next job, no attempt is used, and it is never a dead letter', async () => {
      const runs: string[] = [];
      const enqueuedAt: number[] = [];
      queue.process(
        {
          answer: async (job: JobContext<{ name: string }>) => {
            runs.push(`${job.data.name}#${job.attempt}`);
            if (job.data.name !== 'later') return job.data.name;
            enqueuedAt.push(job.enqueuedAt);
            // Put back three times (more than `attempts` allows failures), then done.
            if (enqueuedAt.length <= 3) throw new RetryLater(150, 'the job before is not finished');
            return 'at last';
          },
        },
        { concurrency: 1 },
      );
      const before = Date.now();
      const first = (await queue.enqueue('answer', { name: 'later' }, { attempts: 1, backoffMs: 10 })).id;
      const other = await queue.enqueue('answer', { name: 'other' });
      // The one slot went to the other job while the first waited.
      expect(await queue.waitFor(other.id, 10_000)).toMatchObject({ state: 'completed', result: 'other' });
      const done = await queue.waitFor(first, 10_000);
      expect(done).toMatchObject({ state: 'completed', attemptsMade: 1, result: 'at last' });
      expect(done.error).toBeUndefined();
      expect(runs).toEqual(['later#1', 'other#1', 'later#1', 'later#1', 'later#1']);
      // Every run saw when the job was first enqueued.
      expect(new Set(enqueuedAt).size).toBe(1);
      expect(enqueuedAt[0]).toBeGreaterThanOrEqual(before - 1000);
      expect(enqueuedAt[0]).toBeLessThanOrEqual(Date.now());
      expect(await queue.deadLetters()).toEqual([]);
    });

    it('shows a put-back job as delayed, with no attempt used, until it runs again', async () => {
      let puts = 0;
      queue.process({
        distill: async () => {
          if (++puts === 1) throw new RetryLater(1_500);
          return 'ok';
        },
      });
      const { id } = await queue.enqueue('distill', {}, { attempts: 1 });
      const deadline = Date.now() + 10_000;
      while (puts === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      expect(await queue.get(id)).toMatchObject({ state: 'delayed', attemptsMade: 0 });
      expect((await queue.counts()).delayed).toBe(1);
      expect(await queue.waitFor(id, 10_000)).toMatchObject({ state: 'completed', attemptsMade: 1 });
      expect(puts).toBe(2);
    });

    it('answers get() with undefined for an unknown id and pings while open', async () => {
      expect(await queue.get('never-enqueued')).toBeUndefined();
      await expect(queue.ping()).resolves.toBeUndefined();
    });

    it('stops a closed worker from taking new jobs', async () => {
      const seen: number[] = [];
      const worker = queue.process({ answer: async (job: JobContext<{ i: number }>) => void seen.push(job.data.i) });
      const first = await queue.enqueue('answer', { i: 1 });
      await queue.waitFor(first.id, 10_000);
      await worker.close();
      const second = await queue.enqueue('answer', { i: 2 });
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual([1]);
      expect((await queue.get(second.id))?.state).toBe('waiting');
    });
  });
}
