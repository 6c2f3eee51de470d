import path from 'node:path';
import { createChatModel } from '../../src/answer/llm';
import { AvatarService } from '../../src/app/avatar-service';
import { DraftStream } from '../../src/chat/drafts';
import { answerHandler } from '../../src/chat/answer-handoff';
import { ChatRouter } from '../../src/chat/router';
import { readAnswerProgress, type AnswerJob } from '../../src/jobs/answer-job';
import type { JobContext } from '../../src/jobs/types';
import type { MessageRef, Reply } from '../../src/chat/types';
import { silentLogger } from '../../src/log';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { dmEvent, RecordingTransport } from '../helpers/recording-transport';

/** A platform that takes drafts every `draftIntervalMs`, recording when each reply arrived. */
class DraftingTransport extends RecordingTransport {
  readonly log: { op: 'post' | 'update'; reply: Reply; at: number }[] = [];
  constructor(readonly draftIntervalMs: number) {
    super();
  }
  override async post(target: Parameters<RecordingTransport['post']>[0], reply: Reply): Promise<MessageRef> {
    this.log.push({ op: 'post', reply, at: Date.now() });
    return super.post(target, reply);
  }
  override async update(ref: MessageRef, reply: Reply): Promise<void> {
    this.log.push({ op: 'update', reply, at: Date.now() });
    return super.update(ref, reply);
  }
  drafts(): { text: string; at: number }[] {
    return this.log.flatMap((l) => (l.reply.kind === 'draft' ? [{ text: l.reply.text, at: l.at }] : []));
  }
  final(): Reply | undefined {
    return this.log.find((l) => l.reply.kind === 'answer')?.reply;
  }
}

const ROLLBACK = '# Rollback\n\nIf it touches money, roll back first with deployctl rollback, debug later.\n\n## Afterwards\n\nWrite the incident note and tell the channel.\n';

async function setup(model?: ReturnType<typeof createChatModel>) {
  const root = tmpDir();
  makeAvatar(root, 'lao-zhang', { 'rollback.md': ROLLBACK });
  const store = new SqliteStateStore(':memory:');
  const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store, model });
  await service.ingest('lao-zhang');
  return new ChatRouter({ service });
}

/** An answer job as a web replica enqueues it (its gates ran there). */
function answerJob(text: string): JobContext<AnswerJob> {
  const event = ask(text);
  const data: AnswerJob = { event, target: { channelId: event.channelId, userId: event.userId }, args: text, lang: 'en', avatar: 'lao-zhang' };
  // `attempts` as the queue gives it (3 for answers), whether or not this version of JobContext lists it.
  return { id: `slack:event:${event.eventId}`, kind: 'answer', attempt: 1, attempts: 3, enqueuedAt: Date.now(), progress: async () => undefined, data } as JobContext<AnswerJob>;
}

const ask = (text: string) => dmEvent(`@lao-zhang-avatar ${text}`, { appAvatar: 'lao-zhang' });

