import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { answerHandler } from '../../src/chat/answer-handoff';
import { ChatRouter } from '../../src/chat/router';
import type { ChatEvent, MessageRef, Reply, ReplyTarget } from '../../src/chat/types';
import { answerJobId, type AnswerJob } from '../../src/jobs/answer-job';
import { BullMqJobQueue } from '../../src/jobs/bullmq-queue';
import { InProcessJobQueue } from '../../src/jobs/memory-queue';
import type { JobContext, JobQueue } from '../../src/jobs/types';
import { silentLogger } from '../../src/log';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { dmEvent, RecordingTransport } from '../helpers/recording-transport';
import { until } from '../helpers/wait';
import { REDIS_URL } from './redis';

/**
 * The order of a conversation's answers on workers of one slot each (the real answer handler,
 * router and queue; the platform is a recording transport): a question waiting for the one
 * before it gives its slot back, so another user's question is answered meanwhile.
 */

const ROLLBACK = '# Rollback\n\nIf it touches money, roll back first with deployctl rollback, debug later.\n';

/** Holds the placeholder of the first question in `slowChannel` until released: a slow answer. */
class SlowFirstTransport extends RecordingTransport {
  readonly answered: string[] = [];
  held = false;
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  private holding = true;
  constructor(private readonly slowChannel: string) {
    super();
  }
  override async post(target: ReplyTarget, reply: Reply): Promise<MessageRef> {
    if (this.holding && target.channelId === this.slowChannel) {
      this.holding = false;
      this.held = true;
      await this.gate;
    }
    return super.post(target, reply);
  }
  override async update(ref: MessageRef, reply: Reply): Promise<void> {
    if (reply.kind === 'answer') this.answered.push(`${ref.channelId}/${ref.messageId}`);
    return super.update(ref, reply);
  }
  letGo(): void {
    this.release();
  }
}

function backends(): { name: string; make: () => Promise<{ queue: JobQueue; cleanup: () => Promise<void> }> }[] {
  return [
    { name: 'in-process', make: async () => ({ queue: new InProcessJobQueue(), cleanup: async () => undefined }) },
    {
      name: 'BullMQ on Redis',
      make: async () => {
        const name = `test-order-${randomUUID()}`;
        return {
          queue: new BullMqJobQueue({ url: REDIS_URL, name }),
          cleanup: async () => {
            const sweeper = new BullMqJobQueue({ url: REDIS_URL, name });
            await sweeper.obliterate();
            await sweeper.close();
          },
        };
      },
    },
  ];
}

describe.each(backends())('answer jobs of one conversation on workers of one slot each: $name', ({ make }) => {
  jest.setTimeout(30_000);
  let queue: JobQueue;
  let cleanup: () => Promise<void>;
  /** One per worker: two worker processes, sharing the state store. */
  let routers: ChatRouter[];
  let transport: SlowFirstTransport | undefined;

  beforeEach(async () => {
    ({ queue, cleanup } = await make());
    const store = new SqliteStateStore(':memory:');
    routers = [];
    for (let i = 0; i < 2; i++) {
      const root = tmpDir();
      makeAvatar(root, 'lao-zhang', { 'rollback.md': ROLLBACK });
      const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store });
      await service.ingest('lao-zhang');
      routers.push(new ChatRouter({ service }));
    }
  });
  afterEach(async () => {
    transport?.letGo();
    await queue.close();
    await cleanup();
  });

  const ask = (channelId: string, userId: string, text: string): ChatEvent => dmEvent(`@lao-zhang-avatar ${text}`, { appAvatar: 'lao-zhang', channelId, userId, eventId: `Ev-${randomUUID()}` });
  /** Enqueue an event as a web replica does: id = its dedupe key, chained to `after`. */
  const handOff = async (event: ChatEvent, after?: string): Promise<string> => {
    const data: AnswerJob = { event, target: { channelId: event.channelId, userId: event.userId }, args: event.text, lang: 'en', avatar: 'lao-zhang', ...(after ? { after } : {}) };
    return (await queue.enqueue('answer', data, { id: answerJobId(event), attempts: 3, backoffMs: 500 })).id;
  };
  /** Two workers of one slot each, recording the order jobs finished in. */
  const workers = (t: SlowFirstTransport, orderWaitMs?: number): string[] => {
    const finished: string[] = [];
    for (const router of routers) {
      const handler = answerHandler(router, () => t, router.service.store, silentLogger, queue, orderWaitMs);
      const answer = async (job: JobContext<AnswerJob>): Promise<unknown> => {
        const result = await handler(job);
        finished.push(job.id);
        return result;
      };
      queue.process({ answer }, { concurrency: 1 });
    }
    return finished;
  };

  it("a question waiting for a slow one before it in its conversation lets another user's question be answered first, and the conversation's answers keep their order", async () => {
    const t = (transport = new SlowFirstTransport('D1'));
    const finished = workers(t);
    const q1 = await handOff(ask('D1', 'U1', 'how do I roll back?'));
    await until(() => t.held, 'the first question to be on its way (its placeholder held)', 10_000);
    const q2 = await handOff(ask('D1', 'U1', 'and then what?'), q1);
    const q3 = await handOff(ask('D2', 'U2', 'how do I roll back?'));
    const q4 = await handOff(ask('D1', 'U1', 'anything else?'), q2);

    // The one free slot answered the other user while the conversation's later questions waited.
    await until(async () => (await queue.get(q3))?.state === 'completed', "the other user's answer while the first question is still held", 10_000);
    expect((await queue.get(q1))?.state).toBe('active');
    for (const id of [q2, q4]) expect((await queue.get(id))?.state).toMatch(/^(delayed|waiting)$/);
    expect(finished).toEqual([q3]);

    t.letGo();
    for (const id of [q1, q2, q4]) await queue.waitFor(id, 15_000);
    expect(finished).toEqual([q3, q1, q2, q4]);
    // Each of D1's answers replaced a placeholder of its own, in the order they were posted (question order).
    const inD1 = t.answered.filter((a) => a.startsWith('D1/')).map((a) => Number(a.slice('D1/m'.length)));
    expect(inD1).toHaveLength(3);
    expect(new Set(inD1).size).toBe(3);
    expect(inD1).toEqual([...inD1].sort((a, b) => a - b));
    // Waiting used no attempt and left no dead letter.
    for (const id of [q1, q2, q3, q4]) expect(await queue.get(id)).toMatchObject({ state: 'completed', attemptsMade: 1, result: { answered: true } });
    expect(await queue.deadLetters()).toEqual([]);
    expect((await queue.counts()).dead).toBe(0);
  });

  it('answers anyway once the question before it has not finished within the order wait', async () => {
    const t = (transport = new SlowFirstTransport('D1'));
    const finished = workers(t, 1_500);
    const q1 = await handOff(ask('D1', 'U1', 'how do I roll back?'));
    await until(() => t.held, 'the first question to be on its way (its placeholder held)', 10_000);
    const handedOff = Date.now();
    const q2 = await handOff(ask('D1', 'U1', 'and then what?'), q1);
    const done = await queue.waitFor(q2, 10_000);
    const waited = Date.now() - handedOff;
    expect(done).toMatchObject({ state: 'completed', attemptsMade: 1, result: { answered: true } });
    expect(waited).toBeGreaterThanOrEqual(1_400);
    expect((await queue.get(q1))?.state).toBe('active');
    expect(finished).toEqual([q2]);
    expect(await queue.deadLetters()).toEqual([]);
  });
});
