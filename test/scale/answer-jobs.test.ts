import { BullMqJobQueue } from '../../src/jobs/bullmq-queue';
import { adminQuery, describeServices, REDIS_DB, redisUrl, schemaPerTest } from '../helpers/services';
import { until } from '../helpers/wait';
import { deliver, dmEvent, scaleCluster, stopReplica } from './cluster';

/**
 * Answer jobs across worker processes (the built CLI, serve --role web|worker, PostgreSQL and a
 * Redis database of this file's own): a crash between posting the placeholder and recording it,
 * the order of two questions of one conversation on two workers, and the progress records left.
 */

const PLACEHOLDER = /looking through the material/;

describeServices('answer jobs on several workers', () => {
  jest.setTimeout(180_000);
  const db = schemaPerTest();
  const url = redisUrl(REDIS_DB.answerJobs);
  const cluster = scaleCluster({
    db, redis: url, queue: 'answers', logs: 'jobs-', proxy: true, env: { UNDERSTUDY_JOB_LOCK_MS: '5000' },
    model: 'MODEL ANSWER: roll back first with `deployctl rollback billing-gateway --to v2.14.2` [1].',
  });
  const { start } = cluster;
  /** Messages the fake Slack has in `channel`, in order: placeholders, and answers (posted or put in place of a placeholder). */
  const messages = (channel: string): { kind: 'placeholder' | 'answer'; text: string; ts?: string }[] =>
    cluster.fake.calls
      .filter((c) => !c.args.failed && (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args.channel === channel)
      .map((c) => {
        // The whole message: an answer's fallback text starts with its label, the answer is in the blocks.
        const text = `${String(c.args.text ?? '')} ${JSON.stringify(c.args.blocks ?? '')}`;
        return { kind: text.includes('understudy_feedback') ? ('answer' as const) : ('placeholder' as const), text, ts: c.args.ts as string | undefined };
      })
      .filter((m) => m.kind === 'answer' || PLACEHOLDER.test(m.text));
  const progressRecords = async (): Promise<number> => Number((await adminQuery(`SELECT count(*) AS n FROM kv WHERE namespace = 'answer_progress'`, [], db().schema)).rows[0].n);

  it('a worker killed after posting the placeholder but before recording it: the retry finds it by its metadata, and the answer replaces it', async () => {
    const web = await start('web');
    const doomed = await start('worker');
    const event = dmEvent(1);
    // Slack posts the placeholder; the worker never hears back, and is killed.
    cluster.proxy.holdNext = (method, body) => method === 'chat.postMessage' && body.includes(event.channel);
    expect(await deliver(web.port, event.raw)).toBe(200);
    await cluster.proxy.heldOne;
    const rescuer = await start('worker');
    await stopReplica(doomed, 'SIGKILL');

    await until(() => messages(event.channel).some((m) => m.kind === 'answer'), 'the answer', 60_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const seen = messages(event.channel);
    expect(seen.filter((m) => m.kind === 'placeholder')).toHaveLength(1);
    expect(seen.filter((m) => m.kind === 'answer')).toHaveLength(1);
    // Not left on "looking through the material...": the answer went into the placeholder (chat.update of its ts).
    const placeholderTs = cluster.fake.posted.get(event.channel)?.[0]?.ts;
    expect(placeholderTs).toBeDefined();
    expect(seen.find((m) => m.kind === 'answer')?.ts).toBe(placeholderTs);
    expect(cluster.fake.posted.get(event.channel)).toHaveLength(1);
    expect(rescuer.log()).toMatch(/adopted the placeholder an earlier run posted and did not record/);
    // Completed: the queue keeps the job's id, and its progress record is gone.
    await until(async () => (await progressRecords()) === 0, 'the progress record to be deleted on completion', 10_000);
  });

  it('an event delivered again after Redis lost it (and its job) is answered once: the worker claims its PostgreSQL keys before answering', async () => {
    const web = await start('web');
    const worker = await start('worker');
    const event = dmEvent(3);
    const answers = (): number => messages(event.channel).filter((m) => m.kind === 'answer').length;
    expect(await deliver(web.port, event.raw)).toBe(200);
    await until(() => answers() === 1, 'the answer', 60_000);
    // The web replica claimed the event in Redis alone; the worker took the PostgreSQL keys.
    const claims = async (): Promise<string[]> => (await adminQuery(`SELECT key FROM claims ORDER BY key`, [], db().schema)).rows.map((r) => String(r.key));
    expect(await claims()).toEqual([`slack:event:${event.id}`, expect.stringMatching(new RegExp(`^slack:message:${event.channel}:`))]);
    // Redis forgets the claims and the queue forgets the job: the retry makes a second job.
    await cluster.redis.flushdb();
    expect(await deliver(web.port, event.raw, 1)).toBe(200);
    await until(() => /claimed by another job \(a duplicate\); skipped/.test(worker.log()), 'the worker to skip the second job', 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(answers()).toBe(1);
    expect(messages(event.channel).filter((m) => m.kind === 'placeholder')).toHaveLength(1);
  });

  it('a command the web replica answers itself is answered once across a Redis flush: the web replica claims the PostgreSQL keys before it runs', async () => {
    const web = await start('web');
    const event = dmEvent(4, '/avatar list');
    const replies = (): number => cluster.fake.calls.filter((c) => !c.args.failed && c.method.startsWith('chat.post') && c.args.channel === event.channel).length;
    expect(await deliver(web.port, event.raw)).toBe(200);
    await until(() => replies() === 1, 'the command reply', 30_000);
    await cluster.redis.flushdb();
    expect(await deliver(web.port, event.raw, 1)).toBe(200);
    await until(async () => Number((await adminQuery(`SELECT count(*) AS n FROM claims`, [], db().schema)).rows[0].n) === 2, 'the claims', 10_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(replies()).toBe(1);
  });

  it('two questions of one conversation on two workers are answered in the order they were asked', async () => {
    // One answer at a time per worker, so the second question goes to the other worker.
    const one = { UNDERSTUDY_ANSWER_CONCURRENCY: '1', OPENAI_TIMEOUT_MS: '5000', ANSWER_TIMEOUT_MS: '20000', UNDERSTUDY_JOB_LOCK_MS: '30000' };
    const web = await start('web', one);
    await Promise.all([start('worker', one), start('worker', one)]);
    const first = dmEvent(7, 'How do I roll back billing-gateway?');
    // The second in the same DM (same channel, same user), a moment later.
    const second = JSON.parse(dmEvent(8, 'How do I roll back billing-gateway quickly?').raw) as { event_id: string; event: Record<string, unknown> };
    const firstBody = JSON.parse(first.raw) as { event: Record<string, unknown> };
    second.event_id = `${second.event_id}b`;
    second.event = { ...second.event, channel: first.channel, user: firstBody.event.user, ts: `${Number(firstBody.event.ts) + 1}.000001`, event_ts: `${Number(firstBody.event.ts) + 1}.000001` };
    // The model keeps the first question waiting (then it times out and is answered from the sources); the second gets the model's answer at once.
    cluster.model.mode = 'hang';
    expect(await deliver(web.port, first.raw)).toBe(200);
    await until(() => cluster.model.requests.length === 1, 'the first question to reach the model', 60_000);
    cluster.model.mode = 'ok';
    expect(await deliver(web.port, JSON.stringify(second))).toBe(200);

    await until(() => messages(first.channel).filter((m) => m.kind === 'answer').length === 2, 'both answers', 90_000);
    // Each answer replaces its question's placeholder; the fake numbers messages in the order they were posted.
    const seen = messages(first.channel);
    const placeholders = cluster.fake.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === first.channel && PLACEHOLDER.test(String(c.args.text)));
    expect(placeholders).toHaveLength(2);
    const answered = seen.filter((m) => m.kind === 'answer').map((m) => m.ts);
    expect(answered).toHaveLength(2);
    // The first question's placeholder went out first, so its message has the lower number.
    expect(answered).toEqual([...answered].sort());
    // ...and it was the first question (the one the model kept waiting) that was answered first.
    expect(cluster.model.requests[0].messages.map((m) => m.content).join(' ')).toContain('roll back billing-gateway?');
    // Neither was given up.
    const queue = new BullMqJobQueue({ url, name: 'answers' });
    try {
      expect(await queue.counts()).toMatchObject({ completed: expect.any(Number), dead: 0 });
    } finally {
      await queue.close();
    }
  });

  it('an answer whose workers keep dying is given up, and the asker is told once, in place of the placeholder', async () => {
    // Every run waits on the model until its worker is killed.
    cluster.model.mode = 'hang';
    const web = await start('web');
    const event = dmEvent(5);
    expect(await deliver(web.port, event.raw)).toBe(200);
    // BullMQ takes a job back from a dead worker three times (MAX_STALLS); the fourth stall fails it.
    for (let run = 1; run <= 4; run++) {
      const w = await start('worker');
      await until(() => cluster.model.requests.length >= run, `run ${run} to reach the model`, 60_000);
      await stopReplica(w, 'SIGKILL');
      cluster.replicas.splice(cluster.replicas.indexOf(w), 1);
    }
    const last = await start('worker');
    const notices = (): { method: string; ts?: unknown }[] =>
      cluster.fake.calls.filter((c) => !c.args.failed && c.args.channel === event.channel && /I couldn't finish this answer \(the worker stopped\); please ask again/.test(String(c.args.text))).map((c) => ({ method: c.method, ts: c.args.ts }));
    await until(() => notices().length > 0, 'the notice', 90_000);
    await new Promise((r) => setTimeout(r, 2_000));
    // One placeholder, posted by the first run and reused by the others, and the notice went into it.
    expect(cluster.fake.posted.get(event.channel)).toHaveLength(1);
    expect(notices()).toEqual([{ method: 'chat.update', ts: cluster.fake.posted.get(event.channel)?.[0]?.ts }]);
    expect(last.log()).toMatch(/answer job given up; the asker was told/);
    const queue = new BullMqJobQueue({ url, name: 'answers' });
    try {
      expect((await queue.deadLetters()).map((j) => j.error)).toEqual([expect.stringMatching(/stalled more than allowable limit/)]);
    } finally {
      await queue.close();
    }
  }, 300_000);
});