describe('DraftStream: the throttle', () => {
  afterEach(() => jest.useRealTimers());

  it('sends at most one draft per interval counted from the placeholder, the text so far each time, and nothing after finish()', async () => {
    jest.useFakeTimers({ now: 0 });
    const sent: { text: string; at: number }[] = [];
    const drafts = new DraftStream(async (text) => void sent.push({ text, at: Date.now() }), 1000, silentLogger);
    for (let t = 100; t <= 3500; t += 100) {
      await jest.advanceTimersByTimeAsync(100);
      drafts.sink(`${t} `);
    }
    expect(sent.map((s) => s.at)).toEqual([1000, 2000, 3000]);
    expect(sent[0].text).toBe('100 200 300 400 500 600 700 800 900 ');
    expect(sent[2].text.startsWith(sent[1].text)).toBe(true);
    // 3500: the pending text is younger than the interval, so the answer (which holds it all) replaces it.
    await drafts.finish();
    drafts.sink('late ');
    await jest.advanceTimersByTimeAsync(5_000);
    expect(sent).toHaveLength(3);
  });

  it('the interval is counted from when a draft was delivered, so a send that was slow to arrive is not followed by one too soon', async () => {
    jest.useFakeTimers({ now: 0 });
    const arrived: number[] = [];
    const lags = [300, 0, 0];
    const drafts = new DraftStream(
      async () => {
        const lag = lags[arrived.length] ?? 0;
        if (lag > 0) await new Promise((r) => setTimeout(r, lag));
        arrived.push(Date.now());
      },
      1000,
      silentLogger,
    );
    for (let t = 100; t <= 3500; t += 100) {
      await jest.advanceTimersByTimeAsync(100);
      drafts.sink(`${t} `);
    }
    await drafts.finish();
    // Started at 1000, delivered at 1300: the next starts 1000 after that, not at 2000.
    expect(arrived).toEqual([1300, 2300, 3300]);
  });

  it('an answer ready within the interval sends no draft; a pending text the interval allows is flushed by finish(), one still in flight is left to the answer', async () => {
    jest.useFakeTimers({ now: 0 });
    const sent: string[] = [];
    const quick = new DraftStream(async (text) => void sent.push(text), 1000, silentLogger);
    quick.sink('all at once');
    await quick.finish();
    await jest.advanceTimersByTimeAsync(2_000);
    expect(sent).toEqual([]);

    // The interval has passed and the timer has not fired yet: finish() sends the pending text.
    const due = new DraftStream(async (text) => void sent.push(text), 1000, silentLogger);
    await jest.advanceTimersByTimeAsync(1000);
    due.sink('pending');
    await due.finish();
    expect(sent).toEqual(['pending']);

    sent.length = 0;
    const slowSend = new DraftStream(
      (text) => new Promise<void>((r) => setTimeout(() => r(void sent.push(text)), 1500)),
      1000,
      silentLogger,
    );
    await jest.advanceTimersByTimeAsync(1000);
    slowSend.sink('one ');
    await jest.advanceTimersByTimeAsync(0);
    slowSend.sink('two ');
    // The first draft is still in flight; finish waits for it and sends nothing more: the interval
    // counts from its delivery, so the answer (which holds it all) replaces it.
    const done = slowSend.finish();
    await jest.advanceTimersByTimeAsync(4_000);
    await done;
    expect(sent).toEqual(['one ']);
  });

  it('a restart replaces the text so far (a model that failed half-way)', async () => {
    jest.useFakeTimers({ now: 0 });
    const sent: string[] = [];
    const drafts = new DraftStream(async (text) => void sent.push(text), 100, silentLogger);
    drafts.sink('model says ');
    await jest.advanceTimersByTimeAsync(150);
    drafts.sink('', { restart: true });
    drafts.sink('Quoted from');
    await jest.advanceTimersByTimeAsync(150);
    expect(sent).toEqual(['model says ', 'Quoted from']);
  });
});

