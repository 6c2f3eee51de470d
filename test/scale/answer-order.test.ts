import { BullMqJobQueue } from '../../src/jobs/bullmq-queue';
import { describeServices, REDIS_DB, redisUrl, schemaPerTest } from '../helpers/services';
import { until } from '../helpers/wait';
import { deliver, dmEvent, scaleCluster } from './cluster';

/**
 * A conversation's later question waiting for its first one, across worker processes of one
 * answer slot each (the built CLI, serve --role web|worker, PostgreSQL and a Redis database of
 * this file's own): the waiting question gives its slot back, so another user is answered meanwhile.
 */
describeServices('answer jobs waiting for the question before them', () => {
  jest.setTimeout(180_000);
  const url = redisUrl(REDIS_DB.answerOrder);
  const cluster = scaleCluster({
    db: schemaPerTest(), redis: url, queue: 'answers', logs: 'order-',
    model: 'MODEL ANSWER: roll back first with `deployctl rollback billing-gateway --to v2.14.2` [1].',
  });
  const { start } = cluster;

  /** When each answer reached a channel (posted, or put in place of a placeholder), in order. */
  const answers = (channel: string): { ts?: string }[] =>
    cluster.fake.calls
      .filter((c) => !c.args.failed && (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args.channel === channel)
      .filter((c) => JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback'))
      .map((c) => ({ ts: c.args.ts as string | undefined }));

  it("another user's question is answered while a conversation's second question waits for its slow first one (workers of one slot each)", async () => {
    const one = { UNDERSTUDY_ANSWER_CONCURRENCY: '1', OPENAI_TIMEOUT_MS: '12000', ANSWER_TIMEOUT_MS: '30000', UNDERSTUDY_JOB_LOCK_MS: '30000' };
    const web = await start('web', one);
    await Promise.all([start('worker', one), start('worker', one)]);
    const first = dmEvent(7, 'How do I roll back billing-gateway?');
    // The second in the same DM (same channel, same user), a moment later.
    const firstBody = JSON.parse(first.raw) as { event: Record<string, unknown> };
    const second = JSON.parse(dmEvent(8, 'How do I roll back billing-gateway quickly?').raw) as { event_id: string; event: Record<string, unknown> };
    second.event_id = `${second.event_id}b`;
    second.event = { ...second.event, channel: first.channel, user: firstBody.event.user, ts: `${Number(firstBody.event.ts) + 1}.000001`, event_ts: `${Number(firstBody.event.ts) + 1}.000001` };
    // Another user's DM.
    const other = dmEvent(9, 'How do I roll back billing-gateway?');

    // The model keeps the first question waiting (12 s, then it is answered from the sources); later ones get the model's answer at once.
    cluster.model.mode = 'hang';
    expect(await deliver(web.port, first.raw)).toBe(200);
    await until(() => cluster.model.requests.length === 1, 'the first question to reach the model', 60_000);
    cluster.model.mode = 'ok';
    expect(await deliver(web.port, JSON.stringify(second))).toBe(200);
    // The second question is taken by the free worker (and, before, held its one slot waiting).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await deliver(web.port, other.raw)).toBe(200);

    await until(() => answers(other.channel).length === 1, "the other user's answer", 60_000);
    // ...while the first question is still with the model: nothing is answered in its DM yet.
    expect(answers(first.channel)).toEqual([]);

    await until(() => answers(first.channel).length === 2, 'both answers in the first DM', 90_000);
    // In question order: the first question's placeholder (lower number) was answered first.
    const inFirst = answers(first.channel);
    expect(inFirst.map((a) => a.ts)).toEqual(inFirst.map((a) => a.ts).sort());
    expect(cluster.model.requests[0].messages.map((m) => m.content).join(' ')).toContain('roll back billing-gateway?');
    // Waiting used no attempt and made no dead letter.
    const queue = new BullMqJobQueue({ url, name: 'answers' });
    try {
      expect((await queue.counts()).dead).toBe(0);
      expect((await queue.deadLetters()).length).toBe(0);
      // Put back again and again while the first was with the model, and still on its first attempt.
      expect(await queue.get(`slack:event:${second.event_id}`)).toMatchObject({ state: 'completed', attemptsMade: 1 });
    } finally {
      await queue.close();
    }
  });
});