describe('answers stream through the router', () => {
  let fake: FakeOpenAi | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('offline: a quick surface sees the answer arrive piece by piece before the answer, which carries the label and sources', async () => {
    const router = await setup();
    const t = new DraftingTransport(20);
    await router.handle(ask('how do I roll back?'), t);
    const drafts = t.drafts();
    expect(drafts.length).toBeGreaterThanOrEqual(2);
    const final = t.final();
    expect(final?.kind).toBe('answer');
    const answer = final?.kind === 'answer' ? final.answer : undefined;
    expect(answer?.citations[0].source).toBe('rollback.md');
    expect(answer?.label).toMatch(/avatar/i);
    // Each draft extends the last and is the start of the answer; none comes after it.
    for (let i = 1; i < drafts.length; i++) expect(drafts[i].text.startsWith(drafts[i - 1].text)).toBe(true);
    for (const d of drafts) expect(answer?.text.startsWith(d.text)).toBe(true);
    expect(t.log.at(-1)?.reply.kind).toBe('answer');
    // Drafts replace the status in place, at most one per interval (timer granularity: 1 ms).
    const status = t.log[0];
    expect(status.reply.kind).toBe('status');
    expect(t.log.filter((l) => l.reply.kind === 'draft').every((l) => l.op === 'update')).toBe(true);
    const times = [status.at, ...drafts.map((d) => d.at)];
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(19);
  });

  it('offline on a rate-limited platform: the answer is ready within the interval, so no draft is sent', async () => {
    const router = await setup();
    const t = new DraftingTransport(1000);
    await router.handle(ask('how do I roll back?'), t);
    expect(t.drafts()).toHaveLength(0);
    expect(t.final()?.kind).toBe('answer');
  });

  it('a platform without draftIntervalMs gets no drafts', async () => {
    const router = await setup();
    const t = new RecordingTransport();
    await router.handle(ask('how do I roll back?'), t);
    expect(t.updates.map((u) => u.reply.kind)).toEqual(['answer']);
  });

  it('with a model (real ChatOpenAI, streaming slowly): drafts of the model text, then the checked answer', async () => {
    fake = await startFakeOpenAi(() => 'Roll back first [1], then debug later. Write the incident note afterwards and tell the channel what happened [1].');
    fake.mode = 'slow';
    fake.slowMs = 30;
    const router = await setup(createChatModel({ model: 'gpt-4o-mini', apiKey: 'sk-test', baseURL: fake.baseURL }, { maxRetries: 0 }));
    const t = new DraftingTransport(100);
    await router.handle(ask('how do I roll back?'), t);
    const drafts = t.drafts();
    expect(drafts.length).toBeGreaterThanOrEqual(2);
    for (const d of drafts) expect('Roll back first [1], then debug later. Write the incident note afterwards and tell the channel what happened [1].'.startsWith(d.text)).toBe(true);
    const final = t.final();
    expect(final?.kind === 'answer' && final.answer.citations.map((c) => c.source)).toEqual(['rollback.md']);
    expect(t.log.at(-1)?.reply.kind).toBe('answer');
  });

  it('a model that never says anything but [NOT COVERED] shows no draft of it', async () => {
    fake = await startFakeOpenAi(() => '[NOT COVERED]');
    fake.mode = 'slow';
    fake.slowMs = 60;
    const router = await setup(createChatModel({ model: 'gpt-4o-mini', apiKey: 'sk-test', baseURL: fake.baseURL }, { maxRetries: 0 }));
    const t = new DraftingTransport(20);
    await router.handle(ask('how do I roll back?'), t);
    expect(t.drafts()).toHaveLength(0);
    expect(t.texts().at(-1)).toMatch(/don't have anything on that/);
  });

  for (const mode of ['drop', 'error'] as const) {
    it(`a stream cut half-way (${mode}): the drafts start again with the offline answer, which replaces them complete`, async () => {
      const reply = 'Roll back first [1], then debug later. Write the incident note afterwards and tell the channel what happened [1].';
      fake = await startFakeOpenAi(() => reply);
      fake.mode = mode;
      fake.slowMs = 40;
      fake.cutAfter = 4;
      const router = await setup(createChatModel({ model: 'gpt-4o-mini', apiKey: 'sk-test', baseURL: fake.baseURL }, { maxRetries: 0 }));
      const t = new DraftingTransport(50);
      await router.handle(ask('how do I roll back?'), t);
      const drafts = t.drafts().map((d) => d.text);
      expect(drafts.some((d) => reply.startsWith(d))).toBe(true);
      const final = t.final();
      const answer = final?.kind === 'answer' ? final.answer : undefined;
      expect(answer?.model).toBe('offline-extractive');
      expect(answer?.text).toMatch(/language model is unavailable right now[\s\S]*Quoted from/);
      expect(answer?.citations[0].source).toBe('rollback.md');
      // Once the offline answer began, no draft holds model text again.
      const firstOffline = drafts.findIndex((d) => !reply.startsWith(d));
      expect(firstOffline).toBeGreaterThan(0);
      for (const d of drafts.slice(firstOffline)) expect(answer?.text.startsWith(d)).toBe(true);
      expect(t.log.at(-1)?.reply.kind).toBe('answer');
    });
  }

  it('production path: the worker running an answer job streams the same way, and records only the placeholder and the answer', async () => {
    const router = await setup();
    const t = new DraftingTransport(20);
    const job = answerJob('how do I roll back?');
    await answerHandler(router, () => t, router.service.store, silentLogger)(job);
    expect(t.drafts().length).toBeGreaterThanOrEqual(2);
    expect(t.log.map((l) => l.reply.kind)).toEqual(['status', ...t.drafts().map(() => 'draft'), 'answer']);
    const progress = await readAnswerProgress(router.service.store, job.data.event.eventId);
    expect(progress).toMatchObject({ answered: true, placeholder: { messageId: 'm1' } });
    // Run again (a redelivered job): the answer is out, so nothing more, drafts included.
    const before = t.log.length;
    await answerHandler(router, () => t, router.service.store, silentLogger)({ ...job, attempt: 2 });
    expect(t.log.length).toBe(before);
  });
});
